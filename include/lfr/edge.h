/* lfr/edge.h - an edge node (issue 17 item 3): the machine beside a
 * deployment's cameras (a van) that runs their pipelines, so that nothing
 * of a passer-by who does not match ever leaves it. It holds its own keys,
 * enrols with the centre (an administrator approves it), receives each
 * deployment's reviewed templates sealed to it alone, and sends up alerts,
 * sealed to the centre and kept on its disk until the centre has them, and
 * counts. The templates are wiped when the deployment ends, is suspended
 * or stopped, or when the centre has been silent for longer than the
 * deployment allows. */
#ifndef LFR_EDGE_H
#define LFR_EDGE_H

#include "lfr/base.h"
#include "lfr/vision.h"

/* Makes the node's keys (an Ed25519 signing key, an X25519 box key) in
 * state_dir, made 0700 if new, unless it has them already. */
int lfr_edge_init(lfr_ctx *ctx, const char *state_dir);

/* Asks the centre (an https:// URL; ca_file the PEM certificate to trust
 * for it, NULL for the system's) to take this machine as a node named
 * name, with the one-time code an administrator issued for that name. The node waits for an
 * administrator's approval; its id, the centre and the centre's box key go in state_dir/node.json.
 */
int lfr_edge_enrol(lfr_ctx *ctx, const char *state_dir, const char *centre_url, const char *ca_file,
                   const char *name, const char *code, int64_t *id);
/* The fingerprint of the node's key, as the console shows it beside the
 * node: what the administrator compares before approving. */
int lfr_edge_fingerprint(lfr_ctx *ctx, const char *state_dir, char out[17]);

typedef struct lfr_edge lfr_edge;
typedef struct lfr_edge_params {
    int poll_ms;   /* how often the centre is asked what to run (1000) */
    int counts_ms; /* how often counts go up (10000) */
} lfr_edge_params;
lfr_edge_params lfr_edge_default_params(void);

/* A node of state_dir (enrolled) running its pipelines on engine. */
int lfr_edge_new(lfr_ctx *ctx, const lfr_engine *engine, const char *state_dir,
                 const lfr_edge_params *params, lfr_edge **out);
/* Runs until lfr_edge_stop, or until the centre says the node is revoked
 * (LFR_EREFUSED, everything wiped). */
int lfr_edge_run(lfr_ctx *ctx, lfr_edge *e);
/* Async-signal-safe: lfr_edge_run stops its cameras, wipes and returns. */
void lfr_edge_stop(lfr_edge *e);
void lfr_edge_free(lfr_edge *e);

#endif
