/* What a scenario fault becomes on a Toxiproxy API: the toxic's type and
 * attributes. Pure (jansson only). */
#ifndef RELIABD_SCENARIO_FAULTMAP_H
#define RELIABD_SCENARIO_FAULTMAP_H

#include <jansson.h>
#include <stddef.h>

#include "spec.h"

/* The built-in proxy's loss model starts its retransmission timeout here;
 * the approximation for a real Toxiproxy uses the same figure. */
#define LOSS_RTO_MS 200.0

/* For toxic faults (not down or node_restart): the toxic type into `type`
 * and a new attributes object into *attrs. `builtin` says whether the
 * proxy is reliabd-proxy; when it is not, `loss` is approximated and
 * *approximated set. 0, or -1 on no memory or a fault that is no toxic.
 *
 * The approximation of loss p on a real Toxiproxy: what TCP shows under
 * loss is a retransmission delay on a share p of the segments; a latency
 * toxic whose mean is the expected extra delay per chunk, RTO * p / (1-p),
 * with as much jitter; at p = 1 nothing passes: a timeout toxic with
 * timeout 0 (the connection hangs). */
int fault_to_toxic(const struct fault_spec *f, int builtin, char *type,
    size_t typelen, json_t **attrs, int *approximated);

#endif
