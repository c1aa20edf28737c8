/* lfr/server.h - `lfr serve`: the JSON API (docs/api.md), the operator
 * console's static files, server-sent events, metrics, and the camera
 * pipelines of live deployments, in one process on one database.
 *
 * Threads: libmicrohttpd runs a thread per connection; every request that
 * touches the database holds one lock around its policy calls (SQLite
 * calls are short; the engine work of an upload runs outside it). A runner
 * thread ends what must end, applies retention, and starts and stops the
 * pipelines of live deployments, each on its own threads.
 */
#ifndef LFR_SERVER_H
#define LFR_SERVER_H

#include "lfr/policy.h"
#include "lfr/vision.h"

typedef struct lfr_server_config {
    const char *listen;    /* "127.0.0.1:8080" */
    const char *db_path;   /* SQLite database */
    const char *key_path;  /* watchlist key (0600); default db_path + ".key" */
    const char *web_dir;   /* the console's files */
    const char *model_dir; /* NULL: the default model folder */
    const char *tls_cert;  /* PEM files: both or neither */
    const char *tls_key;
    int retention_days;       /* alert data kept (PRI-3), 1..31, default 31 */
    int session_hours;        /* absolute session lifetime (8) */
    int session_idle_minutes; /* (30) */
    int max_body_bytes;       /* JSON bodies (1 MiB) */
    int max_upload_bytes;     /* watchlist photo uploads (12 MiB) */
    int tick_ms;              /* runner period (1000) */
    /* Connections (issue 13 item 1): at most max_connections (512) in all
     * and max_connections_per_address (64: raise it behind a reverse proxy)
     * from one client address; a request's headers must arrive within
     * header_timeout_s (10) and its body within body_timeout_s (60), a fifth
     * of that once three quarters of the connections are taken. */
    int max_connections, max_connections_per_address;
    int header_timeout_s, body_timeout_s;
    /* New connections one address may open a second (200; bursts of twice
     * that): a flood beyond it is refused at accept (0: no bound). */
    int max_new_connections_per_second;
    /* 1: a deployment goes live only after a walk test (ACC-3; the force's
     * rule, recorded in the audit log at every start). */
    int require_walk_test;
    /* 1: the console keeps an operator's or engagement officer's session
     * awake while their alert queue is open and visible; 0 (default): it
     * warns before the idle timeout and signs them out at it. The force's
     * rule (issue 15 item 2). */
    int queue_keeps_session;
    /* A bearer token for /metrics (Prometheus); NULL: only logged-in
     * administrators and auditors may read it. */
    const char *metrics_token;
    /* The log on stderr: one logfmt line per event at this level or above:
     * "debug", "info" (NULL: the default), "warn" or "error". */
    const char *log_level;
} lfr_server_config;

lfr_server_config lfr_server_default_config(void);

typedef struct lfr_server lfr_server;

/* Opens the database (migrating it), loads the engine and starts listening.
 * On a database without users, creates the administrator "admin" with the
 * password in admin_password (NULL: a random one, written to
 * *new_admin_password, which the caller shows once and wipes; otherwise
 * *new_admin_password is NULL). */
int lfr_server_new(lfr_ctx *ctx, const lfr_server_config *cfg, const char *admin_password,
                   char **new_admin_password, lfr_server **out);
/* The port actually bound (useful with port 0). */
int lfr_server_port(const lfr_server *s);
/* 1 if this start created the first administrator (the database had no
 * users); 0 if it had them, so a given administrator password did not
 * apply. */
int lfr_server_created_admin(const lfr_server *s);
/* Serves until lfr_server_stop (safe from a signal handler). */
int lfr_server_run(lfr_ctx *ctx, lfr_server *s);
void lfr_server_stop(lfr_server *s);
/* Stops the pipelines and the listener, and frees everything, wiping. */
void lfr_server_free(lfr_server *s);

#endif
