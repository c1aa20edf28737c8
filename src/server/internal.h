/* server/internal.h - private to the server module. */
#ifndef LFR_SERVER_INTERNAL_H
#define LFR_SERVER_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "lfr/pipeline.h"
#include "lfr/server.h"

/* ---- sessions (session.c) ---- */

typedef struct session_table session_table;

typedef struct session {
    char token[65]; /* cookie value */
    char csrf[65];
    lfr_actor actor;
    int64_t created_ms, seen_ms;
} session;

/* On a connection of its own to the database db (its sessions table). */
int sessions_new(lfr_ctx *ctx, const char *db, session_table **out, int max_age_ms, int idle_ms);
void sessions_free(session_table *t);
/* Creates a session for actor (a user's oldest gives way past 8); the new
 * session is copied to *out. -1 when the database could not take it. */
int sessions_open(session_table *t, const lfr_actor *actor, session *out);
/* Finds a live session by token; 0 if found. refresh: this is the user's
 * own doing, so the idle clock restarts (not for event streams and
 * background polls, or an unattended screen would never time out). */
int sessions_find(session_table *t, const char *token, int refresh, session *out);
void sessions_close(session_table *t, const char *token);
/* Ends every session of a user (disabled). */
void sessions_close_user(session_table *t, const char *name);
/* Login throttling, checked and counted in one step: five failures lock a
 * user name for the client address they came from, a hundred lock the
 * address itself. 0 if the name may try now from there (the try counts as
 * a failure until sessions_login_succeeded), else the seconds until it
 * may. */
int sessions_login_begin(session_table *t, const char *name, const char *address);
void sessions_login_succeeded(session_table *t, const char *name, const char *address);

/* ---- server-sent events (events.c) ---- */

typedef struct event_hub event_hub;

int events_new(event_hub **out);
void events_free(event_hub *h);
typedef struct event_relay event_relay;
/* Publishes one event (type: alert, camera, deployment) to every listener,
 * of every server when a relay is set. */
void events_publish(event_hub *h, const char *type, json_t *data /* stolen */);
/* To this server's listeners only (what the relay received). */
void events_deliver(event_hub *h, const char *type, json_t *data /* stolen */);
void events_set_relay(event_hub *h, event_relay *relay);
/* Wakes every listener so it can notice the server stopping. */
void events_shutdown(event_hub *h);
/* A streaming response for a listener whose session token is given. */
struct MHD_Response *events_response(event_hub *h, struct lfr_server *srv, const char *token);

/* ---- events between servers on one PostgreSQL database (relay.c) ---- */

int relay_new(lfr_ctx *ctx, const char *db, const char *node_id, event_hub *hub, event_relay **out);
/* Sends an event to the other servers' hubs; LFR_OK once the database
 * took it. */
int relay_send(event_relay *r, const char *type, const json_t *data);
void relay_free(event_relay *r);

/* ---- live deployments (runner.c) ---- */

typedef struct runner runner;

int runner_new(lfr_ctx *ctx, struct lfr_server *srv, runner **out);
/* Asks the runner to look again now (after start, stop, suspend...). */
void runner_wake(runner *r);
void runner_free(runner *r); /* stops every pipeline */
/* The monitor view of a deployment: {running, cameras: [...], ...}. */
json_t *runner_monitor(runner *r, int64_t deployment);
/* Prometheus lines for every running camera. */
void runner_metrics(runner *r, FILE *out);
/* The log (log.c): one logfmt line per event on stderr. fmt gives the
 * event's key=value pairs; text from outside goes through log_quote. */
typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
int log_level_parse(const char *name, log_level *out); /* -1: not a level */
void log_set_level(log_level level);
void slog(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* text quoted and escaped into buf (returned), cut to fit. */
const char *log_quote(const char *text, char *buf, size_t len);
/* libmicrohttpd's messages, at debug level. */
void log_mhd(void *arg, const char *fmt, va_list ap);

/* Writes a metric family's HELP and TYPE lines. */
void metrics_family(FILE *out, const char *name, const char *type, const char *help);
/* Milliseconds since the runner last went round (-1: not yet). */
int64_t runner_idle_ms(runner *r);
/* Whether a camera of a deployment is running now (not ended or failed). */
int runner_camera_live(runner *r, int64_t deployment, const char *camera);

/* ---- live pictures (feeds.c) ---- */

/* Pictures a second in an operator's live view: enough to see who is
 * where, little work for the cameras. */
#define LIVE_VIEW_FPS 5

typedef struct feed_table feed_table;
int feeds_new(feed_table **out);
void feeds_free(feed_table *t);
/* Viewers end their streams at once (the server is stopping). */
void feeds_shutdown(feed_table *t);
/* Whether anyone watches the camera (its pipeline makes views only then). */
int feeds_wanted(feed_table *t, int64_t deployment, const char *camera);
/* A camera's newest view (already blurred), copied; the one before wiped. */
void feeds_publish(feed_table *t, int64_t deployment, const char *camera, const uint8_t *jpeg,
                   size_t len);
/* An MJPEG stream of the camera's views for one viewer (NULL: out of
 * memory or too many feeds); ends when the camera stops. */
struct MHD_Response *feeds_response(struct lfr_server *srv, int64_t deployment, const char *camera,
                                    const char *user);

/* ---- the connection guard (guard.c) ---- */

typedef struct guard guard;

/* A watchdog over at most limit connections: headers within header_s,
 * bodies within body_s (a fifth of each once crowded); at most rate_per_s
 * new connections a second from one address (0: no bound). -1 on failure. */
int guard_new(guard **out, int limit, int header_s, int body_s, int rate_per_s);
/* The accept policy (MHD_start_daemon's apc, the guard its argument):
 * refuses an address opening connections faster than rate_per_s. */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* Cameras first: on a small machine a flood of requests must not starve the
 * pipelines, so the threads that serve the network run at a lower priority
 * (a nice value, raised once per thread; never lowered again). The runner
 * and the cameras' threads keep the process's. */
void guard_yield_to_cameras(int nice);
/* Connections refused at accept so far. */
long long guard_refused(guard *g);
void guard_free(guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION, with the guard as its argument. */
void guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
/* A request's steps: its headers are in, it is being answered, it is done
 * (a kept-alive connection then waits for the next request's headers). */
void guard_headers_done(guard *g, struct MHD_Connection *conn);
void guard_replying(guard *g, struct MHD_Connection *conn);
void guard_request_done(guard *g, struct MHD_Connection *conn);
/* Three quarters of the connections are taken. */
int guard_crowded(guard *g);
/* Connections cut so far for missing a deadline. */
long long guard_closed(guard *g);

/* ---- the server ---- */

struct lfr_server {
    lfr_server_config cfg;
    double started_unix;                            /* seconds since the epoch, for /metrics */
    char *db_path, *key_path, *web_dir, *model_dir; /* owned copies */
    struct MHD_Daemon *daemon;
    int port;
    lfr_runtime *rt;
    lfr_engine *engine;
    lfr_store *store;
    lfr_policy *policy;
    pthread_mutex_t db_lock; /* one policy call at a time */
    session_table *sessions;
    event_hub *events;
    event_relay *relay; /* PostgreSQL: events shared with the other servers */
    feed_table *feeds;
    runner *runner;
    guard *guard;
    atomic_int stopping;
    atomic_llong requests_by_class[6]; /* responses by status / 100 */
    char *tls_cert_pem, *tls_key_pem;
    int created_admin; /* this start made the first administrator */
    /* This server among those on one database: the holder of the leases of
     * the cameras it runs (host/pid/random). */
    char node_id[128];
    uint8_t *centre_sign_sk; /* locked; signs answers to edge nodes; NULL without the key */
};

/* ---- requests (request.c) ---- */

typedef struct request request;
/* An API handler: replies to the request (one response) and returns MHD's
 * verdict. */
typedef enum MHD_Result (*handler_fn)(request *r);

struct request {
    struct lfr_server *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    char *body;
    size_t body_len, body_cap, body_limit;
    int too_large;
    session sess;
    int64_t ids[2]; /* numeric path parts, in order */
    char name[64];  /* a name path part */
    lfr_ctx *ctx;
    int replied;
    handler_fn handler; /* set by routes_admit */
    /* An edge node's request: its signature, which the answer's signature
     * covers (api_nodes.c); "" for any other. */
    char node_sig[LFR_NODE_SIG_B64];
};

/* Responses; each queues exactly one and returns MHD_YES/NO for MHD. */
enum MHD_Result reply_json(request *r, unsigned status, json_t *body /* stolen */);
/* The same with one more header (a cookie). */
enum MHD_Result reply_json_header(request *r, unsigned status, json_t *body, const char *header,
                                  const char *value);
enum MHD_Result reply_error(request *r, unsigned status, const char *code, const char *fmt, ...);
/* 503 with Retry-After: 1, for work refused because too much of it runs. */
enum MHD_Result reply_busy(request *r, const char *why);

/* A bound on how many of one costly piece of work (a password check, a
 * photo decode) run at once, across connection threads. */
typedef struct gate {
    atomic_int running;
    int max;
} gate;
int gate_enter(gate *g); /* 1: go ahead (then gate_leave); 0: full */
void gate_leave(gate *g);
/* Maps a library error (message in r->ctx) to a status and error body. */
enum MHD_Result reply_rc(request *r, int rc);
/* A response made elsewhere (a stream, a picture sent from its own
 * buffer), 200 with its type and the API's headers (no-store...); NULL is
 * answered 500. */
enum MHD_Result reply_stream(request *r, struct MHD_Response *resp, const char *type);
enum MHD_Result reply_bytes(request *r, unsigned status, const char *type, const void *data,
                            size_t len);
enum MHD_Result reply_ok(request *r); /* 200 {"ok": true} */
/* A file to save (Content-Disposition: attachment); data (malloc'd) is
 * freed. */
enum MHD_Result reply_download(request *r, char *data, size_t len, const char *type,
                               const char *filename);
/* An image decrypted from the store (or the error rc), wiped after. */
enum MHD_Result reply_image(request *r, int rc, uint8_t *img, size_t len);

/* Strict JSON bodies: an object whose keys are all in the spec, with the
 * required ones present and each of its type. Replies 400 (or 415) itself
 * and returns NULL on any fault. */
typedef struct body_field {
    const char *name;
    int type; /* JSON_STRING, JSON_INTEGER, JSON_REAL (any number), JSON_TRUE (any boolean),
                 JSON_ARRAY, JSON_NULL (any) */
    int required;
} body_field;
json_t *body_object(request *r, const body_field *spec);
/* A string member of a validated body, or NULL. */
const char *body_str(json_t *body, const char *name);
/* A body's photo_base64, decoded into a new buffer of cap bytes: 0, or -1
 * after replying (400 for bad base64). body_photo_wipe wipes every copy of
 * the photo (decoded, the request body, the parsed string) and frees it. */
int body_photo(request *r, json_t *body, uint8_t **photo, size_t *len, size_t *cap);
void body_photo_wipe(request *r, json_t *body, uint8_t *photo, size_t cap);
/* Photos being decoded and checked at once (each may take hundreds of MiB). */
extern gate photo_decodes;
/* One watchlist entry into deployment r->ids[0]: the record's checks, the
 * photo's gate and the template (no lock held), then the store (locked).
 * The caller holds photo_decodes: decoding a large photo takes hundreds of
 * MiB, two at once at most. */
int watchlist_add_entry(request *r, const lfr_watchlist_entry *e, const uint8_t *photo, size_t len,
                        int64_t *id, json_t **flags);
/* One row of a bulk report (import, copy): the error, or the new entry's
 * id and the flags it raised (stolen). Returns row. */
json_t *watchlist_row_result(request *r, json_t *row, int rc, int64_t id, json_t *flags);
/* A query argument, or NULL. */
const char *query_arg(request *r, const char *name);

/* The database, under the lock. */
void db_lock(request *r);
void db_unlock(request *r);
int64_t server_now_ms(void);

/* ---- handlers (api_*.c), dispatched by routes.c ---- */

/* At an API request's first call, from its headers alone: its handler
 * (r->handler), and whether this client may call it (session, CSRF token).
 * -1 after queueing the refusal (401, 403, 404, 405), before any body is
 * read. */
int routes_admit(request *r);

enum MHD_Result api_login(request *r);
enum MHD_Result api_nodes_list(request *r);
enum MHD_Result api_node_code(request *r);
enum MHD_Result api_node_approve(request *r);
enum MHD_Result api_node_revoke(request *r);
enum MHD_Result api_deployment_node(request *r);
enum MHD_Result api_node_enrol(request *r);
enum MHD_Result api_node_assignment(request *r);
enum MHD_Result api_node_alert(request *r);
enum MHD_Result api_node_counts(request *r);
enum MHD_Result api_logout(request *r);
enum MHD_Result api_me(request *r);
enum MHD_Result api_password(request *r);
enum MHD_Result api_users_list(request *r);
enum MHD_Result api_users_add(request *r);
enum MHD_Result api_users_disable(request *r);
enum MHD_Result api_users_enable(request *r);
enum MHD_Result api_users_roles(request *r);

enum MHD_Result api_fields(request *r);
enum MHD_Result api_deployments_list(request *r);
enum MHD_Result api_deployments_create(request *r);
enum MHD_Result api_deployment_show(request *r);
enum MHD_Result api_deployment_set(request *r);
enum MHD_Result api_deployment_location(request *r);
enum MHD_Result api_deployment_camera(request *r);
enum MHD_Result api_camera_edit(request *r);
enum MHD_Result api_camera_remove(request *r);
enum MHD_Result api_deployment_submit(request *r);
enum MHD_Result api_deployment_authorise(request *r);
enum MHD_Result api_deployment_ratify(request *r);
enum MHD_Result api_deployment_start(request *r);
enum MHD_Result api_deployment_stop(request *r);
enum MHD_Result api_deployment_suspend(request *r);
enum MHD_Result api_deployment_cancel(request *r);
enum MHD_Result api_deployment_review(request *r);
enum MHD_Result api_deployment_report(request *r);
enum MHD_Result api_deployment_monitor(request *r);
enum MHD_Result api_deployment_live(request *r);
enum MHD_Result api_deployment_preview(request *r);

enum MHD_Result api_watchlist_list(request *r);
enum MHD_Result api_watchlist_add(request *r);
enum MHD_Result api_watchlist_import(request *r);
/* An import's body may be this many photo uploads (max_upload_bytes) */
#define IMPORT_UPLOADS 4
enum MHD_Result api_watchlist_photo(request *r);
enum MHD_Result api_watchlist_review(request *r);
enum MHD_Result api_watchlist_approve(request *r);
enum MHD_Result api_watchlist_remove(request *r);

enum MHD_Result api_bluelist_list(request *r);
enum MHD_Result api_bluelist_add(request *r);
enum MHD_Result api_walktest_start(request *r);
enum MHD_Result api_walktest_pass(request *r);
enum MHD_Result api_walktest_end(request *r);
enum MHD_Result api_walktest_results(request *r);

enum MHD_Result api_alerts_list(request *r);
enum MHD_Result api_alerts_history(request *r);
enum MHD_Result api_alert_show(request *r);
enum MHD_Result api_alert_crop(request *r);
enum MHD_Result api_alert_photo(request *r);
enum MHD_Result api_alert_decision(request *r);
enum MHD_Result api_alert_outcome(request *r);
enum MHD_Result api_alert_hold(request *r);
enum MHD_Result api_alert_release(request *r);
enum MHD_Result api_alert_evidence(request *r);
enum MHD_Result api_holds(request *r);
enum MHD_Result api_watchlist_copy(request *r);
enum MHD_Result api_events(request *r);

enum MHD_Result api_floor_show(request *r);
enum MHD_Result api_floor_set(request *r);

enum MHD_Result api_audit_list(request *r);
enum MHD_Result api_audit_export(request *r);
enum MHD_Result api_sar(request *r);
enum MHD_Result api_audit_verify(request *r);
enum MHD_Result api_metrics(request *r);
/* health.c: without login, for a supervisor or a load balancer. */
enum MHD_Result api_healthz(request *r);
enum MHD_Result api_readyz(request *r);

enum MHD_Result api_report_notice(request *r);
enum MHD_Result api_report_review(request *r);
enum MHD_Result api_report_record(request *r);
enum MHD_Result api_report_summary(request *r);
enum MHD_Result api_oversight(request *r);

#endif
