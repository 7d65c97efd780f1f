/* reliabd-proxy: a TCP fault proxy that speaks the Toxiproxy HTTP API. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "api.h"
#include "api_parse.h"
#include "httpd.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "util.h"
#include "worker.h"

#define PROG "reliabd-proxy"

struct options {
	const char *api;
	const char *metrics;
	struct proxy_spec proxies[API_PROXIES_MAX];
	size_t nproxies;
	enum log_level level;
	uint64_t seed;
	bool seeded;
	bool check;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-c FILE] [options]\n"
	    "A TCP fault proxy whose control API is Toxiproxy's HTTP API.\n"
	    "\n"
	    "  -c FILE               read the [proxy] and [server] sections of\n"
	    "                        reliabd.conf (options given here win)\n"
	    "  --api=HOST:PORT       Toxiproxy API address (default "
	    "127.0.0.1:8474;\n"
	    "                        port 0 picks a free one)\n"
	    "  --metrics=HOST:PORT   Prometheus /metrics address (default\n"
	    "                        127.0.0.1:9092; port 0 picks a free one)\n"
	    "  --proxy=NAME=LISTEN,UPSTREAM\n"
	    "                        a proxy that exists from the start, e.g.\n"
	    "                        memcache1=127.0.0.1:21211,127.0.0.1:11211\n"
	    "                        (repeatable, at most %d)\n"
	    "  --log-level=LEVEL     error, warn, info (default) or debug\n"
	    "  --seed=N              seed of the toxicity and loss draws (for\n"
	    "                        reproducible tests; default: from the "
	    "clock)\n"
	    "  --mode=builtin|external\n"
	    "                        accepted from reliabd.conf; ignored\n"
	    "  --check               validate the options and exit (0 or 2)\n"
	    "  --help                show this help and exit\n"
	    "\n"
	    "Toxics: latency (latency, jitter; ms), bandwidth (rate; KB/s),\n"
	    "slow_close (delay; ms), timeout (timeout; ms, 0 = never close),\n"
	    "reset_peer (timeout; ms), slicer (average_size, size_variation;\n"
	    "bytes, delay; us), limit_data (bytes), loss (rate; 0..1: each\n"
	    "chunk waits a retransmission timeout of 200 ms doubling per\n"
	    "consecutive loss up to 60 s; at 1 nothing passes).\n"
	    "On ready it prints \"" PROG ": api=HOST:PORT metrics=HOST:PORT\" "
	    "on stderr.\n",
	    API_PROXIES_MAX);
}

static int
bad(const char *opt, const char *what)
{
	fprintf(stderr, PROG ": bad option %s: %s\n", opt, what);
	return 2;
}

/* NAME=LISTEN,UPSTREAM */
static int
parse_proxy_opt(const char *arg, struct proxy_spec *out)
{
	const char *eq = strchr(arg, '='), *comma;
	struct hostport hp;
	char e[128];
	size_t n;

	if (eq == NULL || (comma = strchr(eq + 1, ',')) == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	n = (size_t)(eq - arg);
	if (n == 0 || n >= sizeof(out->name))
		return -1;
	memcpy(out->name, arg, n);
	n = (size_t)(comma - eq - 1);
	if (n == 0 || n >= sizeof(out->listen))
		return -1;
	memcpy(out->listen, eq + 1, n);
	if (strlen(comma + 1) >= sizeof(out->upstream))
		return -1;
	strlcpy_r(out->upstream, comma + 1, sizeof(out->upstream));
	out->enabled = true;
	if (!toxic_name_valid(out->name) ||
	    hostport_parse(out->listen, &hp, e, sizeof(e)) < 0 ||
	    hostport_parse(out->upstream, &hp, e, sizeof(e)) < 0)
		return -1;
	return 0;
}

enum {
	OPT_API = 256,
	OPT_METRICS,
	OPT_PROXY,
	OPT_LOG_LEVEL,
	OPT_SEED,
	OPT_MODE,
	OPT_CHECK,
	OPT_HELP,
};

static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "api", required_argument, NULL, OPT_API },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "proxy", required_argument, NULL, OPT_PROXY },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct hostport hp;
	char e[128];
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_API:
			if (hostport_parse(optarg, &hp, e, sizeof(e)) < 0)
				return bad("--api", e);
			o->api = optarg;
			break;
		case OPT_METRICS:
			if (hostport_parse(optarg, &hp, e, sizeof(e)) < 0)
				return bad("--metrics", e);
			o->metrics = optarg;
			break;
		case OPT_PROXY: {
			struct proxy_spec sp;

			if (parse_proxy_opt(optarg, &sp) < 0)
				return bad("--proxy",
				    "expected NAME=HOST:PORT,HOST:PORT");
			/* A later one with the same name wins (the command
			 * line over the config). */
			size_t i;
			for (i = 0; i < o->nproxies; i++)
				if (strcmp(o->proxies[i].name, sp.name) == 0)
					break;
			if (i == API_PROXIES_MAX)
				return bad("--proxy", "too many proxies");
			o->proxies[i] = sp;
			if (i == o->nproxies)
				o->nproxies++;
			break;
		}
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg, &o->level) < 0)
				return bad("--log-level",
				    "expected error, warn, info or debug");
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->seed) < 0)
				return bad("--seed", "expected an integer");
			o->seeded = true;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "builtin") != 0 &&
			    strcmp(optarg, "external") != 0)
				return bad("--mode",
				    "expected builtin or external");
			break;
		case OPT_CHECK:
			o->check = true;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case 'c':
			break; /* handled by config_merge_argv */
		case ':':
			return bad(argv[optind - 1], "needs a value");
		default:
			return bad(argv[optind - 1], "unknown option");
		}
	}
	if (optind < argc)
		return bad(argv[optind], "unexpected argument");
	return 0;
}

static void
host_of(const char *addr, char *host, size_t size)
{
	struct hostport hp;
	char e[64];

	if (hostport_parse(addr, &hp, e, sizeof(e)) == 0)
		strlcpy_r(host, hp.host, size);
	else
		strlcpy_r(host, "127.0.0.1", size);
}

/* The worker runtime (lib/worker.h) owns the loop, the signals, the
 * channel, /metrics and the ready announcement; the proxies and their
 * API are this worker's own job. */
static int
run(struct options *o)
{
	struct worker_hooks hooks = { 0 };
	struct worker *w;
	struct metrics_registry *reg = NULL;
	struct proxy_set *set = NULL;
	struct api_server *api = NULL;
	char err[256], host[ADDR_HOST_MAX], api_addr[ADDR_HOST_MAX + 8];
	int rc = 1;

	/* Each proxy runs its own loop, which the API's thread wakes. */
	w = worker_init(PROG, &hooks, WORKER_THREADS);
	if (w == NULL)
		return 1;
	reg = metrics_registry_new();
	if (reg == NULL || metrics_register_process(reg) < 0) {
		log_error("cannot set up the metrics");
		goto out;
	}
	set = proxy_set_new(worker_base(w), o->seed, reg);
	if (set == NULL)
		goto out;
	for (size_t i = 0; i < o->nproxies; i++) {
		struct api_error e = { 0 };

		if (proxy_create(set, &o->proxies[i], &e) == NULL) {
			log_error("proxy %s: %s", o->proxies[i].name, e.msg);
			goto out;
		}
	}
	api = api_server_start(o->api, set, err, sizeof(err));
	if (api == NULL) {
		log_error("api: %s", err);
		goto out;
	}
	host_of(o->api, host, sizeof(host));
	hostport_format(host, api_server_port(api), api_addr, sizeof(api_addr));
	if (worker_serve_metrics(w, o->metrics, reg,
		json_pack("{s:s}", "api", api_addr), err, sizeof(err)) < 0) {
		log_error("metrics: %s", err);
		goto out;
	}
	fprintf(stderr, PROG ": api=%s metrics=%s\n", api_addr,
	    worker_metrics_addr(w));
	fflush(stderr);
	rc = worker_run(w);
out:
	/* The HTTP thread first: it may be in a request. Then every proxy's
	 * thread is joined (proxy_set_free). */
	api_server_stop(api);
	proxy_set_free(set);
	worker_free(w);
	metrics_registry_free(reg);
	libevent_global_shutdown();
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = { .api = "127.0.0.1:8474",
		.metrics = "127.0.0.1:9092",
		.level = LOG_LVL_INFO };
	char **margv = NULL;
	int margc = argc, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strncmp(argv[i], "-c", 2) ==
		    0) {
			char err[512];

			margc = config_merge_argv(argc, argv, KIND_PROXY,
			    &margv, err, sizeof(err));
			if (margc < 0) {
				fprintf(stderr, PROG ": -c: %s\n", err);
				return 2;
			}
			argv = margv;
			break;
		}
	}
	rc = parse_args(margc, argv, &o);
	if (rc != 0)
		goto done;
	log_init(PROG, o.level);
	if (!o.seeded)
		o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (o.check) {
		rc = 0;
		goto done;
	}
	rc = run(&o);
done:
	if (margv)
		config_argv_free(margv);
	return rc;
}
