/* server/request.c - what every handler uses: JSON and error responses with
 * the security headers, strict validation of JSON bodies, query arguments,
 * and the database lock. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

int64_t server_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void db_lock(request *r)
{
    pthread_mutex_lock(&r->srv->db_lock);
}

void db_unlock(request *r)
{
    pthread_mutex_unlock(&r->srv->db_lock);
}

/* Every request that changes something is logged with who made it (the
 * audit log holds what changed); refusals of such requests as warnings. */
static void log_change(const request *r, unsigned status)
{
    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD") || status >= 500 ||
        (status >= 400 && status != 401 && status != 403) || !strcmp(r->url, "/api/login"))
        return; /* a login logs itself, with its outcome */
    char u[300], who[160];
    slog(status < 400 ? LOG_INFO : LOG_WARN, status < 400 ? "change" : "refused",
         "method=%s path=%s status=%u user=%s", r->method, log_quote(r->url, u, sizeof u), status,
         log_quote(r->sess.actor.name, who, sizeof who));
}

/* An answer to an edge node is signed with the centre's key, over the
 * node's request signature, the status and the body (policy/nodes.c). */
static void sign_for_node(request *r, unsigned status, struct MHD_Response *resp, const char *body,
                          size_t len)
{
    if (!resp || !r->node_sig[0] || !r->srv->centre_sign_sk) return;
    char sig[LFR_NODE_SIG_B64];
    lfr_node_sign_reply(r->srv->centre_sign_sk, r->node_sig, (long)status, body, len, sig);
    MHD_add_response_header(resp, "X-LFR-Reply-Signature", sig);
}

static enum MHD_Result queue(request *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp) return MHD_NO;
    /* API answers hold personal data: never cached, never framed. */
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    if (status / 100 < 6) atomic_fetch_add(&r->srv->requests_by_class[status / 100], 1);
    log_change(r, status);
    return ret;
}

enum MHD_Result reply_stream(request *r, struct MHD_Response *resp, const char *type)
{
    if (!resp) return reply_error(r, 500, "internal", "out of memory");
    MHD_add_response_header(resp, "Content-Type", type);
    /* A proxy in front must pass each part on as it comes. */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return queue(r, 200, resp);
}

enum MHD_Result reply_bytes(request *r, unsigned status, const char *type, const void *data,
                            size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp) MHD_add_response_header(resp, "Content-Type", type);
    return queue(r, status, resp);
}

enum MHD_Result reply_download(request *r, char *data, size_t len, const char *type,
                               const char *filename)
{
    /* Wiped when sent: a download may be an evidence bundle with faces. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, data, lfr_wipe_free_unsized);
    if (!resp) {
        lfr_wipe_free_unsized(data);
        return reply_error(r, 500, "internal", "out of memory");
    }
    char disposition[160];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Content-Disposition", disposition);
    return queue(r, 200, resp);
}

enum MHD_Result reply_json(request *r, unsigned status, json_t *body)
{
    return reply_json_header(r, status, body, NULL, NULL);
}

enum MHD_Result reply_json_header(request *r, unsigned status, json_t *body, const char *header,
                                  const char *value)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return reply_error(r, 500, "internal", "out of memory");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (header) MHD_add_response_header(resp, header, value);
    sign_for_node(r, status, resp, text, strlen(text));
    return queue(r, status, resp);
}

enum MHD_Result reply_busy(request *r, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s: try again in a second", why);
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", "busy", "message", msg);
    return reply_json_header(r, 503, body, "Retry-After", "1");
}

/* 429: this user asked too often; the policy says for how long. */
static enum MHD_Result reply_slow_down(request *r, const char *why)
{
    json_t *body =
        json_pack("{s:{s:s,s:s}}", "error", "code", lfr_err_api_code(LFR_EBUSY), "message", why);
    return reply_json_header(r, 429, body, "Retry-After", "60");
}

int gate_enter(gate *g)
{
    if (atomic_fetch_add(&g->running, 1) < g->max) return 1;
    atomic_fetch_sub(&g->running, 1);
    return 0;
}

void gate_leave(gate *g)
{
    atomic_fetch_sub(&g->running, 1);
}

enum MHD_Result reply_error(request *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    sign_for_node(r, status, resp, text ? text : "", text ? strlen(text) : 0);
    return queue(r, status, resp);
}

enum MHD_Result reply_ok(request *r)
{
    return reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}

enum MHD_Result reply_rc(request *r, int rc)
{
    const char *msg = lfr_errmsg(r->ctx);
    int status = lfr_err_http_status(rc);
    if (rc == LFR_EBUSY) return reply_slow_down(r, msg);
    if (status >= 500) {
        char u[300], m[600];
        slog(LOG_ERROR, "request.failed", "method=%s path=%s code=%s msg=%s", r->method,
             log_quote(r->url, u, sizeof u), lfr_err_name(rc), log_quote(msg, m, sizeof m));
        return reply_error(r, status, lfr_err_api_code(rc), "the server failed: %s", msg);
    }
    return reply_error(r, status, lfr_err_api_code(rc), "%s", msg);
}

static const char *type_name(int type)
{
    switch (type) {
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_TRUE:
        return "true or false";
    case JSON_ARRAY:
        return "an array";
    case JSON_OBJECT:
        return "an object";
    case JSON_REAL:
        return "a number";
    default:
        return "a value";
    }
}

static int type_ok(const json_t *v, int type)
{
    switch (type) {
    case JSON_STRING:
        return json_is_string(v);
    case JSON_INTEGER:
        return json_is_integer(v);
    case JSON_TRUE:
        return json_is_boolean(v);
    case JSON_ARRAY:
        return json_is_array(v);
    case JSON_OBJECT:
        return json_is_object(v);
    case JSON_REAL:
        return json_is_number(v);
    default:
        return 1;
    }
}

json_t *body_object(request *r, const body_field *spec)
{
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        reply_error(r, 415, "unsupported_media_type", "the body must be application/json");
        return NULL;
    }
    json_error_t err;
    json_t *body = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!body) {
        reply_error(r, 400, "bad_request", "malformed JSON at line %d, column %d: %s", err.line,
                    err.column, err.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        reply_error(r, 400, "bad_request", "the body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        const body_field *f = spec;
        while (f->name && strcmp(f->name, key))
            f++;
        if (!f->name) {
            reply_error(r, 400, "bad_request", "unknown field '%.64s'", key);
            json_decref(body);
            return NULL;
        }
        if (!type_ok(v, f->type) && !(json_is_null(v) && !f->required)) {
            reply_error(r, 400, "bad_request", "field '%s' must be %s", key, type_name(f->type));
            json_decref(body);
            return NULL;
        }
    }
    for (const body_field *f = spec; f->name; f++)
        if (f->required && !json_object_get(body, f->name)) {
            reply_error(r, 400, "bad_request", "field '%s' is missing", f->name);
            json_decref(body);
            return NULL;
        }
    return body;
}

const char *body_str(json_t *body, const char *name)
{
    return json_string_value(json_object_get(body, name));
}

const char *query_arg(request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Sends an image from the store (in locked memory, policy_open_alloc); MHD
 * hands the buffer back to be wiped and freed once sent (PRI-5), instead
 * of copying it into memory freed unwiped. */
enum MHD_Result reply_image(request *r, int rc, uint8_t *img, size_t len)
{
    if (rc) return reply_rc(r, rc);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, img, lfr_locked_free);
    if (!resp) {
        lfr_locked_free(img);
        return reply_error(r, 500, "internal", "out of memory");
    }
    MHD_add_response_header(resp, "Content-Type",
                            len > 3 && img[0] == 0x89 && img[1] == 'P' ? "image/png"
                                                                       : "image/jpeg");
    return queue(r, 200, resp);
}
