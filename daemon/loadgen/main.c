/* reliabd-loadgen: a steady memcache workload through a resilient client
 * (engine.h) or libmemcached (libmc.h, --kind), exported as Prometheus
 * metrics. Runs under reliabd or by hand. */
#include <errno.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "config.h"
#include "engine.h"
#include "libmc.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "util.h"
#include "worker.h"

#define PROG "reliabd-loadgen"

static bool
has_config_flag(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strncmp(argv[i], "-c", 2) == 0 ||
		    strncmp(argv[i], "--config", 8) == 0)
			return true;
	}
	return false;
}

/* Drops "-c FILE" / "-cFILE" that config_merge_argv may leave in. */
static int
drop_config_flag(int argc, char **argv)
{
	int j = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0')
			continue;
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}

/* The rates are over the last second, refreshed every 100 ms from a ring
 * of snapshots, so a change shows within 1.1 s. */
#define RATE_STEP_NS 100000000ull
#define RATE_SLOTS 11
#define RATE_STEPS_PER_S 10

struct rate_ring {
	uint64_t t[RATE_SLOTS];
	double all[RATE_SLOTS], failed[RATE_SLOTS];
	unsigned n, head;
	unsigned ticks;
};

static void
tick(struct lg_client *c, struct rate_ring *r)
{
	double all, failed, d_all, d_failed, secs, rate, err_rate;
	uint64_t now = now_mono_ns();
	unsigned oldest;

	lg_client_totals(c, &all, &failed);
	r->head = (r->head + 1) % RATE_SLOTS;
	r->t[r->head] = now;
	r->all[r->head] = all;
	r->failed[r->head] = failed;
	if (r->n < RATE_SLOTS)
		r->n++;
	oldest = (r->head + RATE_SLOTS - (r->n - 1)) % RATE_SLOTS;
	d_all = all - r->all[oldest];
	d_failed = failed - r->failed[oldest];
	secs = (double)(now - r->t[oldest]) / 1e9;
	rate = secs > 0 ? d_all / secs : 0;
	err_rate = d_all > 0 ? d_failed / d_all : 0;
	metric_set(c->m_rate, rate);
	metric_set(c->m_error_rate, err_rate);
	/* reliabd's `status` shows these: once a second is enough. */
	if (++r->ticks % RATE_STEPS_PER_S == 0) {
		json_t *j = json_pack("{s:f,s:f,s:I}", "ops_rate", rate,
		    "error_rate", err_rate, "ops_total", (json_int_t)all);
		if (j)
			channel_event("stats", j);
	}
}

/* Up to a connection per worker and server, each an fd: take the hard
 * limit, so 4096 workers do not run out at the soft 1024. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit: %s", strerror(errno));
}

/* The main thread's job: the rates every 100 ms and the --duration, on
 * the worker runtime's loop (signals, channel, /metrics, "ready"); the
 * engine's threads run the workload. */
struct loadgen {
	struct worker *w;
	struct lg_client client;
	struct lg_engine *eng;
	struct lg_libmc *mc;       /* --kind=libmemcached, instead of eng */
	struct rate_ring ring;
	struct event *tick_ev, *end_ev;
};

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct loadgen *lg = arg;

	(void)fd;
	(void)what;
	tick(&lg->client, &lg->ring);
}

static void
on_duration(evutil_socket_t fd, short what, void *arg)
{
	struct loadgen *lg = arg;

	(void)fd;
	(void)what;
	if (lg->eng)
		lg_engine_request_stop(lg->eng);
	if (lg->mc)
		lg_libmc_request_stop(lg->mc);
	worker_exit(lg->w, 0);
}

/* A signal or reliabd gone: in-flight operations finish, nothing new
 * starts (the loop ends right after). */
static void
on_stop(const char *reason, void *arg)
{
	struct loadgen *lg = arg;

	(void)reason;
	if (lg->eng)
		lg_engine_request_stop(lg->eng);
	if (lg->mc)
		lg_libmc_request_stop(lg->mc);
}

static void
log_done(struct lg_client *c, uint64_t start_ns)
{
	double all, failed, secs = (double)(now_mono_ns() - start_ns) / 1e9;

	lg_client_totals(c, &all, &failed);
	/* One line a script can read: the final counters, success/failed
	 * per op (the tests and the bench read it). */
	log_info("done: ops=%.0f failed=%.0f seconds=%.3f ops_per_sec=%.0f "
	    "get=%.0f/%.0f set=%.0f/%.0f delete=%.0f/%.0f "
	    "corrupt=%.0f stale=%.0f dropped=%.0f",
	    all, failed, secs, secs > 0 ? all / secs : 0,
	    metric_value(c->m_ops[LG_OP_GET][LG_STATUS_SUCCESS]),
	    metric_value(c->m_ops[LG_OP_GET][LG_STATUS_FAILED]),
	    metric_value(c->m_ops[LG_OP_SET][LG_STATUS_SUCCESS]),
	    metric_value(c->m_ops[LG_OP_SET][LG_STATUS_FAILED]),
	    metric_value(c->m_ops[LG_OP_DELETE][LG_STATUS_SUCCESS]),
	    metric_value(c->m_ops[LG_OP_DELETE][LG_STATUS_FAILED]),
	    metric_value(c->m_integrity[LG_INTEGRITY_CORRUPT]),
	    metric_value(c->m_integrity[LG_INTEGRITY_STALE]),
	    metric_value(c->m_arrivals_dropped));
}

static int
run(const struct lg_options *o)
{
	struct metrics_registry *reg = NULL;
	struct worker_hooks hooks;
	struct loadgen lg;
	struct timeval tv;
	bool client_ok = false;
	char err[256];
	int rc = 1;
	uint64_t start_ns;

	memset(&lg, 0, sizeof(lg));
	memset(&hooks, 0, sizeof(hooks));
	hooks.on_stop = on_stop;
	hooks.arg = &lg;
	raise_fd_limit();
	lg.w = worker_init(PROG, &hooks, 0);
	if (lg.w == NULL)
		return 1;
	reg = metrics_registry_new();
	if (reg == NULL) {
		log_error("no memory");
		goto out;
	}
	if (lg_client_init(&lg.client, o, reg) != 0)
		goto out;
	client_ok = true;
	if (metrics_register_process(reg) != 0)
		log_warn("no process_* metrics");
	lg.tick_ev = event_new(worker_base(lg.w), -1, EV_PERSIST, on_tick, &lg);
	lg.end_ev = evtimer_new(worker_base(lg.w), on_duration, &lg);
	if (lg.tick_ev == NULL || lg.end_ev == NULL) {
		log_error("no memory");
		goto out;
	}
	if (worker_serve_metrics(lg.w, o->metrics, reg, NULL, err,
	    sizeof(err)) != 0) {
		log_error("--metrics=%s: %s", o->metrics, err);
		goto out;
	}
	if (o->kind == LG_KIND_LIBMEMCACHED)
		lg.mc = lg_libmc_start(&lg.client, o);
	else
		lg.eng = lg_engine_start(&lg.client, o);
	if (lg.eng == NULL && lg.mc == NULL)
		goto out;
	start_ns = now_mono_ns();
	lg.ring.t[0] = start_ns;
	lg.ring.n = 1;
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)(RATE_STEP_NS / 1000);
	event_add(lg.tick_ev, &tv);
	if (o->duration_ms) {
		tv.tv_sec = (time_t)(o->duration_ms / 1000);
		tv.tv_usec = (suseconds_t)(o->duration_ms % 1000 * 1000);
		event_add(lg.end_ev, &tv);
	}
	rc = worker_run(lg.w);
	if (lg.eng)
		lg_engine_stop(lg.eng);
	if (lg.mc)
		lg_libmc_stop(lg.mc);
	log_done(&lg.client, start_ns);
out:
	if (lg.eng)
		lg_engine_stop(lg.eng);
	if (lg.mc)
		lg_libmc_stop(lg.mc);
	if (lg.tick_ev)
		event_free(lg.tick_ev);
	if (lg.end_ev)
		event_free(lg.end_ev);
	/* The metrics server reads the registry and the engine's pools: it
	 * goes first. */
	worker_free(lg.w);
	lg_engine_free(lg.eng);
	lg_libmc_free(lg.mc);
	if (client_ok)
		lg_client_free(&lg.client);
	if (reg)
		metrics_registry_free(reg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct lg_options o;
	char err[512];
	char **margv = NULL;
	int margc = argc, rc;

	log_init(PROG, LOG_LVL_INFO);
	if (has_config_flag(argc, argv)) {
		margc = config_merge_argv(argc, argv, KIND_LOADGEN, &margv,
		    err, sizeof(err));
		if (margc < 0) {
			fprintf(stderr, PROG ": -c: %s\n", err);
			return 2;
		}
		margc = drop_config_flag(margc, margv);
		argv = margv;
	}
	lg_options_defaults(&o);
	if (lg_options_parse(&o, margc, argv, err, sizeof(err)) != 0 ||
	    lg_options_validate(&o, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		if (margv)
			config_argv_free(margv);
		return 2;
	}
	if (margv)
		config_argv_free(margv);
	if (o.help) {
		lg_usage(stdout);
		return 0;
	}
	log_set_level(o.log_level);
	if (o.check) {
		printf(PROG ": options ok: %s, %zu servers, %u workers\n",
		    lg_kind_text(o.kind), o.nservers, o.workers);
		return 0;
	}
	rc = run(&o);
	return rc;
}
