/* edge/internal.h - private to the edge module. */
#ifndef LFR_EDGE_INTERNAL_H
#define LFR_EDGE_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "lfr/edge.h"
#include "lfr/policy.h"

/* The wall clock in microseconds: alert times, queue names, request times. */
static inline int64_t edge_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The node's keys, in locked memory (node.c). */
typedef struct node_keys {
    uint8_t sign_sk[LFR_NODE_SIGN_SK_BYTES], sign_pk[LFR_NODE_KEY_BYTES];
    uint8_t box_sk[LFR_NODE_KEY_BYTES], box_pk[LFR_NODE_KEY_BYTES];
} node_keys;
/* Loads state_dir/node.key into locked memory (lfr_locked_free), making it
 * first when create. */
int node_keys_load(lfr_ctx *ctx, const char *dir, int create, node_keys **out);

/* What enrolment left in state_dir/node.json. */
typedef struct node_state {
    int64_t id;
    char name[64];
    char centre[512];
    char ca[PATH_MAX];                          /* "" for the system's trust store */
    uint8_t centre_pk[LFR_NODE_KEY_BYTES];      /* alerts are sealed to it */
    uint8_t centre_sign_pk[LFR_NODE_KEY_BYTES]; /* the centre's answers are signed with it */
} node_state;
int node_state_load(lfr_ctx *ctx, const char *dir, node_state *out);

/* Signed requests to the centre (link.c), one connection per thread. */
typedef struct edge_link edge_link;
/* centre_sign_pk: the key the centre's answers must be signed with (NULL
 * for the enrolment, before the node knows it). */
int link_new(lfr_ctx *ctx, const char *centre, const char *ca, int64_t node_id,
             const node_keys *keys, const uint8_t *centre_sign_pk, edge_link **out);
/* How long the next request may take at most (ms; 0: the default). */
void link_set_timeout(edge_link *l, int64_t ms);
/* POSTs body (JSON) to path, signed; *status and the reply's JSON (NULL if
 * it had none). LFR_EIO when the centre could not be reached, or answered
 * without the centre's signature (no status). */
int link_post(lfr_ctx *ctx, edge_link *l, const char *path, const json_t *body, long *status,
              json_t **reply);
void link_free(edge_link *l);
/* An https:// URL with nothing after its authority; LFR_EINVAL if not. */
int link_check_url(lfr_ctx *ctx, const char *url);

/* Alerts waiting for the centre, each a file of state_dir/queue sealed to
 * the centre's key (queue.c): written whole or not at all, sent oldest
 * first, removed once the centre has it. */
int queue_put(lfr_ctx *ctx, const char *dir, const uint8_t *data, size_t len);
/* The oldest's name into name (1), 0 if none, or an error. */
int queue_oldest(lfr_ctx *ctx, const char *dir, char name[64]);
int queue_read(lfr_ctx *ctx, const char *dir, const char *name, uint8_t **data, size_t *len,
               int64_t *age_ms);
int queue_drop(lfr_ctx *ctx, const char *dir, const char *name);
/* Sets aside one the centre will never take as it is (name.rejected):
 * kept, still sealed, for the administrator; no longer sent. */
int queue_set_aside(lfr_ctx *ctx, const char *dir, const char *name);
int queue_count(const char *dir);

#endif
