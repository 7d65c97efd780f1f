/* Setting up and tearing down the engine: its threads, each with its
 * event loop and its pools, and the workers spread over them. What the
 * threads then do is workers.c's and conn.c's. See engine.h. */
#include "engine_int.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "rng.h"
#include "util.h"
#include "workload.h"

#define TICK_MS 10              /* local counts reach the metrics */

/* ---- Setup and teardown. ---- */

unsigned
lg_engine_threads(const struct lg_engine *e)
{
	return e->nthreads;
}

static void
thread_free(struct lg_engine *e, struct lg_thread *t)
{
	for (size_t s = 0; t->ts && s < e->c->nsrv; s++) {
		struct tsrv *ts = &t->ts[s];
		struct conn *c;
		/* Shared connections still out (a stop mid-flight on an
		 * aborted start) go back broken. */
		while ((c = TAILQ_FIRST(&ts->shared)) != NULL) {
			TAILQ_REMOVE(&ts->shared, c, shared_link);
			c->out = false;
			pool_release(&ts->pool, c, true);
		}
		if (ts->pool_ok)
			pool_destroy(&ts->pool);
	}
	free(t->ts);
	for (size_t i = 0; i < t->nw; i++)
		if (t->w[i]->timer)
			event_free(t->w[i]->timer);
	free(t->w);
	if (t->kick)
		event_free(t->kick);
	if (t->stop_ev)
		event_free(t->stop_ev);
	if (t->tick)
		event_free(t->tick);
	if (t->arrival)
		event_free(t->arrival);
	if (t->base)
		event_base_free(t->base);
	if (t->efd >= 0)
		close(t->efd);
	free(t->rbuf);
}

void
lg_engine_free(struct lg_engine *e)
{
	if (e == NULL)
		return;
	for (size_t s = 0; s < e->c->nsrv; s++)
		atomic_store_explicit(&e->c->srv[s].npools, 0,
		    memory_order_release);
	if (e->threads)
		for (unsigned i = 0; i < e->nthreads; i++)
			thread_free(e, &e->threads[i]);
	if (e->workers) {
		for (unsigned i = 0; i < e->opt->workers; i++) {
			version_table_free(&e->workers[i].seen);
			free(e->workers[i].value);
		}
	}
	for (size_t s = 0; s < LG_MAX_SERVERS; s++)
		if (e->addr[s])
			freeaddrinfo(e->addr[s]);
	free(e->workers);
	free(e->threads);
	free(e->key_server);
	free(e);
}

static int
resolve(struct lg_engine *e)
{
	for (size_t s = 0; s < e->c->nsrv; s++) {
		const struct lg_server *cfg = e->c->srv[s].cfg;
		struct addrinfo hints = {
			.ai_socktype = SOCK_STREAM,
			.ai_protocol = IPPROTO_TCP,
		};
		char port[8];
		int rc;

		snprintf(port, sizeof(port), "%u", cfg->addr.port);
		/* Once, before the loops run: a lookup blocks. */
		rc = getaddrinfo(cfg->addr.host, port, &hints, &e->addr[s]);
		if (rc != 0) {
			log_error("server %s: %s: %s", cfg->name,
			    cfg->addr.host, gai_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static int
thread_init(struct lg_engine *e, struct lg_thread *t, unsigned index)
{
	const struct lg_options *o = e->opt;
	struct event_config *cfg;
	struct timeval tv;
	unsigned share;

	t->e = e;
	t->index = index;
	t->efd = -1;
	TAILQ_INIT(&t->ready);
	TAILQ_INIT(&t->free);
	TAILQ_INIT(&t->dirty);
	t->fallback_ns = FALLBACK_INITIAL_NS;
	cfg = event_config_new();
	if (cfg == NULL)
		return -1;
	/* One thread per base: no locks inside libevent. The open loop's
	 * schedule needs timers to the microsecond (timerfd), not the
	 * millisecond; the closed loop does without (a timerfd costs a
	 * syscall per loop turn), and its fallback waits, often under a
	 * millisecond, are right on average by paying back late ones. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	if (e->open_loop)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	t->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	t->rbuf = malloc(READ_BUF);
	t->w = calloc(o->workers / e->nthreads + 1, sizeof(*t->w));
	t->ts = calloc(e->c->nsrv, sizeof(*t->ts));
	t->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->base == NULL || t->rbuf == NULL || t->w == NULL ||
	    t->ts == NULL || t->efd < 0) {
		log_error("no memory or no eventfd");
		return -1;
	}
	t->kick = event_new(t->base, -1, 0, on_kick, t);
	t->stop_ev = event_new(t->base, t->efd, EV_READ | EV_PERSIST, on_stop,
	    t);
	t->tick = event_new(t->base, -1, EV_PERSIST, on_tick, t);
	t->arrival = evtimer_new(t->base, on_arrival, t);
	if (!t->kick || !t->stop_ev || !t->tick || !t->arrival)
		return -1;
	tv.tv_sec = (time_t)(o->op_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(o->op_timeout_ms % 1000 * 1000);
	/* The same timeout for every operation: libevent keeps those in a
	 * queue instead of its heap (O(1) to add and remove). */
	t->tv_op = event_base_init_common_timeout(t->base, &tv);
	tv.tv_sec = (time_t)(o->pool_acquire_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(o->pool_acquire_timeout_ms % 1000 * 1000);
	t->tv_pool = event_base_init_common_timeout(t->base, &tv);
	if (t->tv_op == NULL || t->tv_pool == NULL)
		return -1;
	tv.tv_sec = 0;
	tv.tv_usec = TICK_MS * 1000;
	if (event_add(t->stop_ev, NULL) != 0 || event_add(t->tick, &tv) != 0)
		return -1;
	/* --connections is per server in all: each thread its share. */
	share = o->connections / e->nthreads +
	    (index < o->connections % e->nthreads ? 1 : 0);
	if (share == 0)
		share = 1;
	for (size_t s = 0; s < e->c->nsrv; s++) {
		struct tsrv *ts = &t->ts[s];
		ts->t = t;
		ts->srv = &e->c->srv[s];
		TAILQ_INIT(&ts->waiters);
		TAILQ_INIT(&ts->shared);
		ts->epoch = atomic_load(&ts->srv->flush_epoch);
		if (pool_init(&ts->pool, share, conn_create, conn_destroy,
		    ts) != 0)
			return -1;
		ts->pool_ok = true;
	}
	return 0;
}

struct lg_engine *
lg_engine_start(struct lg_client *client, const struct lg_options *opt)
{
	struct lg_engine *e = calloc(1, sizeof(*e));
	uint64_t seed = opt->seed ? opt->seed : now_mono_ns() ^ (uint64_t)getpid();
	uint64_t nonce;
	unsigned nthreads = opt->threads;
	size_t slots = lg_version_slots(opt);

	if (e == NULL) {
		log_error("no memory");
		return NULL;
	}
	e->c = client;
	e->opt = opt;
	e->weight_sum = opt->ratio[0] + opt->ratio[1] + opt->ratio[2];
	e->prefix = opt->key_prefix;
	e->prefix_len = strlen(opt->key_prefix);
	e->open_loop = opt->rate > 0;
	e->hooks.reply = op_reply;
	e->hooks.fail = op_failed;
	e->hooks.grant = op_send;
	if (resolve(e) != 0)
		goto fail;
	/* Up to 16 MiB of cache (pages are touched only as keys are used);
	 * a larger key space hashes every time. */
	if (opt->keys <= (16u << 20)) {
		e->key_server = calloc(opt->keys, sizeof(*e->key_server));
		if (e->key_server == NULL)
			goto nomem;
	}
	if (nthreads == 0) {
		/* A loop per CPU, as an application's callers (a thread each)
		 * would spread over every CPU: with half of them, on 2 CPUs the
		 * one loop got a third of the machine against memcached's two
		 * threads. But a loop per LG_WORKERS_PER_LOOP workers at most:
		 * a loop with one or two callers sleeps and wakes for each
		 * reply, and at 4 in flight two loops did 33-39 000 ops/s
		 * where one did 45-53 000 (docs/BASELINE.md). */
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned busy = (opt->workers + LG_WORKERS_PER_LOOP - 1) /
		    LG_WORKERS_PER_LOOP;

		nthreads = n >= 1 ? (unsigned)(n > 256 ? 256 : n) : 1;
		if (nthreads > busy)
			nthreads = busy;
	}
	if (nthreads > opt->workers)
		nthreads = opt->workers;
	e->nthreads = nthreads;
	/* A fresh nonce per run: values left by an earlier run are another
	 * writer's, never mistaken for our own older writes. */
	nonce = rng_next(&seed) & 0xffffffffu;
	e->workers = calloc(opt->workers, sizeof(*e->workers));
	e->threads = calloc(nthreads, sizeof(*e->threads));
	if (!e->workers || !e->threads)
		goto nomem;
	for (unsigned i = 0; i < nthreads; i++)
		e->threads[i].efd = -1;
	for (unsigned i = 0; i < nthreads; i++)
		if (thread_init(e, &e->threads[i], i) != 0)
			goto fail;
	for (unsigned i = 0; i < opt->workers; i++) {
		struct worker *w = &e->workers[i];
		struct lg_thread *t = &e->threads[i % nthreads];
		w->id = i;
		w->t = t;
		w->state = W_STOPPED;
		w->rng = lg_worker_rng(seed, i);
		w->writer = nonce << 16 | i;
		w->value = malloc(opt->value_max);
		w->timer = evtimer_new(t->base, on_worker_timer, w);
		if (!w->value || !w->timer ||
		    version_table_init(&w->seen, slots) != 0)
			goto nomem;
		t->w[t->nw++] = w;
	}
	if (e->open_loop) {
		e->interval_ns = 1e9 / opt->rate;
		for (unsigned i = 0; i < nthreads; i++) {
			struct lg_thread *t = &e->threads[i];
			t->backlog_max = (uint64_t)ceil(opt->rate / nthreads);
			if (t->backlog_max < t->nw)
				t->backlog_max = t->nw;
		}
	}
	for (size_t s = 0; s < client->nsrv; s++) {
		for (unsigned i = 0; i < nthreads; i++)
			client->srv[s].pools[i] = &e->threads[i].ts[s].pool;
		atomic_store_explicit(&client->srv[s].npools, nthreads,
		    memory_order_release);
	}
	e->t0_ns = now_mono_ns();
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&e->threads[i].tid, NULL, thread_main,
		    &e->threads[i]);
		if (rc != 0) {
			log_error("pthread_create: %s", strerror(rc));
			lg_engine_stop(e);
			lg_engine_free(e);
			return NULL;
		}
		e->threads[i].started = true;
	}
	log_info("%u workers on %u thread(s), %s loop, %u connection(s) per "
	    "server, pipeline %u", opt->workers, nthreads,
	    e->open_loop ? "open" : "closed", opt->connections, opt->pipeline);
	return e;
nomem:
	log_error("no memory");
fail:
	lg_engine_free(e);
	return NULL;
}

void
lg_engine_request_stop(struct lg_engine *e)
{
	uint64_t one = 1;

	for (unsigned i = 0; i < e->nthreads; i++)
		if (e->threads[i].efd >= 0 &&
		    write(e->threads[i].efd, &one, sizeof(one)) < 0 &&
		    errno != EAGAIN)
			log_warn("write: %s", strerror(errno));
}

void
lg_engine_stop(struct lg_engine *e)
{
	lg_engine_request_stop(e);
	for (unsigned i = 0; i < e->nthreads; i++)
		if (e->threads[i].started) {
			pthread_join(e->threads[i].tid, NULL);
			e->threads[i].started = false;
		}
}
