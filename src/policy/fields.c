/* policy/fields.c - the authorisation record of a deployment (DEP-4): its
 * fields, their validation, and which are mandatory. */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX 4000

typedef enum { F_TEXT, F_TIME, F_THRESHOLD, F_COUNT, F_YESNO } field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    int mandatory;
    const char *meaning;
} field;

/* The DEP-4 record. public_notice may be replaced by a critical threat
 * exemption with who approved it. */
static const field fields[] = {
    {"purpose", F_TEXT, 1, "policing purpose"},
    {"intelligence_case", F_TEXT, 1, "the intelligence case"},
    {"necessity", F_TEXT, 1, "why it is necessary and proportionate"},
    {"less_intrusive", F_TEXT, 1, "why less intrusive methods would not do"},
    {"start", F_TIME, 1, "start time (UTC, ISO 8601)"},
    {"end", F_TIME, 1, "end time (UTC, ISO 8601)"},
    {"watchlist_criteria", F_TEXT, 1, "watchlist criteria"},
    {"watchlist_categories", F_TEXT, 1, "watchlist categories"},
    {"watchlist_size", F_COUNT, 1, "planned watchlist size"},
    {"threshold", F_THRESHOLD, 1, "match threshold"},
    {"engagement_plan", F_TEXT, 1, "engagement plan"},
    {"public_notice", F_TEXT, 0, "how the public was told"},
    {"critical_threat_exemption", F_TEXT, 0, "critical threat exemption (instead of notice)"},
    {"exemption_approved_by", F_TEXT, 0, "who approved the exemption"},
    {"dpia_ref", F_TEXT, 1, "data protection impact assessment reference"},
    {"equality_ref", F_TEXT, 1, "equality impact assessment reference"},
    {"community_ref", F_TEXT, 1, "community impact assessment reference"},
    {"pcc_informed", F_YESNO, 1, "the police and crime commissioner was informed"},
    {"expected_footfall", F_COUNT, 1, "expected faces passing (for the false alert estimate)"},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

int64_t lfr_parse_time_utc(const char *s)
{
    int y, mo, d, h, mi, sec = 0, n = 0;
    if (!s || strlen(s) > 32) return -1;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        (size_t)n != strlen(s)) {
        n = 0;
        sec = 0;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &n) != 5 ||
            (size_t)n != strlen(s))
            return -1;
    }
    if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 59 || h < 0 || mi < 0 || sec < 0)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    /* timegm normalises 31 February into March: refuse such dates. */
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d || back.tm_mon != mo - 1) return -1;
    return (int64_t)t * 1000;
}

static const field *find(const char *name)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!strcmp(fields[i].name, name)) return &fields[i];
    return NULL;
}

int field_set(lfr_ctx *ctx, const lfr_policy_config *cfg, json_t *record, const char *name,
              const char *value)
{
    const field *f = name ? find(name) : NULL;
    if (!f) return lfr_fail(ctx, LFR_EINVAL, "no deployment field '%s'", name ? name : "");
    int rc = text_check(ctx, name, value, TEXT_MAX, 1);
    if (rc) return rc;
    char *end = NULL;
    json_t *v = NULL;
    switch (f->kind) {
    case F_TEXT:
        v = json_string(value);
        break;
    case F_TIME: {
        int64_t t = lfr_parse_time_utc(value);
        if (t < 0)
            return lfr_fail(ctx, LFR_EINVAL, "%s: '%s' is not a UTC time like 2026-12-01T09:00Z",
                            name, value);
        v = json_integer(t);
        break;
    }
    case F_THRESHOLD: {
        errno = 0;
        double t = strtod(value, &end);
        if (errno || end == value || *end || !(t >= -1 && t <= 1))
            return lfr_fail(ctx, LFR_EINVAL, "threshold: '%s' is not a number in [-1, 1]", value);
        if (t < cfg->threshold_floor)
            return lfr_fail(ctx, LFR_EREFUSED,
                            "threshold: %.3f is below the floor %.3f validated for this model "
                            "(DEP-6)",
                            t, cfg->threshold_floor);
        v = json_real(t);
        break;
    }
    case F_COUNT: {
        errno = 0;
        long long n = strtoll(value, &end, 10);
        if (errno || end == value || *end || n < 1 || n > 100000000)
            return lfr_fail(ctx, LFR_EINVAL, "%s: '%s' is not a count 1..100000000", name, value);
        v = json_integer(n);
        break;
    }
    case F_YESNO:
        if (strcmp(value, "yes") && strcmp(value, "no"))
            return lfr_fail(ctx, LFR_EINVAL, "%s: 'yes' or 'no'", name);
        v = json_boolean(!strcmp(value, "yes"));
        break;
    }
    if (!v || json_object_set_new(record, name, v))
        return lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", name);
    return LFR_OK;
}

json_t *lfr_deployment_fields(void)
{
    static const char *const kinds[] = {"text", "time", "threshold", "count", "yesno"};
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < N_FIELDS; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:s}", "name", fields[i].name, "kind",
                                             kinds[fields[i].kind], "mandatory",
                                             fields[i].mandatory, "meaning", fields[i].meaning));
    return arr;
}

const char *field_missing(const json_t *record)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].mandatory && !json_object_get(record, fields[i].name)) return fields[i].name;
    json_t *pcc = json_object_get(record, "pcc_informed");
    if (!json_is_true(pcc)) return "pcc_informed";
    /* An exemption names who approved it (DEP-4, PUB-1). */
    if (json_object_get(record, "critical_threat_exemption") &&
        !json_object_get(record, "exemption_approved_by"))
        return "exemption_approved_by";
    /* Public notice, or a recorded exemption with its approver. */
    if (!json_object_get(record, "public_notice") &&
        !(json_object_get(record, "critical_threat_exemption") &&
          json_object_get(record, "exemption_approved_by")))
        return "public_notice";
    return NULL;
}
