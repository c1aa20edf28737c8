/* edge/link.c - the node's requests to the centre: HTTPS only, the
 * centre's certificate checked against the one given at enrolment (or the
 * system's), each request signed with the node's key (policy/nodes.c says
 * over what). libcurl does the HTTP. */
#include "internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The largest answer taken: an assignment carries sealed templates. */
#define MAX_REPLY_BYTES ((size_t)256 << 20)

struct edge_link {
    CURL *curl;
    char centre[512];
    char ca[PATH_MAX];
    int64_t node_id;
    const node_keys *keys; /* the caller's */
    uint8_t centre_sign_pk[LFR_NODE_KEY_BYTES];
    int verify; /* answers must carry the centre's signature */
    int64_t timeout_ms;
    char reply_sig[LFR_NODE_SIG_B64];
    char *reply;
    size_t reply_len, reply_cap;
    int too_large;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int link_check_url(lfr_ctx *ctx, const char *url)
{
    const char *authority = url && !strncmp(url, "https://", 8) ? url + 8 : NULL;
    if (!authority || !*authority || strchr(authority, '/') || strchr(authority, '?') ||
        strchr(authority, '@') || strlen(url) >= 512)
        return lfr_fail(ctx, LFR_EINVAL,
                        "centre: an https:// URL with a host and port and nothing after them "
                        "(https://centre.example:8443)");
    return LFR_OK;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    edge_link *l = arg;
    size_t len = size * n;
    if (l->reply_len + len + 1 > MAX_REPLY_BYTES) {
        l->too_large = 1;
        return 0;
    }
    if (l->reply_len + len + 1 > l->reply_cap) {
        size_t cap = l->reply_cap ? l->reply_cap : 65536;
        while (cap < l->reply_len + len + 1)
            cap *= 2;
        /* An answer holds sealed templates only: nothing to wipe, but the
         * buffer is reused, so it is wiped as it grows anyway. */
        char *grown = lfr_wipe_realloc(l->reply, cap);
        if (!grown) return 0;
        l->reply = grown;
        l->reply_cap = cap;
    }
    memcpy(l->reply + l->reply_len, data, len);
    l->reply_len += len;
    l->reply[l->reply_len] = '\0';
    return len;
}

/* Keeps the answer's signature header. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    edge_link *l = arg;
    size_t len = size * n;
    static const char name[] = "x-lfr-reply-signature:";
    if (len > sizeof name - 1 && !strncasecmp(data, name, sizeof name - 1)) {
        const char *v = data + sizeof name - 1;
        size_t vlen = len - (sizeof name - 1);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof l->reply_sig) {
            memcpy(l->reply_sig, v, vlen);
            l->reply_sig[vlen] = '\0';
        }
    }
    return len;
}

void link_set_timeout(edge_link *l, int64_t ms)
{
    l->timeout_ms = ms;
}

int link_new(lfr_ctx *ctx, const char *centre, const char *ca, int64_t node_id,
             const node_keys *keys, const uint8_t *centre_sign_pk, edge_link **out)
{
    *out = NULL;
    int rc = link_check_url(ctx, centre);
    if (rc) return rc;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) return lfr_fail(ctx, LFR_EIO, "libcurl did not start");
    edge_link *l = lfr_calloc(1, sizeof *l);
    if (!l || !(l->curl = curl_easy_init())) {
        lfr_free(l);
        return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    }
    snprintf(l->centre, sizeof l->centre, "%s", centre);
    snprintf(l->ca, sizeof l->ca, "%s", ca ? ca : "");
    l->node_id = node_id;
    l->keys = keys;
    if (centre_sign_pk) {
        memcpy(l->centre_sign_pk, centre_sign_pk, sizeof l->centre_sign_pk);
        l->verify = 1;
    }
    *out = l;
    return LFR_OK;
}

void link_free(edge_link *l)
{
    if (!l) return;
    curl_easy_cleanup(l->curl);
    lfr_wipe_free(l->reply, l->reply_cap);
    lfr_free(l);
}

int link_post(lfr_ctx *ctx, edge_link *l, const char *path, const json_t *body, long *status,
              json_t **reply)
{
    *status = 0;
    *reply = NULL;
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    size_t text_len = strlen(text);
    int64_t now = edge_wall_us() / 1000;
    char sig[LFR_NODE_SIG_B64], url[1024], h_node[64], h_time[64], h_sig[128];
    lfr_node_sign_request(l->keys->sign_sk, "POST", path, now, text, text_len, sig);
    snprintf(url, sizeof url, "%s%s", l->centre, path);
    snprintf(h_node, sizeof h_node, "X-LFR-Node: %lld", (long long)l->node_id);
    snprintf(h_time, sizeof h_time, "X-LFR-Time: %lld", (long long)now);
    snprintf(h_sig, sizeof h_sig, "X-LFR-Signature: %s", sig);
    struct curl_slist *h = NULL, *t;
    const char *lines[] = {"Content-Type: application/json", h_node, h_time, h_sig, "Expect:"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (!(t = curl_slist_append(h, lines[i]))) break;
        h = t;
    }
    CURL *c = l->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)text_len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, l);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* A dead link is given up on within seconds (the node must go on
     * judging its windows and silences); a slow one that still moves is
     * not, for an assignment may be megabytes of templates. */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 512L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(l->timeout_ms > 0 ? l->timeout_ms : 300000));
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, l);
    l->reply_sig[0] = '\0';
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (l->ca[0]) curl_easy_setopt(c, CURLOPT_CAINFO, l->ca);
    l->reply_len = 0;
    l->too_large = 0;
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(h);
    free(text);
    if (l->too_large)
        return lfr_fail(ctx, LFR_ELIMIT, "the centre's answer is over %zu bytes", MAX_REPLY_BYTES);
    if (cc != CURLE_OK)
        return lfr_fail(ctx, LFR_EIO, "the centre (%s) cannot be reached: %s", l->centre,
                        curl_easy_strerror(cc));
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    /* An answer not signed by the centre for this request is no answer:
     * a proxy cannot refuse an alert, revoke the node or give it work. */
    if (l->verify && lfr_node_verify_reply(l->centre_sign_pk, sig, code, l->reply ? l->reply : "",
                                           l->reply_len, l->reply_sig))
        return lfr_fail(ctx, LFR_EIO,
                        "an answer (HTTP %ld) not signed by the centre's key: "
                        "ignored",
                        code);
    *status = code;
    json_error_t err;
    if (l->reply_len) *reply = json_loadb(l->reply, l->reply_len, 0, &err);
    return LFR_OK;
}
