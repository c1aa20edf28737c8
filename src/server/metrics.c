/* server/metrics.c - /metrics in Prometheus's text format: the process,
 * the build, the HTTP front door and the live cameras (runner_metrics),
 * every family with its HELP and TYPE. Counts and ids only: never a face, a
 * name or a watchlist entry. */
#include "internal.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* For the scraper holding the token, or a logged-in administrator or
 * auditor: the metrics say which deployments are live. */
static int metrics_allowed(request *r)
{
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
    const char *want = r->srv->cfg.metrics_token;
    if (auth && want && *want && !strncmp(auth, "Bearer ", 7) && strlen(auth + 7) == strlen(want) &&
        sodium_memcmp(auth + 7, want, strlen(want)) == 0)
        return 1;
    session s;
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "lfr_session");
    int ok =
        sessions_find(r->srv->sessions, cookie, 0, &s) == 0 &&
        lfr_actor_need(r->ctx, &s.actor, LFR_ROLE_ADMIN | LFR_ROLE_AUDITOR, "metrics") == LFR_OK;
    sodium_memzero(&s, sizeof s);
    return ok;
}

void metrics_family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Resident memory from /proc (bytes), 0 if it cannot be read. */
static double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f) return 0;
    int n = fscanf(f, "%ld %ld", &pages, &resident);
    fclose(f);
    return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : 0;
}

static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the folder's own descriptor */
}

static void process_metrics(struct lfr_server *srv, FILE *out)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    metrics_family(out, "process_cpu_seconds_total", "counter",
                   "User and system CPU time spent, in seconds.");
    fprintf(out, "process_cpu_seconds_total %.3f\n", cpu);
    metrics_family(out, "process_resident_memory_bytes", "gauge", "Resident memory, in bytes.");
    fprintf(out, "process_resident_memory_bytes %.0f\n", resident_bytes());
    metrics_family(out, "process_open_fds", "gauge", "Open file descriptors.");
    fprintf(out, "process_open_fds %.0f\n", open_fds());
    metrics_family(out, "process_start_time_seconds", "gauge",
                   "Start time of the server since the Unix epoch, in seconds.");
    fprintf(out, "process_start_time_seconds %.0f\n", srv->started_unix);
    metrics_family(out, "lfr_uptime_seconds", "gauge", "Seconds since the server started.");
    fprintf(out, "lfr_uptime_seconds %.0f\n", (double)time(NULL) - srv->started_unix);
    metrics_family(out, "lfr_build_info", "gauge",
                   "Always 1; the labels name the versions of the server and ONNX Runtime.");
    fprintf(out, "lfr_build_info{version=\"%s\",onnxruntime=\"%s\"} 1\n", LFR_VERSION,
            lfr_runtime_ort_version());
}

static void http_metrics(struct lfr_server *srv, FILE *out)
{
    metrics_family(out, "lfr_http_responses_total", "counter",
                   "HTTP responses sent, by class of status.");
    for (int c = 1; c < 6; c++)
        fprintf(out, "lfr_http_responses_total{class=\"%dxx\"} %lld\n", c,
                (long long)atomic_load(&srv->requests_by_class[c]));
    metrics_family(out, "lfr_http_connections_cut_total", "counter",
                   "Connections closed for sending too slowly or too much.");
    fprintf(out, "lfr_http_connections_cut_total %lld\n", guard_closed(srv->guard));
    metrics_family(out, "lfr_http_connections_refused_total", "counter",
                   "Connections refused at accept, over an address's rate or the limit.");
    fprintf(out, "lfr_http_connections_refused_total %lld\n", guard_refused(srv->guard));
}

enum MHD_Result api_metrics(request *r)
{
    if (!metrics_allowed(r))
        return reply_error(r, 401, "unauthenticated",
                           "metrics: a bearer token (lfr serve --metrics-token-file) or an "
                           "administrator's or auditor's session");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return reply_error(r, 500, "internal", "out of memory");
    process_metrics(r->srv, f);
    http_metrics(r->srv, f);
    runner_metrics(r->srv->runner, f);
    if (fclose(f)) {
        free(text);
        return reply_error(r, 500, "internal", "out of memory");
    }
    enum MHD_Result ret = reply_bytes(r, 200, "text/plain; version=0.0.4", text, len);
    free(text);
    return ret;
}
