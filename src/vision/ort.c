/* vision/ort.c - the only file that talks to the ONNX Runtime C API.
 *
 * It turns every OrtStatus into an LFR_ERUNTIME code plus ORT's message, and
 * hides ORT's types behind void pointers so no other file needs its header.
 */
#include "internal.h"

#include <onnxruntime_c_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define API(rt) ((const OrtApi *)(rt)->api)

/* For clean-up paths that cannot report: true if status is NULL. */
static int succeeded(const OrtApi *api, OrtStatus *status)
{
    if (!status) return 1;
    api->ReleaseStatus(status);
    return 0;
}

/* Converts and releases a status; LFR_OK when status is NULL. */
static int status_check(lfr_ctx *ctx, const OrtApi *api, OrtStatus *status, const char *what)
{
    if (!status) return LFR_OK;
    int rc = lfr_fail(ctx, LFR_ERUNTIME, "%s: onnxruntime: %s", what, api->GetErrorMessage(status));
    api->ReleaseStatus(status);
    return rc;
}

/* ONNX Runtime keeps the intermediate tensors of a network (feature maps of
 * a face) in its own memory. Sessions are made to allocate through this
 * allocator instead, which wipes every block when ORT frees it, so nothing
 * derived from a passer-by's face outlives the run (REQUIREMENTS PRI-1). */
#define CACHED_BLOCKS 48 /* wiped blocks kept for reuse */

typedef struct wiping_allocator {
    OrtAllocator base; /* first: ORT sees an OrtAllocator */
    const OrtMemoryInfo *info;
    atomic_size_t wiped; /* bytes wiped so far, for tests */
    /* Blocks already wiped, kept so the next run reuses them instead of
     * paying fresh pages (ORT's own arena did that before). Guarded by lock. */
    pthread_mutex_t lock;
    uint8_t *cache[CACHED_BLOCKS];
    int n_cached;
} wiping_allocator;

#define BLOCK_HEADER 64 /* keeps MLAS's 64-byte alignment and holds the size */

static size_t block_size(const uint8_t *block)
{
    size_t total;
    memcpy(&total, block, sizeof total);
    return total;
}

static void *ORT_API_CALL wiping_alloc(OrtAllocator *self, size_t size)
{
    wiping_allocator *wa = (wiping_allocator *)self;
    if (size > SIZE_MAX - BLOCK_HEADER - 63) return NULL;
    size_t total = (size + BLOCK_HEADER + 63) / 64 * 64;
    uint8_t *p = NULL;
    pthread_mutex_lock(&wa->lock);
    /* The smallest cached block that fits without wasting over half. */
    int best = -1;
    for (int i = 0; i < wa->n_cached; i++) {
        size_t have = block_size(wa->cache[i]);
        if (have >= total && have <= 2 * total && (best < 0 || have < block_size(wa->cache[best])))
            best = i;
    }
    if (best >= 0) {
        p = wa->cache[best];
        wa->cache[best] = wa->cache[--wa->n_cached];
    }
    pthread_mutex_unlock(&wa->lock);
    if (!p) {
        p = aligned_alloc(64, total);
        if (!p) return NULL;
        memcpy(p, &total, sizeof total);
    }
    return p + BLOCK_HEADER;
}

static void ORT_API_CALL wiping_free(OrtAllocator *self, void *ptr)
{
    wiping_allocator *wa = (wiping_allocator *)self;
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - BLOCK_HEADER;
    size_t total = block_size(p);
    lfr_wipe(p + BLOCK_HEADER, total - BLOCK_HEADER);
    atomic_fetch_add(&wa->wiped, total);
    pthread_mutex_lock(&wa->lock);
    if (wa->n_cached < CACHED_BLOCKS) {
        wa->cache[wa->n_cached++] = p;
        p = NULL;
    }
    pthread_mutex_unlock(&wa->lock);
    free(p);
}

static void wiping_allocator_free(wiping_allocator *wa)
{
    if (!wa) return;
    for (int i = 0; i < wa->n_cached; i++)
        free(wa->cache[i]);
    pthread_mutex_destroy(&wa->lock);
    lfr_free(wa);
}

size_t lfr_runtime_wiped_bytes(const lfr_runtime *rt)
{
    return rt->wiping ? atomic_load(&((wiping_allocator *)rt->wiping)->wiped) : 0;
}

static const OrtMemoryInfo *ORT_API_CALL wiping_info(const OrtAllocator *self)
{
    return ((const wiping_allocator *)self)->info;
}

lfr_runtime_params lfr_runtime_default_params(void)
{
    return (lfr_runtime_params){.intra_op_threads = 1};
}

const char *lfr_runtime_ort_version(void)
{
    return OrtGetApiBase()->GetVersionString();
}

int lfr_runtime_new(lfr_ctx *ctx, const lfr_runtime_params *p, lfr_runtime **out)
{
    *out = NULL;
    lfr_runtime_params defaults = lfr_runtime_default_params();
    if (!p) p = &defaults;
    if (p->intra_op_threads < 1 || p->intra_op_threads > 64)
        return lfr_fail(ctx, LFR_EINVAL, "intra_op_threads: %d is outside 1..64",
                        p->intra_op_threads);
    /* This ONNX Runtime build carries Microsoft's telemetry: it keeps an
     * event database and a device id under ~/.cache/Microsoft and would
     * upload them. Nothing may leave or be written by an LFR system that
     * police did not ask for (REQUIREMENTS PRI-1, SEC-4): it is switched
     * off before the environment exists, and again through the API. */
    setenv("ORT_DISABLE_TELEMETRY", "1", 1);
    const OrtApi *api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (!api)
        return lfr_fail(ctx, LFR_ERUNTIME,
                        "onnxruntime %s does not offer C API version %d (too old a library)",
                        OrtGetApiBase()->GetVersionString(), ORT_API_VERSION);
    lfr_runtime *rt = lfr_calloc(1, sizeof *rt);
    if (!rt) return lfr_fail(ctx, LFR_ENOMEM, "runtime: out of memory");
    rt->api = api;
    rt->intra_op_threads = p->intra_op_threads;
    OrtEnv *env = NULL;
    OrtMemoryInfo *mem = NULL;
    int rc = status_check(ctx, api, api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "lfr", &env),
                          "creating the runtime");
    if (rc) goto fail;
    rt->env = env;
    rc = status_check(ctx, api, api->DisableTelemetryEvents(env), "disabling telemetry");
    if (rc) goto fail;
    rc =
        status_check(ctx, api, api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &mem),
                     "creating the runtime");
    if (rc) goto fail;
    rt->mem_info = mem;
    /* Register the wiping allocator for CPU memory with the environment;
     * sessions opt in with session.use_env_allocators. */
    OrtMemoryInfo *alloc_info = NULL;
    rc = status_check(ctx, api,
                      api->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &alloc_info),
                      "creating the runtime");
    if (rc) goto fail;
    rt->alloc_info = alloc_info;
    wiping_allocator *wa = lfr_calloc(1, sizeof *wa);
    if (!wa) {
        rc = lfr_fail(ctx, LFR_ENOMEM, "runtime: out of memory");
        goto fail;
    }
    pthread_mutex_init(&wa->lock, NULL);
    wa->base.version = ORT_API_VERSION;
    wa->base.Alloc = wiping_alloc;
    wa->base.Free = wiping_free;
    wa->base.Info = wiping_info;
    wa->base.Reserve = wiping_alloc;
    wa->info = alloc_info;
    rt->wiping = wa;
    rc = status_check(ctx, api, api->RegisterAllocator(env, &wa->base),
                      "registering the wiping allocator");
    if (rc) goto fail;
    *out = rt;
    return LFR_OK;
fail:
    lfr_runtime_free(rt);
    return rc;
}

void lfr_runtime_free(lfr_runtime *rt)
{
    if (!rt) return;
    if (rt->env && rt->alloc_info && rt->wiping)
        succeeded(API(rt), API(rt)->UnregisterAllocator(rt->env, rt->alloc_info));
    if (rt->mem_info) API(rt)->ReleaseMemoryInfo(rt->mem_info);
    if (rt->env) API(rt)->ReleaseEnv(rt->env);
    if (rt->alloc_info) API(rt)->ReleaseMemoryInfo(rt->alloc_info);
    wiping_allocator_free(rt->wiping);
    lfr_free(rt);
}

int ort_session_new(lfr_ctx *ctx, lfr_runtime *rt, const uint8_t *bytes, size_t len,
                    const char *what, void **out)
{
    const OrtApi *api = API(rt);
    *out = NULL;
    OrtSessionOptions *so = NULL;
    OrtSession *session = NULL;
    int rc = status_check(ctx, api, api->CreateSessionOptions(&so), what);
    if (rc) return rc;
    char threads[16];
    snprintf(threads, sizeof threads, "%d", rt->intra_op_threads);
    if ((rc = status_check(ctx, api, api->SetIntraOpNumThreads(so, rt->intra_op_threads), what)) ||
        (rc = status_check(ctx, api, api->SetInterOpNumThreads(so, 1), what)) ||
        (rc = status_check(ctx, api, api->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL),
                           what)) ||
        /* Spinning worker threads steal the other core from parallel work
         * and make timings jumpy on 2 cores (DESIGN.md). */
        (rc = status_check(ctx, api,
                           api->AddSessionConfigEntry(so, "session.intra_op.allow_spinning", "0"),
                           what)) ||
        /* Embedders (PReLU) produce denormal floats that run many times
         * slower on x86 unless flushed to zero. */
        (rc = status_check(ctx, api,
                           api->AddSessionConfigEntry(so, "session.set_denormal_as_zero", "1"),
                           what)) ||
        /* Every tensor through the wiping allocator (see above). */
        (rc = status_check(
             ctx, api, api->AddSessionConfigEntry(so, "session.use_env_allocators", "1"), what)))
        goto done;
    rc = status_check(ctx, api, api->CreateSessionFromArray(rt->env, bytes, len, so, &session),
                      what);
    /* ORT cannot read it: the file is not a network, so a model error. */
    if (rc == LFR_OK)
        *out = session;
    else
        rc = lfr_fail(ctx, LFR_EMODEL, "%s", lfr_errmsg(ctx));
done:
    api->ReleaseSessionOptions(so);
    return rc;
}

void ort_session_free(lfr_runtime *rt, void *session)
{
    if (session) API(rt)->ReleaseSession(session);
}

/* Reads one input's or output's name and dims. */
static int io_info(lfr_ctx *ctx, const lfr_model *m, int is_input, size_t i, char *name,
                   size_t name_len, int64_t *dims, size_t *ndim)
{
    const OrtApi *api = API(m->rt);
    OrtAllocator *alloc = NULL;
    char *ort_name = NULL;
    OrtTypeInfo *ti = NULL;
    const OrtTensorTypeAndShapeInfo *tsi = NULL;
    ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    int rc = status_check(ctx, api, api->GetAllocatorWithDefaultOptions(&alloc), m->man.name);
    if (rc) return rc;
    OrtStatus *st = is_input ? api->SessionGetInputName(m->session, i, alloc, &ort_name)
                             : api->SessionGetOutputName(m->session, i, alloc, &ort_name);
    if ((rc = status_check(ctx, api, st, m->man.name))) return rc;
    snprintf(name, name_len, "%s", ort_name);
    if (!succeeded(api, api->AllocatorFree(alloc, ort_name)))
        return lfr_fail(ctx, LFR_ERUNTIME, "%s: onnxruntime could not free a name", m->man.name);
    st = is_input ? api->SessionGetInputTypeInfo(m->session, i, &ti)
                  : api->SessionGetOutputTypeInfo(m->session, i, &ti);
    if ((rc = status_check(ctx, api, st, m->man.name))) return rc;
    if ((rc = status_check(ctx, api, api->CastTypeInfoToTensorInfo(ti, &tsi), m->man.name)))
        goto done;
    if (!tsi) {
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: %s '%s' is not a tensor", m->man.name,
                      is_input ? "input" : "output", name);
        goto done;
    }
    if ((rc = status_check(ctx, api, api->GetTensorElementType(tsi, &type), m->man.name)) ||
        (rc = status_check(ctx, api, api->GetDimensionsCount(tsi, ndim), m->man.name)))
        goto done;
    if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: %s '%s' is not float32", m->man.name,
                      is_input ? "input" : "output", name);
        goto done;
    }
    if (*ndim > 4) {
        rc = lfr_fail(ctx, LFR_EMODEL, "%s: %s '%s' has %zu dimensions", m->man.name,
                      is_input ? "input" : "output", name, *ndim);
        goto done;
    }
    rc = status_check(ctx, api, api->GetDimensions(tsi, dims, *ndim), m->man.name);
done:
    api->ReleaseTypeInfo(ti);
    return rc;
}

int ort_check_io(lfr_ctx *ctx, const lfr_model *m)
{
    const OrtApi *api = API(m->rt);
    const manifest *man = &m->man;
    size_t n_in = 0, n_out = 0;
    int rc;
    if ((rc = status_check(ctx, api, api->SessionGetInputCount(m->session, &n_in), man->name)) ||
        (rc = status_check(ctx, api, api->SessionGetOutputCount(m->session, &n_out), man->name)))
        return rc;
    if (n_in != 1)
        return lfr_fail(ctx, LFR_EMODEL, "%s: the network has %zu inputs, the manifest expects 1",
                        man->name, n_in);
    char name[128];
    int64_t dims[4];
    size_t ndim = 0;
    if ((rc = io_info(ctx, m, 1, 0, name, sizeof name, dims, &ndim))) return rc;
    int channels = man->colour == COLOUR_GREY ? 1 : 3;
    if (strcmp(name, man->input_name) != 0 || ndim != 4 || (dims[1] > 0 && dims[1] != channels) ||
        (man->input_h > 0 && dims[2] > 0 && dims[2] != man->input_h) ||
        (man->input_w > 0 && dims[3] > 0 && dims[3] != man->input_w) ||
        (man->input_w == 0 && dims[3] > 0))
        return lfr_fail(
            ctx, LFR_EMODEL,
            "%s: the network's input '%s' [%lld,%lld,%lld,%lld] does not match the "
            "manifest's '%s' [1,%d,%d,%d] (0 = any): wrong model file for this manifest?",
            man->name, name, (long long)dims[0], (long long)(ndim > 1 ? dims[1] : 0),
            (long long)(ndim > 2 ? dims[2] : 0), (long long)(ndim > 3 ? dims[3] : 0),
            man->input_name, channels, man->input_h, man->input_w);
    for (int k = 0; k < man->n_outputs; k++) {
        int found = 0;
        for (size_t i = 0; i < n_out && !found; i++) {
            if ((rc = io_info(ctx, m, 0, i, name, sizeof name, dims, &ndim))) return rc;
            if (strcmp(name, man->output_names[k]) != 0) continue;
            found = 1;
            int64_t last = ndim ? dims[ndim - 1] : 0;
            if (man->kind == LFR_MODEL_EMBEDDER && last > 0 && last != man->embedding_size)
                return lfr_fail(ctx, LFR_EMODEL,
                                "%s: output '%s' has %lld values, the manifest says %d", man->name,
                                name, (long long)last, man->embedding_size);
            if (man->kind == LFR_MODEL_LANDMARKS && last > 0 && last != 2 * man->n_points)
                return lfr_fail(ctx, LFR_EMODEL,
                                "%s: output '%s' has %lld values, the manifest's %d points need %d",
                                man->name, name, (long long)last, man->n_points, 2 * man->n_points);
        }
        if (!found)
            return lfr_fail(ctx, LFR_EMODEL, "%s: the network has no output named '%s'", man->name,
                            man->output_names[k]);
    }
    return LFR_OK;
}

void ort_output_free(ort_output *o, int n)
{
    for (int i = 0; i < n; i++) {
        lfr_wipe_free(o[i].data, o[i].count * sizeof(float));
        o[i].data = NULL;
    }
}

int ort_run(lfr_ctx *ctx, const lfr_model *m, const float *input, const int64_t shape[4],
            ort_output *outs)
{
    const OrtApi *api = API(m->rt);
    const manifest *man = &m->man;
    size_t count = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]);
    OrtValue *in = NULL;
    OrtValue *ov[2] = {NULL, NULL};
    const char *out_names[2] = {man->output_names[0], man->output_names[1]};
    const char *in_name = man->input_name;
    memset(outs, 0, sizeof(ort_output) * (size_t)man->n_outputs);
    int rc = status_check(
        ctx, api,
        api->CreateTensorWithDataAsOrtValue(m->rt->mem_info, (void *)input, count * sizeof(float),
                                            shape, 4, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &in),
        man->name);
    if (rc) return rc;
    rc = status_check(ctx, api,
                      api->Run(m->session, NULL, &in_name, (const OrtValue *const *)&in, 1,
                               out_names, (size_t)man->n_outputs, ov),
                      man->name);
    if (rc) goto done;
    for (int k = 0; k < man->n_outputs; k++) {
        OrtTensorTypeAndShapeInfo *info = NULL;
        size_t ndim = 0, n = 0;
        float *data = NULL;
        if ((rc = status_check(ctx, api, api->GetTensorTypeAndShape(ov[k], &info), man->name)))
            goto done;
        OrtStatus *st = api->GetDimensionsCount(info, &ndim);
        if (!st && ndim <= 4) st = api->GetDimensions(info, outs[k].shape, ndim);
        if (!st) st = api->GetTensorShapeElementCount(info, &n);
        api->ReleaseTensorTypeAndShapeInfo(info);
        if ((rc = status_check(ctx, api, st, man->name))) goto done;
        if (ndim > 4) {
            rc = lfr_fail(ctx, LFR_EMODEL, "%s: output has %zu dimensions", man->name, ndim);
            goto done;
        }
        if ((rc = status_check(ctx, api, api->GetTensorMutableData(ov[k], (void **)&data),
                               man->name)))
            goto done;
        outs[k].data = lfr_alloc(n * sizeof(float));
        if (!outs[k].data) {
            rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory for the output", man->name);
            goto done;
        }
        memcpy(outs[k].data, data, n * sizeof(float));
        outs[k].count = n;
        outs[k].ndim = (int)ndim;
    }
done:
    for (int k = 0; k < 2; k++) {
        if (!ov[k]) continue;
        /* The runtime's own output buffer may hold a template: wipe it too. */
        float *data = NULL;
        OrtTensorTypeAndShapeInfo *info = NULL;
        size_t n = 0;
        if (succeeded(api, api->GetTensorMutableData(ov[k], (void **)&data)) &&
            succeeded(api, api->GetTensorTypeAndShape(ov[k], &info)) &&
            succeeded(api, api->GetTensorShapeElementCount(info, &n)))
            lfr_wipe(data, n * sizeof(float));
        if (info) api->ReleaseTensorTypeAndShapeInfo(info);
        api->ReleaseValue(ov[k]);
    }
    api->ReleaseValue(in);
    if (rc) ort_output_free(outs, man->n_outputs);
    return rc;
}

/* The session's input and output names, allocated by ORT's default
 * allocator; freed with free_names. */
static int session_names(lfr_ctx *ctx, const OrtApi *api, OrtSession *session, const char *what,
                         OrtAllocator *alloc, char **input, char ***outputs, size_t *n_out)
{
    *input = NULL;
    *outputs = NULL;
    int rc = status_check(ctx, api, api->SessionGetOutputCount(session, n_out), what);
    if (rc == LFR_OK)
        rc = status_check(ctx, api, api->SessionGetInputName(session, 0, alloc, input), what);
    if (rc == LFR_OK && !(*outputs = lfr_calloc(*n_out ? *n_out : 1, sizeof **outputs)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; rc == LFR_OK && i < *n_out; i++)
        rc = status_check(ctx, api, api->SessionGetOutputName(session, i, alloc, &(*outputs)[i]),
                          what);
    return rc;
}

static void free_names(const OrtApi *api, OrtAllocator *alloc, char *input, char **outputs,
                       size_t n_out)
{
    if (input) succeeded(api, api->AllocatorFree(alloc, input));
    for (size_t i = 0; outputs && i < n_out; i++)
        if (outputs[i]) succeeded(api, api->AllocatorFree(alloc, outputs[i]));
    lfr_free(outputs);
}

int ort_run_every_output(lfr_ctx *ctx, lfr_runtime *rt, void *session, const char *what,
                         const float *input, const int64_t shape[4], ort_tensor_fn fn, void *arg)
{
    const OrtApi *api = API(rt);
    OrtAllocator *alloc = NULL;
    char *in_name = NULL, **out_names = NULL;
    size_t n_out = 0;
    OrtValue *in = NULL, **ov = NULL;
    int rc = status_check(ctx, api, api->GetAllocatorWithDefaultOptions(&alloc), what);
    if (rc == LFR_OK)
        rc = session_names(ctx, api, session, what, alloc, &in_name, &out_names, &n_out);
    if (rc == LFR_OK && !(ov = lfr_calloc(n_out ? n_out : 1, sizeof *ov)))
        rc = lfr_fail(ctx, LFR_ENOMEM, "%s: out of memory", what);
    size_t count = (size_t)(shape[0] * shape[1] * shape[2] * shape[3]);
    if (rc == LFR_OK)
        rc = status_check(
            ctx, api,
            api->CreateTensorWithDataAsOrtValue(rt->mem_info, (void *)input, count * sizeof(float),
                                                shape, 4, ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &in),
            what);
    if (rc == LFR_OK)
        rc = status_check(ctx, api,
                          api->Run(session, NULL, (const char *const *)&in_name,
                                   (const OrtValue *const *)&in, 1, (const char *const *)out_names,
                                   n_out, ov),
                          what);
    for (size_t i = 0; rc == LFR_OK && i < n_out; i++) {
        OrtTensorTypeAndShapeInfo *info = NULL;
        size_t n = 0;
        float *data = NULL;
        OrtStatus *st = api->GetTensorTypeAndShape(ov[i], &info);
        if (!st) st = api->GetTensorShapeElementCount(info, &n);
        if (info) api->ReleaseTensorTypeAndShapeInfo(info);
        if (!st) st = api->GetTensorMutableData(ov[i], (void **)&data);
        if ((rc = status_check(ctx, api, st, what)) == LFR_OK) {
            fn(out_names[i], data, n, arg);
            lfr_wipe(data, n * sizeof(float)); /* inner tensors of a face */
        }
    }
    for (size_t i = 0; ov && i < n_out; i++)
        if (ov[i]) api->ReleaseValue(ov[i]);
    if (in) api->ReleaseValue(in);
    lfr_free(ov);
    if (alloc) free_names(api, alloc, in_name, out_names, n_out);
    return rc;
}
