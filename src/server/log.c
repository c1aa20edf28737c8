/* server/log.c - the server's log: one line per event on standard error,
 * where journald keeps it, in logfmt:
 *
 *   2026-12-05T16:30:00.123Z level=info event=login user="op.brown" address=127.0.0.1
 *
 * Ids, counts and staff names only: never a face, a watchlist entry's name
 * or a password. Text that comes from outside (a user name typed at login,
 * an error message naming a file) is quoted and escaped, so one event is
 * one line whatever it holds. */
#include "internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static atomic_int threshold = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *name, log_level *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, level_names[i])) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

void log_set_level(log_level level)
{
    atomic_store(&threshold, (int)level);
}

const char *log_quote(const char *text, char *buf, size_t len)
{
    size_t o = 0;
    if (len < 3) return "\"\"";
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p && o + 5 < len;
         p++) {
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

void slog(log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < atomic_load(&threshold)) return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char line[2048];
    int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - (size_t)n, ".%03dZ level=%s event=%s",
                  (int)(tv.tv_usec / 1000), level_names[level], event);
    if (fmt && *fmt && n < (int)sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int more = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        n = more < 0 ? n : n + more;
    }
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* One write per line: lines from threads do not interleave. */
    fwrite(line, 1, (size_t)n, stderr);
}

void log_mhd(void *arg, const char *fmt, va_list ap)
{
    (void)arg;
    char text[512], q[600];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    /* Mostly clients that went away or spoke nonsense: not the server's
     * trouble, so below the default level. */
    slog(LOG_DEBUG, "http", "msg=%s", log_quote(text, q, sizeof q));
}
