/* fuzz/fuzz_api.c - libFuzzer target for the HTTP API's JSON bodies through
 * the real server: any body on any route that takes one is answered with a
 * well-formed HTTP response below 500, never a crash or a hang.
 *
 * The handlers answer through libmicrohttpd's connection, so there is no
 * smaller door than a socket: the server is started once on an ephemeral
 * port of 127.0.0.1 over a fresh database (an administrator, an officer
 * holding every role that sees faces, two draft deployments), and each
 * input is one POST on a kept-alive connection. The input's first byte
 * picks the route, the rest is the body. The state carries over between
 * inputs (deployments made, fields set), as it does in a real server, so
 * a finding is replayed with the inputs before it; FUZZ_API_TRACE=1 prints
 * each request's route and reply. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the scratch folder */

#include "lfr/server.h"
#include "fuzz_tree.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ONNX Runtime (the engine the server loads) keeps a few process-lifetime
 * allocations: not ours (tests/lsan.supp says the same). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libonnxruntime.so\n";
}

typedef struct login {
    char cookie[160]; /* "lfr_session=..." */
    char csrf[80];
} login;

enum { NOBODY, ADMIN, OFFICER };

/* Every POST route whose handler reads a JSON body, and who sends it.
 * Deployment 1 is the officer's draft being filled in; cancelling is
 * aimed at deployment 2 so that 1 stays a draft. The password change is
 * left out: it could only ever fail (the password is random), each try a
 * slow argon2 run under the database lock. */
static const struct {
    const char *path;
    int as;
} routes[] = {
    {"/api/login", NOBODY},
    {"/api/users", ADMIN},
    {"/api/settings/threshold-floor", OFFICER},
    {"/api/deployments", OFFICER},
    {"/api/deployments/1/fields", OFFICER},
    {"/api/deployments/1/locations", OFFICER},
    {"/api/deployments/1/cameras", OFFICER},
    {"/api/deployments/1/authorise", OFFICER},
    {"/api/deployments/1/stop", OFFICER},
    {"/api/deployments/1/suspend", OFFICER},
    {"/api/deployments/2/cancel", OFFICER},
    {"/api/deployments/1/watchlist", OFFICER},
    {"/api/deployments/1/bluelist", OFFICER},
    {"/api/deployments/1/walktest/pass", OFFICER},
    {"/api/alerts/1/decision", OFFICER},
    {"/api/alerts/1/outcome", OFFICER},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static struct {
    lfr_ctx *ctx;
    lfr_server *srv;
    int port;
    int fd; /* the kept-alive connection, -1 when closed */
    char dir[4096];
    login as[3];
} api = {.fd = -1};

/* One response, as read. */
typedef struct reply {
    int status;
    char *head; /* status line and headers, NUL-terminated */
    char *body; /* NUL-terminated after body_len bytes */
    size_t body_len;
} reply;

static void fatal(const char *what)
{
    fprintf(stderr, "fuzz_api: %s%s%s\n", what, api.ctx ? ": " : "",
            api.ctx ? lfr_errmsg(api.ctx) : "");
    abort();
}

static void disconnect(void)
{
    if (api.fd >= 0) close(api.fd);
    api.fd = -1;
}

static void connect_server(void)
{
    api.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (api.fd < 0) fatal("socket");
    int one = 1;
    setsockopt(api.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A reply slower than this is a hang: a finding, not a wait. */
    struct timeval limit = {30, 0};
    setsockopt(api.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(api.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)api.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(api.fd, (struct sockaddr *)&sa, sizeof sa)) fatal("connect");
}

static int send_all(const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(api.fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A header's value in head (case-insensitive name), or NULL. */
static const char *header(const char *head, const char *name)
{
    size_t len = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (!strncasecmp(line + 2, name, len) && line[2 + len] == ':') {
            const char *v = line + 3 + len;
            while (*v == ' ')
                v++;
            return v;
        }
    return NULL;
}

/* Reads one response into out (buffers reused across calls). -1 when the
 * connection ended before a byte of it came: the server closed a kept-alive
 * connection, to be tried again on a new one. A malformed response traps. */
static int read_reply(reply *out)
{
    static char *buf;
    static size_t cap;
    size_t len = 0, head_len = 0, want = 0;
    int have_length = 0;
    for (;;) {
        if (head_len && have_length && len >= head_len + want) break;
        if (len + 4097 > cap) {
            cap = (len + 4097) * 2;
            if (!(buf = realloc(buf, cap))) fatal("out of memory");
        }
        ssize_t n = recv(api.fd, buf + len, cap - len - 1, 0);
        if (n < 0 && len == 0) return -1;
        if (n < 0) {
            fprintf(stderr, "fuzz_api: no complete reply within 30 s\n");
            __builtin_trap();
        }
        if (n == 0) {
            if (len == 0) return -1;
            if (head_len && !have_length) break; /* the body ran to the close */
            fprintf(stderr, "fuzz_api: the server closed mid-reply: %.*s\n", (int)len, buf);
            __builtin_trap();
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (!head_len) {
            char *end = strstr(buf, "\r\n\r\n");
            if (!end) continue;
            head_len = (size_t)(end - buf) + 4;
            end[2] = '\0'; /* the head ends at its last CRLF */
            const char *cl = header(buf, "Content-Length");
            if (cl) {
                char *stop;
                want = strtoull(cl, &stop, 10);
                have_length = stop != cl;
            }
        }
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.1 %3d ", &status) != 1 || status < 100 || status > 599) {
        fprintf(stderr, "fuzz_api: not an HTTP response: %.200s\n", buf);
        __builtin_trap();
    }
    const char *conn = header(buf, "Connection");
    if (conn && !strncasecmp(conn, "close", 5)) disconnect();
    out->status = status;
    out->head = buf;
    out->body = buf + head_len;
    out->body_len = have_length ? want : len - head_len;
    out->body[out->body_len] = '\0';
    return 0;
}

/* One POST of body to path as a user, on the kept-alive connection or, if
 * the server had closed it, on a new one. */
static void post(const char *path, const login *as, const uint8_t *body, size_t len, reply *out)
{
    static char *req;
    static size_t cap;
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                     path, len);
    if (as)
        n += snprintf(head + n, sizeof head - (size_t)n, "Cookie: %s\r\nX-CSRF-Token: %s\r\n",
                      as->cookie, as->csrf);
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    if ((size_t)n >= sizeof head) fatal("request head too long");
    if ((size_t)n + len > cap) {
        cap = (size_t)n + len;
        if (!(req = realloc(req, cap))) fatal("out of memory");
    }
    memcpy(req, head, (size_t)n);
    if (len) memcpy(req + n, body, len);
    int reused = api.fd >= 0;
    if (!reused) connect_server();
    if (send_all(req, (size_t)n + len) == 0 && read_reply(out) == 0) return;
    disconnect();
    if (reused) {
        connect_server();
        if (send_all(req, (size_t)n + len) == 0 && read_reply(out) == 0) return;
        disconnect();
    }
    fprintf(stderr, "fuzz_api: POST %s: the server hung up without a reply\n", path);
    __builtin_trap();
}

/* Logs in through the API, as the console does: the session cookie and
 * the CSRF token. */
static void log_in(const char *name, const char *password, login *out)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", name, password);
    reply r;
    post("/api/login", NULL, (const uint8_t *)body, strlen(body), &r);
    json_t *doc = json_loads(r.body, 0, NULL);
    const char *csrf = json_string_value(json_object_get(doc, "csrf"));
    const char *cookie = header(r.head, "Set-Cookie");
    if (r.status != 200 || !csrf || !cookie || strncmp(cookie, "lfr_session=", 12)) {
        fprintf(stderr, "fuzz_api: login as %s: %d %s\n", name, r.status, r.body);
        abort();
    }
    snprintf(out->csrf, sizeof out->csrf, "%s", csrf);
    snprintf(out->cookie, sizeof out->cookie, "%.*s", (int)strcspn(cookie, ";\r"), cookie);
    json_decref(doc);
}

/* A set-up step that must succeed. */
static void must(const char *path, const login *as, const char *body, int status)
{
    reply r;
    post(path, as, (const uint8_t *)body, strlen(body), &r);
    if (r.status != status) {
        fprintf(stderr, "fuzz_api: set-up POST %s: %d %s\n", path, r.status, r.body);
        abort();
    }
}

static void stop_server(void)
{
    disconnect();
    lfr_server_free(api.srv);
    lfr_ctx_free(api.ctx);
    fuzz_remove_tree(api.dir);
}

static void start_server(void)
{
    if (lfr_ctx_new(&api.ctx) || sodium_init() < 0) fatal("start");
    const char *tmp = getenv("TMPDIR");
    snprintf(api.dir, sizeof api.dir, "%s/lfr-fuzz-api-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(api.dir)) fatal("mkdtemp");
    char db[4200];
    snprintf(db, sizeof db, "%s/lfr.db", api.dir);
    /* Random passwords: no seed or mutation can log in as these users and
     * crowd out the fuzzer's own sessions. */
    unsigned char raw[16];
    char admin_pw[33], officer_pw[33];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(admin_pw, sizeof admin_pw, raw, sizeof raw);
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(officer_pw, sizeof officer_pw, raw, sizeof raw);

    lfr_server_config cfg = lfr_server_default_config();
    cfg.listen = "127.0.0.1:0";
    cfg.db_path = db;
    cfg.web_dir = api.dir; /* no console: only the API is fuzzed */
    /* Thousands of requests a second from one address are the point here. */
    cfg.max_new_connections_per_second = 0;
    char *shown = NULL;
    if (lfr_server_new(api.ctx, &cfg, admin_pw, &shown, &api.srv)) fatal("lfr_server_new");
    api.port = lfr_server_port(api.srv);
    atexit(stop_server);

    log_in("admin", admin_pw, &api.as[ADMIN]);
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"officer\",\"roles\":[\"applicant\",\"authoriser\",\"reviewer\","
             "\"operator\",\"engagement\",\"auditor\"],\"rank\":\"chief_constable\","
             "\"password\":\"%s\"}",
             officer_pw);
    must("/api/users", &api.as[ADMIN], body, 201);
    log_in("officer", officer_pw, &api.as[OFFICER]);
    must("/api/deployments", &api.as[OFFICER], "{\"name\":\"fuzz one\"}", 201);
    must("/api/deployments", &api.as[OFFICER], "{\"name\":\"fuzz two\"}", 201);
    sodium_memzero(admin_pw, sizeof admin_pw);
    sodium_memzero(officer_pw, sizeof officer_pw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!api.srv) start_server();
    if (size == 0) return 0;
    size_t which = data[0] % N_ROUTES;
    reply r;
    post(routes[which].path, routes[which].as == NOBODY ? NULL : &api.as[routes[which].as],
         data + 1, size - 1, &r);
    if (getenv("FUZZ_API_TRACE"))
        fprintf(stderr, "POST %s: %d %s\n", routes[which].path, r.status, r.body);
    if (r.status >= 500) {
        fprintf(stderr, "fuzz_api: POST %s: %.*s\n%s\n", routes[which].path,
                (int)(strstr(r.head, "\r\n") - r.head), r.head, r.body);
        __builtin_trap();
    }
    return 0;
}
