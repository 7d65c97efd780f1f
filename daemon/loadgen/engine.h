/* The workload engine: --workers independent callers on --threads
 * threads, each thread running its own libevent loop over non-blocking
 * sockets (no thread per worker, no lock between threads on the I/O
 * path).
 *
 * A worker is one application caller: one operation at a time; its key
 * goes to a server by ketama; the server's breaker is asked; it takes a
 * connection from its thread's pool for that server (waiting at most
 * --pool-acquire-timeout, else it fails as `pool`); the request is sent
 * and the reply read under one timer of --op-timeout (connect, send,
 * receive; on expiry it fails as `timeout` and the connection, out of step,
 * is closed). It waits for nothing else: not another worker, not another
 * server. After a failure it waits the fallback time (the application
 * going to its database) before its next operation, so a fast failure
 * never becomes a busy loop.
 *
 * Pools are per thread: --connections is split between the threads (each
 * keeps its share, at least one), so the total per server is what the user
 * asked for and no connection is ever touched by two threads. --pipeline N
 * lets up to N requests share a connection in flight (replies in order).
 *
 * Closed loop (--rate=0): a worker starts its next operation as soon as the
 * last one ends. Open loop: arrivals follow a fixed schedule (--rate split
 * evenly between threads), each taken by a free worker of its thread;
 * latency counts from the scheduled time. When every worker of a thread is
 * busy, arrivals wait in a backlog of at most one second of the thread's
 * arrivals (or as many as it has workers, if more); beyond that the
 * oldest are dropped and counted in memcache_arrivals_dropped_total. */
#ifndef RELIABD_LOADGEN_ENGINE_H
#define RELIABD_LOADGEN_ENGINE_H

#include "client.h"

struct lg_engine;

/* Starts the threads. NULL on error. */
struct lg_engine *lg_engine_start(struct lg_client *client,
    const struct lg_options *opt);
/* Asks the threads to stop: no new operation starts; the ones in flight
 * finish (each within its --op-timeout). */
void lg_engine_request_stop(struct lg_engine *e);
/* Stops (if not yet) and waits for the threads; every count is final. */
void lg_engine_stop(struct lg_engine *e);
/* Frees (after lg_engine_stop, and after nothing reads the pool gauges:
 * stop the metrics server first). */
void lg_engine_free(struct lg_engine *e);
unsigned lg_engine_threads(const struct lg_engine *e);

#endif
