/* The libmemcached client kind (--kind=libmemcached): the workload as a
 * PHP-memcached or pylibmc application runs it. A thread per worker, each
 * with its own memcached_st (as a PHP-FPM process, or pylibmc's
 * ThreadMappedPool, has its own), making blocking libmemcached calls:
 * get, set and delete drawn, keyed and checked as the resilient kind does
 * (workload.h), counted in the same metrics (client.h) less the breaker
 * and pool ones.
 *
 * Why not a memcached_pool: a pool hands whichever memcached_st is free to
 * the next caller, so what one handle learnt (a server failed, ejected)
 * reaches the callers at random; a handle per thread makes each caller
 * learn it in its own time, as separate application processes do, and
 * measures what they see.
 *
 * Failure handling is libmemcached's own, nothing of ours: its server
 * failure limit, retry timeout, auto-eject with ketama re-mapping, dead
 * timeout (options.h, lg_libmc_settings); --op-timeout is its poll and
 * connect timeout. After a failed call the worker waits the fallback time
 * (the application going to its database), as in the resilient kind, so a
 * fast failure never becomes a busy loop. */
#ifndef RELIABD_LOADGEN_LIBMC_H
#define RELIABD_LOADGEN_LIBMC_H

#include <libmemcached/memcached.h>

#include "client.h"
#include "options.h"

struct lg_libmc;

/* Starts a thread per worker. NULL on error (logged). */
struct lg_libmc *lg_libmc_start(struct lg_client *c,
    const struct lg_options *o);
/* No new operation starts; calls in flight end (each within libmemcached's
 * timeouts). */
void lg_libmc_request_stop(struct lg_libmc *m);
/* Stops (if not yet) and waits for the threads: every count is final. */
void lg_libmc_stop(struct lg_libmc *m);
void lg_libmc_free(struct lg_libmc *m);

/* libmc_conf.c: a memcached_st for the options (servers in order, ketama
 * weighted as ketama.h places keys, the timeouts and failure behaviours).
 * NULL on error (logged). */
memcached_st *libmc_create(const struct lg_options *o);
/* What a libmemcached return code counts as (see docs/CLIENTS.md). */
enum lg_err_kind libmc_err_kind(memcached_return_t rc);
/* The index in o->servers of a libmemcached server; -1 when none. */
int libmc_server_index(const struct lg_options *o,
    const memcached_instance_st *in);

#endif
