/* policy/live.c - what a running deployment needs from the store: its
 * cameras, its watchlist as a gallery, and the aggregate counts its
 * pipelines report (faces seen, templates compared), which the published
 * figures rest on. */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lfr/match.h"
#include "lfr/media.h"

/* A file or folder of images must be there and readable as video now,
 * not fail when the deployment goes live; a network camera, a device or a
 * FIFO is tried with its preview (it may not be reachable from here yet).
 * A deployment run by an edge node has its sources on that node. */
static int local_source_check(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *name,
                              const char *source)
{
    struct stat sb;
    if (policy_count(ctx, p,
                     "SELECT count(*) FROM deployments WHERE id = ? AND node_id IS NOT NULL",
                     deployment) != 0 ||
        strstr(source, "://") || !strncmp(source, "/dev/", 5) ||
        (!stat(source, &sb) && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)))
        return LFR_OK; /* a stream, a device, a FIFO: live */
    lfr_video_params vp = lfr_video_default_params();
    vp.live = 0;
    lfr_video *v = NULL;
    int rc = lfr_video_open(ctx, source, &vp, &v);
    lfr_video_free(v);
    if (rc)
        return lfr_fail(ctx, LFR_EINVAL, "camera '%s': cannot be opened: %s", name,
                        lfr_errmsg(ctx));
    return LFR_OK;
}

int policy_begin_camera_change(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor,
                               int64_t deployment, const char *what)
{
    int rc = lfr_store_begin(ctx, p->s);
    if (rc) return rc;
    lfr_stmt *st = NULL;
    rc = lfr_stmt_prepare(ctx, p->s, "SELECT state, created_by FROM deployments WHERE id = ?", &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    if (!rc) rc = lfr_stmt_step(ctx, st);
    if (rc == 0) rc = lfr_fail(ctx, LFR_ENOENT, "no deployment %lld", (long long)deployment);
    if (rc == 1) {
        rc = LFR_OK;
        if (strcmp(lfr_stmt_text(st, 0), "draft"))
            rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld is %s: cameras are %s a draft only",
                          (long long)deployment, lfr_stmt_text(st, 0), what);
        else if (lfr_stmt_int64(st, 1) != actor->id)
            rc = lfr_fail(ctx, LFR_EPERM, "only the applicant who created a draft may change it");
    }
    lfr_stmt_free(st);
    if (rc) lfr_store_rollback(p->s);
    return rc;
}

static int check_camera_fields(lfr_ctx *ctx, const char *name, const char *source,
                               const char *location)
{
    int rc = text_check(ctx, "camera name", name, 63, 0);
    if (!rc && source) rc = text_check(ctx, "camera source", source, 1000, 0);
    /* What the console shows of a URL hides its password: sent back
     * unchanged it would replace the password with asterisks. */
    if (!rc && source && strstr(source, "***@"))
        rc = lfr_fail(ctx, LFR_EINVAL,
                      "camera source: its password shows as *** here: type the whole URL again");
    if (!rc && location && *location) rc = text_check(ctx, "camera location", location, 200, 0);
    return rc;
}

int lfr_camera_add(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                   const char *name, const char *source, const char *location)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "adding a camera");
    if (!rc) rc = check_camera_fields(ctx, name, source ? source : "", location);
    if (rc || (rc = policy_begin_camera_change(ctx, p, actor, deployment, "added to"))) return rc;
    lfr_stmt *st = NULL;
    rc = local_source_check(ctx, p, deployment, name, source);
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "INSERT INTO cameras (deployment_id, name, source, location) "
                                "VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, source)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 4, location ? location : "")))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_EREFUSED, "deployment %lld already has a camera named '%s'",
                      (long long)deployment, name);
    if (!rc)
        rc = audit(ctx, p, actor, "camera.add", deployment, "deployment",
                   json_pack("{s:s,s:s}", "camera", name, "location", location ? location : ""));
    return finish(ctx, p, rc);
}

int lfr_camera_edit(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                    const char *name, const char *source, const char *location)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "changing a camera");
    if (!rc && !source && !location)
        rc = lfr_fail(ctx, LFR_EINVAL, "camera: nothing to change (source, location)");
    if (!rc) rc = check_camera_fields(ctx, name, source, location);
    if (rc || (rc = policy_begin_camera_change(ctx, p, actor, deployment, "changed in"))) return rc;
    if (source) rc = local_source_check(ctx, p, deployment, name, source);
    lfr_stmt *st = NULL;
    if (!rc &&
        !(rc = lfr_stmt_prepare(ctx, p->s,
                                "UPDATE cameras SET source = coalesce(?3, source), location = "
                                "coalesce(?4, location) WHERE deployment_id = ?1 AND name = ?2",
                                &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 3, source)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 4, location)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_ENOENT, "deployment %lld has no camera named '%s'",
                      (long long)deployment, name);
    if (!rc) {
        /* The source may hold a password: the log says that it changed. */
        json_t *d = json_pack("{s:s,s:b}", "camera", name, "source_changed", source != NULL);
        if (d && location) json_object_set_new(d, "location", json_string(location));
        rc = audit(ctx, p, actor, "camera.edit", deployment, "deployment", d);
    }
    return finish(ctx, p, rc);
}

int lfr_camera_remove(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                      const char *name)
{
    int rc = lfr_actor_need(ctx, actor, LFR_ROLE_APPLICANT, "removing a camera");
    if (!rc) rc = text_check(ctx, "camera name", name, 63, 0);
    if (rc || (rc = policy_begin_camera_change(ctx, p, actor, deployment, "removed from")))
        return rc;
    lfr_stmt *st = NULL;
    if (!(rc = lfr_stmt_prepare(ctx, p->s,
                                "DELETE FROM cameras WHERE deployment_id = ? AND name = ?", &st)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, name)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    if (!rc && lfr_store_changes(p->s) != 1)
        rc = lfr_fail(ctx, LFR_ENOENT, "deployment %lld has no camera named '%s'",
                      (long long)deployment, name);
    if (!rc)
        rc = audit(ctx, p, actor, "camera.remove", deployment, "deployment",
                   json_pack("{s:s}", "camera", name));
    return finish(ctx, p, rc);
}

int lfr_camera_list(lfr_ctx *ctx, lfr_policy *p, const lfr_actor *actor, int64_t deployment,
                    json_t **out)
{
    *out = NULL;
    int rc = actor ? lfr_actor_need(ctx, actor,
                                    LFR_ROLE_APPLICANT | LFR_ROLE_AUTHORISER | LFR_ROLE_OPERATOR |
                                        LFR_ROLE_AUDITOR | LFR_ROLE_ADMIN,
                                    "listing cameras")
                   : LFR_OK;
    if (rc) return rc;
    lfr_stmt *st = NULL;
    if ((rc =
             lfr_stmt_prepare(ctx, p->s,
                              "SELECT c.name, c.source, c.location, coalesce(k.frames,0), "
                              "coalesce(k.faces,0), coalesce(k.compared,0), coalesce(k.dropped,0), "
                              "coalesce(k.last_state,''), coalesce(k.last_message,''), (SELECT "
                              "COUNT(*) FROM alerts a WHERE a.deployment_id = c.deployment_id "
                              "AND a.camera = c.name) FROM cameras c LEFT JOIN camera_counts k "
                              "ON k.deployment_id = c.deployment_id AND k.camera = c.name WHERE "
                              "c.deployment_id = ? ORDER BY c.id",
                              &st)) ||
        (rc = lfr_stmt_bind_int64(ctx, st, 1, deployment))) {
        lfr_stmt_free(st);
        return rc;
    }
    json_t *arr = json_array();
    char shown[1024];
    while ((rc = lfr_stmt_step(ctx, st)) == 1) {
        /* A camera's password is the system's to use, nobody's to see. */
        if (actor) lfr_url_redact(lfr_stmt_text(st, 1), shown, sizeof shown);
        json_array_append_new(
            arr,
            json_pack(
                "{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:s,s:I}", "name", lfr_stmt_text(st, 0), "source",
                actor ? shown : lfr_stmt_text(st, 1), "location", lfr_stmt_text(st, 2), "frames",
                (json_int_t)lfr_stmt_int64(st, 3), "faces", (json_int_t)lfr_stmt_int64(st, 4),
                "compared", (json_int_t)lfr_stmt_int64(st, 5), "dropped",
                (json_int_t)lfr_stmt_int64(st, 6), "last_state", lfr_stmt_text(st, 7),
                "last_message", lfr_stmt_text(st, 8), "alerts", (json_int_t)lfr_stmt_int64(st, 9)));
    }
    lfr_stmt_free(st);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return LFR_OK;
}

int lfr_camera_stopped(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *camera,
                       int64_t dropped, const char *state, const char *message, int64_t now_ms)
{
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(
        ctx, p->s,
        "INSERT INTO camera_counts (deployment_id, camera, dropped, last_state, last_message, "
        "updated_ms) VALUES (?,?,?,?,?,?) ON CONFLICT (deployment_id, camera) DO UPDATE SET "
        "dropped = camera_counts.dropped + excluded.dropped, last_state = excluded.last_state, "
        "last_message = excluded.last_message, "
        "updated_ms = excluded.updated_ms",
        &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, camera)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, dropped < 0 ? 0 : dropped)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 4, state)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 5, message)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 6, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int lfr_deployment_count(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const char *camera,
                         int64_t frames, int64_t faces, int64_t compared, int64_t now_ms)
{
    if (frames < 0 || faces < 0 || compared < 0)
        return lfr_fail(ctx, LFR_EINVAL, "counts: negative increments");
    lfr_stmt *st = NULL;
    int rc =
        lfr_stmt_prepare(ctx, p->s,
                         "INSERT INTO camera_counts (deployment_id, camera, frames, faces, "
                         "compared, updated_ms) VALUES (?,?,?,?,?,?) ON CONFLICT (deployment_id, "
                         "camera) DO UPDATE SET frames = camera_counts.frames + excluded.frames, "
                         "faces = camera_counts.faces + excluded.faces, compared = "
                         "camera_counts.compared + excluded.compared, updated_ms = "
                         "excluded.updated_ms",
                         &st);
    if (!rc && !(rc = lfr_stmt_bind_int64(ctx, st, 1, deployment)) &&
        !(rc = lfr_stmt_bind_text(ctx, st, 2, camera)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 3, frames)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 4, faces)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 5, compared)) &&
        !(rc = lfr_stmt_bind_int64(ctx, st, 6, now_ms)))
        rc = lfr_stmt_step(ctx, st) < 0 ? lfr_errcode(ctx) : LFR_OK;
    lfr_stmt_free(st);
    return rc;
}

int policy_each_template(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, int dim,
                         const char *model, const char *sql, const char *place, const char *what,
                         policy_template_fn fn, void *arg)
{
    if (!p->have_key) return lfr_fail(ctx, LFR_EREFUSED, "%s: no key to open the templates", what);
    size_t tpl_bytes = (size_t)dim * sizeof(float);
    float *tpl = lfr_locked_alloc(tpl_bytes);
    if (!tpl) return lfr_locked_fail(ctx, what);
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s, sql, &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, deployment);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        int64_t id = lfr_stmt_int64(st, 0);
        size_t n = 0;
        const uint8_t *box = lfr_stmt_blob(st, 1, &n);
        if (policy_open(p, place, id, box, n, tpl, tpl_bytes)) {
            rc = lfr_fail(ctx, LFR_EMODEL,
                          "%s %lld: its template does not open as a %d-d template of "
                          "%s (enrolled with another model or key): enrol it again",
                          what, (long long)id, dim, model);
            break;
        }
        rc = fn(ctx, id, tpl, dim, arg);
    }
    lfr_stmt_free(st);
    lfr_locked_free(tpl); /* wipes */
    return rc < 0 || rc > 0 ? rc : LFR_OK;
}

static int add_to_gallery(lfr_ctx *ctx, int64_t id, const float *tpl, int dim, void *arg)
{
    (void)dim;
    char ident[LFR_ID_MAX];
    snprintf(ident, sizeof ident, "%lld", (long long)id);
    return lfr_gallery_add(ctx, arg, ident, tpl, 1);
}

/* A gallery of sealed templates: sql selects (id, template) for one
 * deployment, bound to ?1. The ids become the gallery's identities. */
int policy_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                   const char *sql, const char *place, const char *what, lfr_gallery **out)
{
    *out = NULL;
    if (!p->have_key) return lfr_fail(ctx, LFR_EREFUSED, "%s: no key to open the templates", what);
    lfr_gallery_params gp = lfr_gallery_default_params();
    gp.dim = lfr_engine_embedding_size(engine);
    gp.model = lfr_model_name(lfr_engine_model(engine, LFR_MODEL_EMBEDDER));
    gp.quantize_int8 = 1;
    lfr_gallery *g = NULL;
    int rc = lfr_gallery_new(ctx, &gp, &g);
    if (!rc)
        rc = policy_each_template(ctx, p, deployment, gp.dim, gp.model, sql, place, what,
                                  add_to_gallery, g);
    if (rc) {
        lfr_gallery_free(g);
        return rc;
    }
    *out = g;
    return LFR_OK;
}

int lfr_watchlist_gallery(lfr_ctx *ctx, lfr_policy *p, int64_t deployment, const lfr_engine *engine,
                          lfr_gallery **out)
{
    return policy_gallery(ctx, p, deployment, engine, WATCHLIST_TEMPLATES,
                          "watchlist_entries.template", "watchlist entry", out);
}

int lfr_deployments_running(lfr_ctx *ctx, lfr_policy *p, int64_t now_ms, int64_t node,
                            lfr_running *out, int max, int *n)
{
    *n = 0;
    lfr_stmt *st = NULL;
    int rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT id, fields FROM deployments WHERE state = 'live' AND "
                              "coalesce(node_id, 0) = ?",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, node);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        int64_t id = lfr_stmt_int64(st, 0);
        json_error_t err;
        json_t *fields = json_loads(lfr_stmt_text(st, 1), 0, &err);
        json_t *t = json_object_get(fields, "threshold");
        /* Inside its window and, if urgent, ratified in time (DEP-5). */
        if (json_is_number(t) && *n < max &&
            lfr_deployment_may_process(ctx, p, id, now_ms) == LFR_OK) {
            out[*n].id = id;
            out[*n].threshold = json_number_value(t);
            out[*n].walk_test = 0;
            (*n)++;
        }
        json_decref(fields);
    }
    lfr_stmt_free(st);
    st = NULL;
    /* Walk tests run on authorised deployments inside their window. */
    if (!rc)
        rc = lfr_stmt_prepare(ctx, p->s,
                              "SELECT w.id, w.deployment_id, w.threshold FROM walk_tests w JOIN "
                              "deployments d ON d.id = w.deployment_id WHERE w.ended_ms IS NULL "
                              "AND d.state = 'authorised' AND coalesce(d.node_id, 0) = ?",
                              &st);
    if (!rc) rc = lfr_stmt_bind_int64(ctx, st, 1, node);
    while (!rc && (rc = lfr_stmt_step(ctx, st)) == 1) {
        rc = 0;
        deployment_row d;
        int64_t id = lfr_stmt_int64(st, 1);
        if (*n >= max || deployment_load(ctx, p, id, &d)) continue;
        if (deployment_in_window(&d, now_ms) && !deployment_ratification_lapsed(&d, now_ms)) {
            out[*n].id = id;
            out[*n].threshold = lfr_stmt_double(st, 2);
            out[*n].walk_test = lfr_stmt_int64(st, 0);
            (*n)++;
        }
        deployment_clear(&d);
    }
    lfr_stmt_free(st);
    return rc < 0 ? rc : LFR_OK;
}
