/* The workload engine: --workers logical workers, each with at most one
 * operation in flight, driven by a few threads. A thread works in rounds:
 * each of its workers due starts an operation; sets and deletes complete at
 * once; the gets of the round are grouped per server (ketama) and sent as
 * one multi-get on one pooled connection each, then their replies read.
 * So gets to different servers are in flight in parallel, and concurrent
 * gets to one server share a request, as spymemcached's get optimisation
 * does; each still counts, is timed and checked on its own. Closed loop: every worker goes again
 * at once. Open loop: each worker has a schedule (--rate split evenly) and
 * latency counts from the scheduled start, so a stall is measured instead
 * of silently lowering the rate (no coordinated omission). */
#ifndef RELIABD_LOADGEN_ENGINE_H
#define RELIABD_LOADGEN_ENGINE_H

#include "client.h"

struct lg_engine;

/* Starts the threads. NULL on error. */
struct lg_engine *lg_engine_start(struct lg_client *client,
    const struct lg_options *opt);
/* Asks the threads to stop (async-signal-unsafe: call from main). */
void lg_engine_request_stop(struct lg_engine *e);
/* Stops (if not yet), waits for every in-flight operation and the threads,
 * and frees. */
void lg_engine_stop(struct lg_engine *e);
unsigned lg_engine_threads(const struct lg_engine *e);

#endif
