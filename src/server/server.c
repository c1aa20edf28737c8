/* server/server.c - the HTTP server: libmicrohttpd with a thread per
 * connection (server-sent event streams block in their threads), request
 * bodies gathered within their limits, the API dispatched by routes.c, the
 * console's static files, and /metrics. Also the server's life: opening the
 * database and the engine, the first administrator, and shutting down. */
#include "internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

lfr_server_config lfr_server_default_config(void)
{
    return (lfr_server_config){
        .listen = "127.0.0.1:8080",
        .retention_days = 31,
        .session_hours = 8,
        .session_idle_minutes = 30,
        .max_body_bytes = 1 << 20,
        .max_upload_bytes = 12 << 20,
        .tick_ms = 1000,
        .max_connections = 512,
        .max_connections_per_address = 64,
        .header_timeout_s = 10,
        .body_timeout_s = 60,
        .max_new_connections_per_second = 200,
    };
}

/* ---- static files ---- */

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {{".html", "text/html; charset=utf-8"},
                                           {".css", "text/css; charset=utf-8"},
                                           {".js", "text/javascript; charset=utf-8"},
                                           {".mjs", "text/javascript; charset=utf-8"},
                                           {".svg", "image/svg+xml"},
                                           {".png", "image/png"},
                                           {".ico", "image/x-icon"},
                                           {".json", "application/json"},
                                           {".webmanifest", "application/manifest+json"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i][0])) return types[i][1];
    return NULL;
}

/* Only plain names under the web folder: no "..", no hidden files, no
 * characters a path could play tricks with. */
static int safe_path(const char *url)
{
    if (url[0] != '/' || strlen(url) > 200) return 0;
    for (const char *c = url; *c; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '/' || *c == '-' || *c == '_' || *c == '.';
        if (!ok) return 0;
        if (*c == '.' && c[-1] == '/') return 0;
    }
    return 1;
}

static enum MHD_Result serve_static(request *r)
{
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
        return reply_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
    const char *url = !strcmp(r->url, "/") ? "/index.html" : r->url;
    const char *type = safe_path(url) ? content_type(url) : NULL;
    if (!type) return reply_error(r, 404, "not_found", "no such file: %.100s", r->url);
    char path[4096];
    snprintf(path, sizeof path, "%s%s", r->srv->web_dir, url);
    size_t len = 0;
    uint8_t *data = NULL;
    lfr_ctx *ctx = r->ctx;
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode) || lfr_read_file(ctx, path, 8 << 20, &data, &len))
        return reply_error(r, 404, "not_found", "no such file: %.100s", r->url);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_COPY);
    lfr_free(data);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'self'");
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    atomic_fetch_add(&r->srv->requests_by_class[2], 1);
    return ret;
}

/* ---- requests ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    struct lfr_server *srv = cls;
    request *r = *con_cls;
    if (!r) {
        /* nice 10 was not enough: 32 busy connections outweighed a camera
         * (docs/benchmarks.md). */
        guard_yield_to_cameras(19);
        r = lfr_calloc(1, sizeof *r);
        if (!r || lfr_ctx_new(&r->ctx)) {
            lfr_free(r);
            return MHD_NO;
        }
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->url = url;
        *con_cls = r;
        guard_headers_done(srv->guard, conn);
        /* Crowded: those logged in first (a flood of strangers' slow
         * connections must not shut officers out). */
        if (guard_crowded(srv->guard)) {
            session sess;
            const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "lfr_session");
            int known = sessions_find(srv->sessions, cookie, 0, &sess) == 0;
            sodium_memzero(&sess, sizeof sess);
            if (!known) {
                guard_replying(srv->guard, conn);
                return reply_busy(r, "the server is at its connection limit: logged-in users "
                                     "are served first");
            }
        }
        /* Who may send what is known from the headers: nothing of a body
         * is read before the route, the session and the CSRF token pass. */
        if (!strncmp(url, "/api/", 5) && routes_admit(r)) {
            guard_replying(srv->guard, conn);
            return MHD_YES;
        }
        /* Watchlist and blue list uploads carry a photo, an import many;
         * everything else is small. */
        r->body_limit = r->handler == api_watchlist_add || r->handler == api_bluelist_add
                            ? (size_t)srv->cfg.max_upload_bytes
                        : r->handler == api_watchlist_import
                            ? (size_t)srv->cfg.max_upload_bytes * IMPORT_UPLOADS
                            : (size_t)srv->cfg.max_body_bytes;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > r->body_limit)
            return reply_error(r, 413, "too_large", "the body is over %zu bytes", r->body_limit);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->replied || r->too_large) return MHD_YES;
        if (r->body_len + n > r->body_limit) {
            r->too_large = 1; /* chunked: discovered as it comes */
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = (r->body_len + n + 1) * 2;
            if (cap > r->body_limit + 1) cap = r->body_limit + 1;
            char *grown = lfr_alloc(cap);
            if (!grown) return MHD_NO;
            if (r->body) memcpy(grown, r->body, r->body_len);
            if (r->body) lfr_wipe_free(r->body, r->body_cap);
            r->body = grown;
            r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    /* The whole request is in: what remains is the server's to send. */
    guard_replying(srv->guard, conn);
    if (r->replied) return MHD_YES;
    if (r->too_large)
        return reply_error(r, 413, "too_large", "the body is over %zu bytes", r->body_limit);
    if (r->handler) return r->handler(r);
    if (!strcmp(url, "/metrics")) return api_metrics(r);
    if (!strcmp(url, "/healthz")) return api_healthz(r);
    if (!strcmp(url, "/readyz")) return api_readyz(r);
    return serve_static(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    struct lfr_server *srv = cls;
    (void)why;
    guard_request_done(srv->guard, conn);
    request *r = *con_cls;
    if (!r) return;
    /* Bodies may hold photos and passwords. */
    if (r->body) lfr_wipe_free(r->body, r->body_cap);
    sodium_memzero(&r->sess, sizeof r->sess);
    lfr_ctx_free(r->ctx);
    lfr_free(r);
    *con_cls = NULL;
}

/* ---- life ---- */

static char *copy(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int parse_listen(lfr_ctx *ctx, const char *listen, struct sockaddr_in *sa)
{
    char host[64];
    unsigned port = 0;
    int n = 0;
    memset(sa, 0, sizeof *sa);
    if (sscanf(listen, "%63[^:]:%u%n", host, &port, &n) != 2 || listen[n] || port > 65535 ||
        inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return lfr_fail(ctx, LFR_EINVAL,
                        "listen address '%s': expected IPv4:PORT like 127.0.0.1:8080", listen);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return LFR_OK;
}

/* The first start: an administrator, with a one-time password. */
static int first_admin(lfr_ctx *ctx, struct lfr_server *s, const char *password, char **shown)
{
    *shown = NULL;
    int64_t users = 0;
    int rc = lfr_user_count(ctx, s->policy, &users);
    if (rc || users > 0) return rc;
    char generated[LFR_ONE_TIME_PASSWORD_LEN];
    if (!password) {
        lfr_one_time_password(generated);
        password = generated;
    }
    rc = lfr_user_add(ctx, s->policy, NULL, "admin", LFR_ROLE_ADMIN, 0, password);
    s->created_admin = rc == LFR_OK;
    /* A generated password is for one login: it must be changed then. */
    if (rc == LFR_OK && password == generated)
        rc = lfr_user_require_new_password(ctx, s->policy, "admin");
    if (rc == LFR_OK && password == generated && !(*shown = strdup(generated)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    sodium_memzero(generated, sizeof generated);
    return rc;
}

/* host/pid/random: unique among the servers on one database, and says
 * which machine ran a deployment's cameras when the audit log names it. */
static void node_id(char *buf, size_t len)
{
    char host[64] = "";
    if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "unknown");
    unsigned char r[4];
    randombytes_buf(r, sizeof r);
    snprintf(buf, len, "%s/%ld/%02x%02x%02x%02x", host, (long)getpid(), r[0], r[1], r[2], r[3]);
}

int lfr_server_new(lfr_ctx *ctx, const lfr_server_config *cfg, const char *admin_password,
                   char **new_admin_password, lfr_server **out)
{
    *out = NULL;
    *new_admin_password = NULL;
    if (!cfg->db_path || !cfg->web_dir)
        return lfr_fail(ctx, LFR_EINVAL, "serve: no database or web folder");
    if (!cfg->tls_cert != !cfg->tls_key)
        return lfr_fail(ctx, LFR_EINVAL, "serve: TLS needs both a certificate and a key");
    if (cfg->retention_days < 1 || cfg->retention_days > 31)
        return lfr_fail(ctx, LFR_EINVAL, "serve: retention must be 1 to 31 days (PRI-3)");
    log_level level = LOG_INFO;
    if (cfg->log_level && log_level_parse(cfg->log_level, &level))
        return lfr_fail(ctx, LFR_EINVAL, "serve: log level '%s' is not debug, info, warn or error",
                        cfg->log_level);
    log_set_level(level);
    /* Photos, crops, keys and templates will live in this process. */
    int rc = lfr_core_dumps_off(ctx);
    if (rc) return rc;
    /* A file size limit (or a full quota) is a write error the server
     * handles, alerts waiting until the store takes them, not a death. */
    signal(SIGXFSZ, SIG_IGN);
    struct sockaddr_in sa;
    rc = parse_listen(ctx, cfg->listen, &sa);
    if (rc) return rc;
    struct lfr_server *s = lfr_calloc(1, sizeof *s);
    if (!s) return lfr_fail(ctx, LFR_ENOMEM, "out of memory");
    s->cfg = *cfg;
    s->started_unix = (double)time(NULL);
    s->db_path = copy(cfg->db_path);
    s->web_dir = copy(cfg->web_dir);
    s->model_dir = copy(cfg->model_dir);
    s->key_path = copy(cfg->key_path);
    node_id(s->node_id, sizeof s->node_id);
    pthread_mutex_init(&s->db_lock, NULL);
    lfr_policy_config pc = lfr_policy_default_config();
    lfr_engine_params ep = lfr_engine_default_params();
    ep.model_dir = s->model_dir;
    size_t len = 0;
    if ((rc = lfr_runtime_new(ctx, NULL, &s->rt)) ||
        (rc = lfr_engine_new(ctx, s->rt, &ep, &s->engine)))
        goto fail;
    /* DEP-6 and DEP-7 come from the embedder's measured operating points;
     * a force's floor is a setting in the database (lfr_policy_set_floor). */
    if ((rc = lfr_policy_config_use_model(ctx, &pc,
                                          lfr_engine_model(s->engine, LFR_MODEL_EMBEDDER))))
        goto fail;
    pc.require_walk_test = cfg->require_walk_test != 0;
    /* What this start runs with is on the record: a retention or a session
     * limit changed between starts shows in the audit log. Secrets never. */
    char shown_db[4200];
    lfr_store_display_name(s->db_path, shown_db, sizeof shown_db);
    json_t *effective = json_pack(
        "{s:s,s:s,s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:i,s:b,s:b,s:b,s:s}", "listen", cfg->listen,
        "database", shown_db, "models", s->model_dir ? s->model_dir : "default", "tls",
        cfg->tls_cert != NULL, "retention_days", cfg->retention_days, "session_hours",
        cfg->session_hours, "session_idle_minutes", cfg->session_idle_minutes, "tick_ms",
        cfg->tick_ms, "max_connections", cfg->max_connections, "max_connections_per_address",
        cfg->max_connections_per_address, "require_walk_test", cfg->require_walk_test != 0,
        "alert_queue_keeps_session", cfg->queue_keeps_session != 0, "metrics_token",
        cfg->metrics_token != NULL, "log_level", cfg->log_level ? cfg->log_level : "info");
    char *effective_text = effective ? json_dumps(effective, JSON_COMPACT) : NULL;
    json_decref(effective);
    if (!effective_text) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        goto fail;
    }
    pc.start_settings = effective_text;
    rc = lfr_policy_open(ctx, s->db_path, s->key_path, &pc, &s->store, &s->policy);
    free(effective_text);
    if (rc || (rc = first_admin(ctx, s, admin_password, new_admin_password))) goto fail;
    /* The key that signs answers to edge nodes; a server without the
     * watchlist key answers nodes unsigned, and they take nothing from it. */
    if (lfr_policy_has_key(s->policy)) {
        uint8_t pk[LFR_NODE_KEY_BYTES];
        if (!(s->centre_sign_sk = lfr_locked_alloc(LFR_NODE_SIGN_SK_BYTES))) {
            rc = lfr_locked_fail(ctx, "the centre's signing key");
            goto fail;
        }
        if ((rc = lfr_node_centre_sign_key(ctx, s->policy, pk, s->centre_sign_sk))) goto fail;
    }
    if ((rc = sessions_new(ctx, s->db_path, &s->sessions, cfg->session_hours * 3600 * 1000,
                           cfg->session_idle_minutes * 60 * 1000)))
        goto fail;
    if (events_new(&s->events) || feeds_new(&s->feeds)) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "out of memory");
        goto fail;
    }
    if (cfg->tls_cert) {
        uint8_t *pem = NULL;
        /* lfr_read_file leaves a byte after the data: room for the NUL. */
        if ((rc = lfr_read_file(ctx, cfg->tls_cert, 1 << 20, &pem, &len))) goto fail;
        pem[len] = '\0';
        s->tls_cert_pem = (char *)pem;
        if ((rc = lfr_read_file(ctx, cfg->tls_key, 1 << 20, &pem, &len))) goto fail;
        pem[len] = '\0';
        s->tls_key_pem = (char *)pem;
    }
    /* Several servers on one PostgreSQL database share their events. */
    if (lfr_store_is_url(s->db_path)) {
        if ((rc = relay_new(ctx, s->db_path, s->node_id, s->events, &s->relay))) goto fail;
        events_set_relay(s->events, s->relay);
    }
    /* The runner exists before the first request can ask for it: the
     * connection threads read s->runner without a lock. */
    if ((rc = runner_new(ctx, s, &s->runner))) goto fail;
    if (cfg->max_connections < 8 || cfg->max_connections_per_address < 1 ||
        cfg->max_new_connections_per_second < 0 || cfg->header_timeout_s < 1 ||
        cfg->body_timeout_s < 1) {
        rc = lfr_fail(ctx, LFR_EINVAL, "serve: connection limits and timeouts must be positive");
        goto fail;
    }
    if (guard_new(&s->guard, cfg->max_connections, cfg->header_timeout_s, cfg->body_timeout_s,
                  cfg->max_new_connections_per_second)) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "serve: cannot start the connection guard");
        goto fail;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (cfg->tls_cert ? MHD_USE_TLS : 0);
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &sa},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)log_mhd, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)guard_on_connection, s->guard},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_connections_per_address, NULL},
        /* Idle, between bytes; the guard bounds each request as a whole. */
        {MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL},
        /* Without TLS the list ends here. */
        {cfg->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem},
        {MHD_OPTION_END, 0, NULL}};
    s->daemon = MHD_start_daemon(flags, 0, guard_accept, s->guard, on_request, s, MHD_OPTION_ARRAY,
                                 options, MHD_OPTION_END);
    if (!s->daemon) {
        rc = lfr_fail(ctx, LFR_EIO, "serve: cannot listen on %s (in use, or not allowed)",
                      cfg->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    slog(LOG_INFO, "server.start", "port=%d tls=%s version=%s onnxruntime=%s", s->port,
         cfg->tls_cert ? "true" : "false", LFR_VERSION, lfr_runtime_ort_version());
    *out = s;
    return LFR_OK;
fail:
    if (*new_admin_password) {
        sodium_memzero(*new_admin_password, strlen(*new_admin_password));
        free(*new_admin_password);
        *new_admin_password = NULL;
    }
    lfr_server_free(s);
    return rc;
}

int lfr_server_created_admin(const lfr_server *s)
{
    return s->created_admin;
}

int lfr_server_port(const lfr_server *s)
{
    return s->port;
}

int lfr_server_run(lfr_ctx *ctx, lfr_server *s)
{
    (void)ctx;
    /* Polled, so that lfr_server_stop can be a signal handler's one store. */
    const struct timespec pause = {0, 100 * 1000 * 1000};
    while (!atomic_load(&s->stopping))
        nanosleep(&pause, NULL);
    return LFR_OK;
}

void lfr_server_stop(lfr_server *s)
{
    atomic_store(&s->stopping, 1);
}

void lfr_server_free(lfr_server *s)
{
    if (!s) return;
    atomic_store(&s->stopping, 1);
    if (s->daemon) slog(LOG_INFO, "server.stop", "port=%d", s->port);
    /* Event streams end first, so that stopping the listener does not wait
     * on them; then no request runs while the runner goes. */
    if (s->events) events_shutdown(s->events);
    if (s->feeds) feeds_shutdown(s->feeds);
    if (s->daemon) MHD_stop_daemon(s->daemon);
    guard_free(s->guard);
    runner_free(s->runner);
    /* After the runner, whose last events go out through it. */
    if (s->events) events_set_relay(s->events, NULL);
    relay_free(s->relay);
    events_free(s->events);
    feeds_free(s->feeds);
    sessions_free(s->sessions);
    lfr_policy_free(s->policy);
    lfr_locked_free(s->centre_sign_sk);
    lfr_store_close(s->store);
    lfr_engine_free(s->engine);
    lfr_runtime_free(s->rt);
    if (s->tls_key_pem) lfr_wipe_free(s->tls_key_pem, strlen(s->tls_key_pem));
    lfr_free(s->tls_cert_pem);
    free(s->db_path);
    free(s->key_path);
    free(s->web_dir);
    free(s->model_dir);
    pthread_mutex_destroy(&s->db_lock);
    lfr_free(s);
}
