/* report/oversight.c - what the police and crime commissioner sees (PUB-5):
 * deployments by state, exact aggregate figures per deployment and in
 * total, the equality figures, and the audit log in aggregate. Never a
 * face, a watchlist identity or an officer's name. */
#include "internal.h"

#include <stdint.h>
#include <string.h>

/* One deployment's exact counts, without names. */
static json_t *oversight_row(const json_t *fig)
{
    static const char *const keep[] = {"id",           "name",
                                       "state",        "started_ms",
                                       "ended_ms",     "reviewed_ms",
                                       "cameras",      "faces",
                                       "alerts",       "true_alerts",
                                       "false_alerts", "unverified_alerts",
                                       "no_match",     "engaged",
                                       "open",         "awaiting_outcome",
                                       "outcomes",     "watchlist_by_category",
                                       "models",       "expected"};
    json_t *row = json_object();
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        json_t *v = json_object_get(fig, keep[i]);
        if (v) json_object_set(row, keep[i], v);
    }
    const json_t *rec = json_object_get(fig, "record");
    json_object_set(row, "threshold", json_object_get(rec, "threshold"));
    json_object_set(row, "planned_watchlist_size", json_object_get(rec, "watchlist_size"));
    json_object_set_new(row, "critical_threat_exemption",
                        json_boolean(json_object_get(rec, "critical_threat_exemption") != NULL));
    return row;
}

int lfr_report_oversight(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, json_t **out)
{
    *out = NULL;
    int rc =
        lfr_actor_need(ctx, actor, LFR_ROLE_OVERSIGHT | LFR_ROLE_AUDITOR, "the oversight data");
    json_t *list = NULL, *figs = NULL, *audit = NULL;
    if (!rc) rc = lfr_deployment_list(ctx, p, actor, &list);
    if (!rc) rc = lfr_figures_period(ctx, p, actor, INT64_MIN, INT64_MAX, &figs);
    if (!rc) rc = lfr_audit_summary(ctx, p, actor, &audit);
    if (rc) {
        json_decref(list);
        json_decref(figs);
        return rc;
    }
    json_t *by_state = json_object(), *rows = json_array(), *exact = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        const char *state = json_string_value(json_object_get(x, "state"));
        json_object_set_new(by_state, state,
                            json_integer(json_integer_value(json_object_get(by_state, state)) + 1));
    }
    json_array_foreach(figs, i, x) json_array_append_new(rows, oversight_row(x));
    json_decref(totals_row(figs, &exact));
    json_t *doc = json_pack("{s:o,s:O,s:o,s:o,s:o,s:o}", "deployments_by_state", by_state, "totals",
                            exact, "rates", rates_of(exact, NULL), "deployments", rows, "groups",
                            groups_of(figs, 0), "audit", audit);
    json_decref(exact);
    json_decref(list);
    json_decref(figs);
    if (!doc) return lfr_fail(ctx, LFR_ENOMEM, "oversight: out of memory");
    *out = doc;
    return LFR_OK;
}
