/* Servers, breakers and the loadgen's metric families. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

const char *
lg_err_kind_text(enum lg_err_kind k)
{
	switch (k) {
	case LG_ERR_TIMEOUT:
		return "timeout";
	case LG_ERR_CONNECTION:
		return "connection";
	case LG_ERR_SERVER:
		return "server";
	case LG_ERR_CIRCUIT_OPEN:
		return "circuit_open";
	case LG_ERR_POOL:
		return "pool";
	}
	return "unknown";
}

const char *
lg_status_text(enum lg_status s)
{
	return s == LG_STATUS_SUCCESS ? "success" : "failed";
}

const char *
lg_integrity_kind_text(enum lg_integrity_kind k)
{
	return k == LG_INTEGRITY_CORRUPT ? "corrupt" : "stale";
}

/* The transitions a breaker can make, in the order of m_transitions. */
static const enum breaker_state trans_from[LG_NTRANSITIONS] = {
	BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN, BREAKER_HALF_OPEN,
};
static const enum breaker_state trans_to[LG_NTRANSITIONS] = {
	BREAKER_OPEN, BREAKER_HALF_OPEN, BREAKER_CLOSED, BREAKER_OPEN,
};

/* The breakers' clock: millisecond timeouts need no more than the coarse
 * clock, which costs a fraction of a precise read on every call. */
static uint64_t
mono_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_transition(void *arg, enum breaker_state from, enum breaker_state to)
{
	struct lg_srv *s = arg;

	for (int i = 0; i < LG_NTRANSITIONS; i++)
		if (trans_from[i] == from && trans_to[i] == to)
			metric_inc(s->m_transitions[i]);
	metric_set(s->m_state, (double)to);
	log_info("server %s: breaker %s -> %s", s->cfg->name,
	    breaker_state_text(from), breaker_state_text(to));
	/* Idle connections to a server that just failed are suspect (it
	 * may restart behind them): the probes get fresh ones. Each thread
	 * flushes its own pool when it next uses this server. */
	if (to == BREAKER_OPEN)
		atomic_fetch_add_explicit(&s->flush_epoch, 1,
		    memory_order_relaxed);
}

/* Gauges read rather than pushed: breaker counts and pool occupancy. */
static void
collect(void *arg)
{
	struct lg_client *c = arg;

	for (size_t i = 0; i < c->nsrv; i++) {
		struct lg_srv *s = &c->srv[i];
		struct breaker_counts bc;
		struct pool_stats ps;
		enum breaker_state st = breaker_state(&s->breaker, &bc);

		metric_set(s->m_state, (double)st);
		metric_set(s->m_requests, bc.requests);
		metric_set(s->m_failures_total, bc.failures);
		metric_set(s->m_failures_consecutive, bc.consecutive_failures);
		size_t total = 0, active = 0, idle = 0;
		size_t np = atomic_load_explicit(&s->npools,
		    memory_order_acquire);
		for (size_t t = 0; t < np; t++) {
			pool_stats(s->pools[t], &ps);
			total += ps.total;
			active += ps.active;
			idle += ps.idle;
		}
		metric_set(s->m_pool_total, (double)total);
		metric_set(s->m_pool_active, (double)active);
		metric_set(s->m_pool_idle, (double)idle);
	}
}

/* 50 µs to 120 s, about three buckets a decade. */
static const double duration_bounds[] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
};

struct families {
	struct metric_family *ops, *rate, *error_rate, *state, *transitions,
	    *requests, *failures, *pool_conns, *pool_created, *pool_acq_err,
	    *duration, *errors, *integrity, *dropped;
};

/* The breaker and pool families are the resilient client's: another kind
 * (libmc.h) has neither, and exports them not at all. */
static int
declare(struct metrics_registry *reg, struct families *f, bool resilient)
{
	memset(f, 0, sizeof(*f));
	f->ops = metrics_counter(reg, "memcache_operations_total",
	    "Memcache operations by type and outcome (a miss is a success).",
	    "op,status");
	f->rate = metrics_gauge(reg, "memcache_operations_rate",
	    "Operations per second over the last second.", NULL);
	f->error_rate = metrics_gauge(reg, "memcache_error_rate",
	    "Failed operations / all operations over the last second (0..1).",
	    NULL);
	f->duration = metrics_histogram(reg,
	    "memcache_operation_duration_seconds",
	    "Operation latency from its scheduled start (open loop) or its "
	    "issue (closed loop).", "op,server", duration_bounds,
	    NELEM(duration_bounds));
	f->errors = metrics_counter(reg, "memcache_operation_errors_total",
	    "Failed operations by kind.", "op,server,kind");
	f->integrity = metrics_counter(reg,
	    "memcache_data_integrity_errors_total",
	    "Values read back that were corrupt (another key's, or damaged) "
	    "or stale (older than this worker's last write).", "kind");
	f->dropped = metrics_counter(reg, "memcache_arrivals_dropped_total",
	    "Open loop: scheduled operations never started because every "
	    "worker was busy and the backlog (a second of arrivals) was full.",
	    NULL);
	if (!f->ops || !f->rate || !f->error_rate || !f->duration ||
	    !f->errors || !f->integrity || !f->dropped) {
		log_error("could not declare the metric families");
		return -1;
	}
	if (!resilient)
		return 0;
	f->state = metrics_gauge(reg, "memcache_circuit_breaker_state",
	    "Circuit breaker state: 0 closed, 1 half-open, 2 open.", "server");
	f->transitions = metrics_counter(reg,
	    "memcache_circuit_breaker_transitions_total",
	    "Circuit breaker state changes.", "server,from,to");
	f->requests = metrics_gauge(reg, "memcache_circuit_breaker_requests",
	    "Requests in the breaker's current window.", "server");
	f->failures = metrics_gauge(reg, "memcache_circuit_breaker_failures",
	    "Failures in the breaker's current window: total and consecutive.",
	    "server,type");
	f->pool_conns = metrics_gauge(reg, "memcache_pool_connections",
	    "Pooled connections: total, active (in use), idle.", "server,state");
	f->pool_created = metrics_counter(reg, "memcache_pool_created_total",
	    "Connections the pool has made.", "server");
	f->pool_acq_err = metrics_counter(reg,
	    "memcache_pool_acquire_errors_total",
	    "Pool acquisitions that timed out or could not make a connection.",
	    "server");
	if (!f->state || !f->transitions || !f->requests || !f->failures ||
	    !f->pool_conns || !f->pool_created || !f->pool_acq_err) {
		log_error("could not declare the metric families");
		return -1;
	}
	return 0;
}

static int
srv_metrics(struct lg_srv *s, const struct families *f)
{
	const char *n = s->cfg->name;

	for (int op = 0; op < LG_NOPS; op++) {
		const char *o = lg_op_text((enum lg_op)op);
		s->m_duration[op] = metric_get(f->duration, o, n);
		if (!s->m_duration[op])
			return -1;
		for (int k = 0; k < LG_NKINDS; k++) {
			s->m_errors[op][k] = metric_get(f->errors, o, n,
			    lg_err_kind_text((enum lg_err_kind)k));
			if (!s->m_errors[op][k])
				return -1;
		}
	}
	if (f->state == NULL)
		return 0;  /* no breaker, no pool: not the resilient kind */
	s->m_state = metric_get(f->state, n);
	for (int i = 0; i < LG_NTRANSITIONS; i++) {
		s->m_transitions[i] = metric_get(f->transitions, n,
		    breaker_state_text(trans_from[i]),
		    breaker_state_text(trans_to[i]));
		if (!s->m_transitions[i])
			return -1;
	}
	s->m_requests = metric_get(f->requests, n);
	s->m_failures_total = metric_get(f->failures, n, "total");
	s->m_failures_consecutive = metric_get(f->failures, n, "consecutive");
	s->m_pool_total = metric_get(f->pool_conns, n, "total");
	s->m_pool_active = metric_get(f->pool_conns, n, "active");
	s->m_pool_idle = metric_get(f->pool_conns, n, "idle");
	s->m_pool_created = metric_get(f->pool_created, n);
	s->m_pool_acquire_errors = metric_get(f->pool_acq_err, n);
	if (!s->m_state || !s->m_requests || !s->m_failures_total ||
	    !s->m_failures_consecutive || !s->m_pool_total ||
	    !s->m_pool_active || !s->m_pool_idle || !s->m_pool_created ||
	    !s->m_pool_acquire_errors)
		return -1;
	return 0;
}

int
lg_client_init(struct lg_client *c, const struct lg_options *opt,
    struct metrics_registry *reg)
{
	struct families f;
	const char *ids[LG_MAX_SERVERS];
	struct metric_family *open_to = NULL;
	bool resilient = opt->kind == LG_KIND_RESILIENT;

	memset(c, 0, sizeof(*c));
	c->opt = opt;
	c->reg = reg;
	if (declare(reg, &f, resilient) != 0)
		return -1;
	for (int op = 0; op < LG_NOPS; op++)
		for (int st = 0; st < 2; st++)
			if (!(c->m_ops[op][st] = metric_get(f.ops,
			    lg_op_text((enum lg_op)op),
			    lg_status_text((enum lg_status)st))))
				goto nomem;
	c->m_rate = metric_get(f.rate);
	c->m_error_rate = metric_get(f.error_rate);
	c->m_integrity[0] = metric_get(f.integrity, "corrupt");
	c->m_integrity[1] = metric_get(f.integrity, "stale");
	c->m_arrivals_dropped = metric_get(f.dropped);
	if (!c->m_rate || !c->m_error_rate || !c->m_integrity[0] ||
	    !c->m_integrity[1] || !c->m_arrivals_dropped)
		goto nomem;

	/* The scenario worker reads it: a recovery phase shorter than this
	 * cannot see a breaker close. */
	if (resilient && !(open_to = metrics_gauge(reg,
	    "memcache_circuit_breaker_open_timeout_seconds",
	    "How long an open breaker stays open before half-open.",
	    "server")))
		goto nomem;
	for (size_t i = 0; i < opt->nservers; i++) {
		struct lg_srv *s = &c->srv[i];
		struct metric *m_open_to = open_to ? metric_get(open_to,
		    opt->servers[i].name) : NULL;
		if (open_to && !m_open_to)
			goto nomem;
		if (m_open_to)
			metric_set(m_open_to,
			    (double)opt->breaker.open_timeout_ms / 1000.0);
		s->client = c;
		s->cfg = &opt->servers[i];
		snprintf(s->id, sizeof(s->id), "%s:%u", s->cfg->addr.host,
		    s->cfg->addr.port);
		ids[i] = s->id;
		c->nsrv++;
		if (srv_metrics(s, &f) != 0)
			goto nomem;
		if (!resilient)
			continue;
		if (breaker_init(&s->breaker, &opt->breaker, mono_ms, NULL))
			goto fail;
		s->breaker_ok = true;
		breaker_set_callback(&s->breaker, on_transition, s);
	}
	if (ketama_build(&c->ring, ids, c->nsrv) != 0)
		goto fail;
	if (resilient && metrics_on_collect(reg, collect, c) != 0)
		goto fail;
	return 0;
nomem:
	log_error("no memory for the metric series");
fail:
	lg_client_free(c);
	return -1;
}

void
lg_client_free(struct lg_client *c)
{
	for (size_t i = 0; i < c->nsrv; i++) {
		struct lg_srv *s = &c->srv[i];
		if (s->breaker_ok)
			breaker_destroy(&s->breaker);
		s->breaker_ok = false;
	}
	ketama_free(&c->ring);
	c->nsrv = 0;
}

void
lg_client_totals(struct lg_client *c, double *all, double *failed)
{
	double a = 0, f = 0;

	for (int op = 0; op < LG_NOPS; op++) {
		a += metric_value(c->m_ops[op][LG_STATUS_SUCCESS]);
		f += metric_value(c->m_ops[op][LG_STATUS_FAILED]);
	}
	*all = a + f;
	*failed = f;
}
