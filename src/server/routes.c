/* server/routes.c - the API's paths: which handler serves each, whether it
 * needs a session, and the CSRF check of state-changing requests. Role
 * rules are the policy's (SEC-1); this table only routes. */
#include "internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct route {
    const char *method;
    /* Path segments: "#" a positive id, "*" a name (a user, a camera). */
    const char *pattern;
    handler_fn fn;
    int public; /* no session needed */
} route;

static const route routes[] = {
    {"POST", "/api/login", api_login, 1},
    {"POST", "/api/logout", api_logout, 0},
    {"GET", "/api/me", api_me, 0},
    {"POST", "/api/me/password", api_password, 0},
    {"GET", "/api/users", api_users_list, 0},
    {"POST", "/api/users", api_users_add, 0},
    {"POST", "/api/users/*/disable", api_users_disable, 0},
    {"POST", "/api/users/*/enable", api_users_enable, 0},
    {"POST", "/api/users/*/roles", api_users_roles, 0},
    {"GET", "/api/fields", api_fields, 0},
    {"GET", "/api/deployments", api_deployments_list, 0},
    {"POST", "/api/deployments", api_deployments_create, 0},
    {"GET", "/api/deployments/#", api_deployment_show, 0},
    {"POST", "/api/deployments/#/fields", api_deployment_set, 0},
    {"POST", "/api/deployments/#/locations", api_deployment_location, 0},
    {"POST", "/api/deployments/#/cameras", api_deployment_camera, 0},
    {"POST", "/api/deployments/#/cameras/*/edit", api_camera_edit, 0},
    {"POST", "/api/deployments/#/cameras/*/remove", api_camera_remove, 0},
    {"POST", "/api/deployments/#/submit", api_deployment_submit, 0},
    {"POST", "/api/deployments/#/authorise", api_deployment_authorise, 0},
    {"POST", "/api/deployments/#/ratify", api_deployment_ratify, 0},
    {"POST", "/api/deployments/#/start", api_deployment_start, 0},
    {"POST", "/api/deployments/#/stop", api_deployment_stop, 0},
    {"POST", "/api/deployments/#/suspend", api_deployment_suspend, 0},
    {"POST", "/api/deployments/#/cancel", api_deployment_cancel, 0},
    {"POST", "/api/deployments/#/review", api_deployment_review, 0},
    {"GET", "/api/deployments/#/report", api_deployment_report, 0},
    {"GET", "/api/deployments/#/monitor", api_deployment_monitor, 0},
    {"GET", "/api/deployments/#/cameras/*/live", api_deployment_live, 0},
    {"GET", "/api/deployments/#/cameras/*/preview", api_deployment_preview, 0},
    {"GET", "/api/deployments/#/watchlist", api_watchlist_list, 0},
    {"POST", "/api/deployments/#/watchlist", api_watchlist_add, 0},
    {"POST", "/api/deployments/#/watchlist/import", api_watchlist_import, 0},
    {"POST", "/api/deployments/#/watchlist/copy", api_watchlist_copy, 0},
    {"GET", "/api/deployments/#/bluelist", api_bluelist_list, 0},
    {"POST", "/api/deployments/#/bluelist", api_bluelist_add, 0},
    {"GET", "/api/deployments/#/walktests", api_walktest_results, 0},
    {"POST", "/api/deployments/#/walktest/start", api_walktest_start, 0},
    {"POST", "/api/deployments/#/walktest/pass", api_walktest_pass, 0},
    {"POST", "/api/deployments/#/walktest/end", api_walktest_end, 0},
    {"GET", "/api/watchlist/#/photo", api_watchlist_photo, 0},
    {"POST", "/api/watchlist/#/review", api_watchlist_review, 0},
    {"POST", "/api/watchlist/#/approve", api_watchlist_approve, 0},
    {"POST", "/api/watchlist/#/remove", api_watchlist_remove, 0},
    {"GET", "/api/alerts", api_alerts_list, 0},
    {"GET", "/api/alerts/history", api_alerts_history, 0},
    {"GET", "/api/alerts/#", api_alert_show, 0},
    {"GET", "/api/alerts/#/crop", api_alert_crop, 0},
    {"GET", "/api/alerts/#/photo", api_alert_photo, 0},
    {"POST", "/api/alerts/#/decision", api_alert_decision, 0},
    {"POST", "/api/alerts/#/outcome", api_alert_outcome, 0},
    {"POST", "/api/alerts/#/hold", api_alert_hold, 0},
    {"POST", "/api/alerts/#/release", api_alert_release, 0},
    {"GET", "/api/alerts/#/evidence", api_alert_evidence, 0},
    {"GET", "/api/holds", api_holds, 0},
    {"GET", "/api/events", api_events, 0},
    {"GET", "/api/settings/threshold-floor", api_floor_show, 0},
    {"POST", "/api/settings/threshold-floor", api_floor_set, 0},
    {"GET", "/api/audit", api_audit_list, 0},
    {"GET", "/api/audit/verify", api_audit_verify, 0},
    {"GET", "/api/audit/export", api_audit_export, 0},
    {"GET", "/api/sar", api_sar, 0},
    {"GET", "/api/deployments/#/notice", api_report_notice, 0},
    {"GET", "/api/deployments/#/review-report", api_report_review, 0},
    {"GET", "/api/deployments/#/record", api_report_record, 0},
    {"GET", "/api/reports/summary", api_report_summary, 0},
    {"GET", "/api/oversight", api_oversight, 0},
    {"GET", "/api/nodes", api_nodes_list, 0},
    {"POST", "/api/nodes/codes", api_node_code, 0},
    {"POST", "/api/nodes/#/approve", api_node_approve, 0},
    {"POST", "/api/nodes/#/revoke", api_node_revoke, 0},
    {"POST", "/api/deployments/#/node", api_deployment_node, 0},
    /* An edge node's own calls: no session; each is signed (api_nodes.c). */
    {"POST", "/api/nodes/enrol", api_node_enrol, 1},
    {"POST", "/api/node/assignment", api_node_assignment, 1},
    {"POST", "/api/node/alerts", api_node_alert, 1},
    {"POST", "/api/node/counts", api_node_counts, 1},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Matches url against pattern, filling r->ids and r->name. */
static int match(const char *pattern, const char *url, request *r)
{
    int n_ids = 0;
    while (*pattern && *url) {
        if (*pattern == '#' || *pattern == '*') {
            size_t len = strcspn(url, "/");
            if (len == 0 || len >= sizeof r->name) return 0;
            if (*pattern == '#') {
                char digits[24];
                if (len >= sizeof digits || n_ids == 2) return 0;
                memcpy(digits, url, len);
                digits[len] = '\0';
                char *end;
                errno = 0;
                long long v = strtoll(digits, &end, 10);
                if (errno || *end || v < 1 || digits[0] == '+' || digits[0] == '-') return 0;
                r->ids[n_ids++] = v;
            } else {
                memcpy(r->name, url, len);
                r->name[len] = '\0';
            }
            pattern++;
            url += len;
        } else if (*pattern++ != *url++) {
            return 0;
        }
    }
    return !*pattern && !*url;
}

static const char *session_cookie(request *r)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "lfr_session");
}

int routes_admit(request *r)
{
    const route *found = NULL;
    int path_known = 0;
    for (size_t i = 0; i < N_ROUTES && !found; i++) {
        if (!match(routes[i].pattern, r->url, r)) continue;
        path_known = 1;
        if (!strcmp(routes[i].method, r->method)) found = &routes[i];
    }
    if (!found && path_known) {
        reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->url);
        return -1;
    }
    if (!found) {
        reply_error(r, 404, "not_found", "no such path: %s", r->url);
        return -1;
    }
    if (!found->public) {
        /* The user's own request keeps the session awake; an event stream
         * or a page's background poll does not. */
        const char *bg = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-LFR-Background");
        int refresh = found->fn != api_events && !(bg && !strcmp(bg, "1"));
        if (sessions_find(r->srv->sessions, session_cookie(r), refresh, &r->sess)) {
            reply_error(r, 401, "unauthenticated", "log in first (no session, or it expired)");
            return -1;
        }
        /* A cross-site page cannot read the token, so cannot send it. */
        if (strcmp(r->method, "GET")) {
            const char *token =
                MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
            if (!token || strlen(token) != 64 || sodium_memcmp(token, r->sess.csrf, 64)) {
                reply_error(r, 403, "csrf", "missing or wrong X-CSRF-Token header");
                return -1;
            }
        }
    }
    /* A one-time password opens nothing but the way to change it. */
    if (r->sess.actor.must_change && found->fn != api_me && found->fn != api_password &&
        found->fn != api_logout && found->fn != api_login) {
        reply_error(r, 403, "password_change_required",
                    "this password was for one login: change it first (POST /api/me/password)");
        return -1;
    }
    r->handler = found->fn;
    return 0;
}
