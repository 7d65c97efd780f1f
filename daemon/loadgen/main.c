/* reliabd-loadgen: a steady memcache workload through a resilient client,
 * exported as Prometheus metrics. Runs under reliabd or by hand. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "channel.h"
#include "client.h"
#include "config.h"
#include "engine.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "util.h"

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

static int
run(const struct lg_options *o)
{
	struct metrics_registry *reg = NULL;
	struct metrics_server *srv = NULL;
	struct lg_engine *eng = NULL;
	struct lg_client client;
	bool client_ok = false;
	char err[256];
	sigset_t sigs;
	int rc = 1;
	uint64_t start_ns, end_ns, prev_ns;
	struct rate_ring ring;
	double all, failed;

	/* Signals are taken synchronously by this thread only; the worker
	 * threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0) {
		log_error("pthread_sigmask failed");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	channel_open();

	reg = metrics_registry_new();
	if (reg == NULL) {
		log_error("no memory");
		goto out;
	}
	if (lg_client_init(&client, o, reg) != 0)
		goto out;
	client_ok = true;
	if (metrics_register_process(reg) != 0)
		log_warn("no process_* metrics");
	srv = metrics_server_start(o->metrics, reg, err, sizeof(err));
	if (srv == NULL) {
		log_error("--metrics=%s: %s", o->metrics, err);
		goto out;
	}
	{
		struct hostport hp;
		char addr[ADDR_HOST_MAX + 16];
		hostport_parse(o->metrics, &hp, err, sizeof(err));
		snprintf(addr, sizeof(addr), strchr(hp.host, ':') ?
		    "[%s]:%u" : "%s:%u", hp.host, metrics_server_port(srv));
		log_info("serving /metrics on %s", addr);
		channel_event("ready", json_pack("{s:s}", "metrics", addr));
	}
	eng = lg_engine_start(&client, o);
	if (eng == NULL)
		goto out;

	start_ns = prev_ns = now_mono_ns();
	memset(&ring, 0, sizeof(ring));
	ring.t[0] = start_ns;
	ring.n = 1;
	end_ns = o->duration_ms ? start_ns + o->duration_ms * 1000000ull : 0;
	for (;;) {
		uint64_t now = now_mono_ns();
		uint64_t next = prev_ns + RATE_STEP_NS;
		struct timespec ts;
		int sig;

		if (end_ns && end_ns < next)
			next = end_ns;
		if (next > now) {
			ts.tv_sec = (time_t)((next - now) / 1000000000ull);
			ts.tv_nsec = (long)((next - now) % 1000000000ull);
			sig = sigtimedwait(&sigs, NULL, &ts);
			if (sig == SIGTERM || sig == SIGINT) {
				log_info("signal %d: stopping", sig);
				break;
			}
			if (sig < 0 && errno != EAGAIN && errno != EINTR) {
				log_error("sigtimedwait: %s", strerror(errno));
				goto out;
			}
		}
		now = now_mono_ns();
		if (now >= prev_ns + RATE_STEP_NS) {
			tick(&client, &ring);
			prev_ns = now;
		}
		if (end_ns && now >= end_ns)
			break;
	}
	lg_engine_stop(eng);
	lg_client_totals(&client, &all, &failed);
	{
		double secs = (double)(now_mono_ns() - start_ns) / 1e9;
		/* One line a script can read: the final counters, success/
		 * failed per op (the tests and the bench read it). */
		log_info("done: ops=%.0f failed=%.0f seconds=%.3f ops_per_sec=%.0f "
		    "get=%.0f/%.0f set=%.0f/%.0f delete=%.0f/%.0f "
		    "corrupt=%.0f stale=%.0f",
		    all, failed, secs, secs > 0 ? all / secs : 0,
		    metric_value(client.m_ops[LG_OP_GET][LG_STATUS_SUCCESS]),
		    metric_value(client.m_ops[LG_OP_GET][LG_STATUS_FAILED]),
		    metric_value(client.m_ops[LG_OP_SET][LG_STATUS_SUCCESS]),
		    metric_value(client.m_ops[LG_OP_SET][LG_STATUS_FAILED]),
		    metric_value(client.m_ops[LG_OP_DELETE][LG_STATUS_SUCCESS]),
		    metric_value(client.m_ops[LG_OP_DELETE][LG_STATUS_FAILED]),
		    metric_value(client.m_integrity[LG_INTEGRITY_CORRUPT]),
		    metric_value(client.m_integrity[LG_INTEGRITY_STALE]));
	}
	rc = 0;
out:
	if (eng)
		lg_engine_stop(eng);
	/* The pool gauges read the engine's pools: the server goes first. */
	if (srv)
		metrics_server_stop(srv);
	lg_engine_free(eng);
	if (client_ok)
		lg_client_free(&client);
	if (reg)
		metrics_registry_free(reg);
	channel_close();
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
		printf(PROG ": options ok: %zu servers, %u workers\n",
		    o.nservers, o.workers);
		return 0;
	}
	rc = run(&o);
	return rc;
}
