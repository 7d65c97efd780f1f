/* The resilient memcache client: the servers on a ketama ring, and per
 * server a circuit breaker and kept metric handles. The connection pools
 * are the engine's (one per thread and server, see engine.h); the client
 * sums them into the pool gauges. */
#ifndef RELIABD_LOADGEN_CLIENT_H
#define RELIABD_LOADGEN_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "breaker.h"
#include "ketama.h"
#include "metrics.h"
#include "options.h"
#include "pool.h"

enum lg_err_kind {
	LG_ERR_TIMEOUT,
	LG_ERR_CONNECTION,
	LG_ERR_SERVER,
	LG_ERR_CIRCUIT_OPEN,
	LG_ERR_POOL,
};
#define LG_NKINDS 5
const char *lg_err_kind_text(enum lg_err_kind k);

enum lg_status {
	LG_STATUS_SUCCESS,
	LG_STATUS_FAILED,
};
const char *lg_status_text(enum lg_status s);

enum lg_integrity_kind {
	LG_INTEGRITY_CORRUPT,
	LG_INTEGRITY_STALE,
};
const char *lg_integrity_kind_text(enum lg_integrity_kind k);

/* The breaker transitions that can happen, one counter series each. */
#define LG_NTRANSITIONS 4

struct lg_client;

struct lg_srv {
	struct lg_client *client;
	const struct lg_server *cfg;
	char id[ADDR_HOST_MAX + 16]; /* "host:port" on the ring */
	struct breaker breaker;
	bool breaker_ok;
	/* The engine's pools for this server, one per thread, published
	 * (npools last, release) before its threads start. */
	struct pool *pools[LG_MAX_THREADS];
	_Atomic size_t npools;
	/* Bumped when the breaker opens: each thread then drops its idle
	 * connections to this server (suspect: it may have restarted). */
	atomic_uint flush_epoch;

	struct metric *m_state;
	struct metric *m_transitions[LG_NTRANSITIONS];
	struct metric *m_requests;
	struct metric *m_failures_total, *m_failures_consecutive;
	struct metric *m_pool_total, *m_pool_active, *m_pool_idle;
	struct metric *m_pool_created;
	struct metric *m_pool_acquire_errors;
	struct metric *m_duration[LG_NOPS];
	struct metric *m_errors[LG_NOPS][LG_NKINDS];
};

struct lg_client {
	const struct lg_options *opt;
	struct metrics_registry *reg;
	struct ketama ring;
	struct lg_srv srv[LG_MAX_SERVERS];
	size_t nsrv;

	struct metric *m_ops[LG_NOPS][2];
	struct metric *m_rate;
	struct metric *m_error_rate;
	struct metric *m_integrity[2];
	struct metric *m_arrivals_dropped;
};

/* Declares every loadgen metric family in `reg` and builds the servers.
 * 0 or -1. */
int lg_client_init(struct lg_client *c, const struct lg_options *opt,
    struct metrics_registry *reg);
void lg_client_free(struct lg_client *c);

/* Totals of every operation and of failed ones, for the rates. */
void lg_client_totals(struct lg_client *c, double *all, double *failed);

#endif
