/* report/common.c - what every document shares: formats, role checks and
 * the stage a deployment must have reached. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const char *const format_names[] = {"html", "text", "csv", "json"};
static const char *const content_types[] = {"text/html; charset=utf-8", "text/plain; charset=utf-8",
                                            "text/csv; charset=utf-8", "application/json"};

int lfr_report_format_parse(const char *name, lfr_report_format *out)
{
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, format_names[i])) {
            *out = (lfr_report_format)i;
            return 0;
        }
    return -1;
}

const char *lfr_report_content_type(lfr_report_format f)
{
    return (unsigned)f < 4 ? content_types[f] : "application/octet-stream";
}

int report_format_in(lfr_ctx *ctx, lfr_report_format f, unsigned allowed, const char *what)
{
    if ((unsigned)f < 4 && (allowed & FMT_BIT(f))) return LFR_OK;
    char list[64] = "";
    for (int i = 0; i < 4; i++)
        if (allowed & FMT_BIT(i)) {
            if (*list) strcat(list, ", ");
            strcat(list, format_names[i]);
        }
    return lfr_fail(ctx, LFR_EINVAL, "%s comes as %s", what, list);
}

int report_over(lfr_ctx *ctx, const json_t *fig, const char *what)
{
    const char *state = json_string_value(json_object_get(fig, "state"));
    int over =
        state &&
        (!strcmp(state, "ended") || !strcmp(state, "reviewed") ||
         (!strcmp(state, "cancelled") && json_is_integer(json_object_get(fig, "started_ms"))));
    if (over) return LFR_OK;
    return lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: the %s follows its end",
                    (long long)json_integer_value(json_object_get(fig, "id")),
                    state ? state : "unknown", what);
}
