/* reliabd-scenario: runs failure scenarios in three phases against a
 * Toxiproxy API, judges them from the loadgen's metrics, journals them. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "backend.h"
#include "commands.h"
#include "config.h"
#include "duration.h"
#include "engine.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "playlist.h"
#include "sampler.h"
#include "proto.h"
#include "runargs.h"
#include "util.h"
#include "worker.h"

#define PROG "reliabd-scenario"

enum mode {
	MODE_SERVE,
	MODE_LIST,
	MODE_CHECK,
	MODE_CLEANUP,
};

static const char *
mode_text(enum mode mode)
{
	switch (mode) {
	case MODE_SERVE:
		return "serve";
	case MODE_LIST:
		return "list";
	case MODE_CHECK:
		return "check";
	case MODE_CLEANUP:
		return "cleanup";
	}
	return "unknown";
}

struct options {
	const char *metrics;
	const char *proxy_api;
	const char *state_dir;
	const char *scenario_dir;
	const char *catalogue_dir;
	const char *loadgen_metrics;
	const char *control_socket;
	const char *run;
	const char *playlist;
	struct engine_options eo;
	struct backend_lab lab;       /* --server, --server-api, --proxy-mode */
	const char *server_api[SPEC_MAX_SERVERS];
	size_t nserver_api;
	struct run_args job;
	enum mode mode;
	enum log_level level;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [-c FILE] [--option=value ...]\n"
"Runs failure scenarios (stabilization, testing, recovery) against a\n"
"Toxiproxy API and judges each run from the loadgen's /metrics.\n"
"\n"
"  -c FILE, --config=FILE  read the [scenario] part of reliabd.conf\n"
"  --metrics=HOST:PORT     serve /metrics here (default 127.0.0.1:9091;\n"
"                          port 0 picks one)\n"
"  --proxy-api=HOST:PORT   the Toxiproxy API (default 127.0.0.1:8474)\n"
"  --state-dir=DIR         ledger.json and journal.jsonl live here\n"
"                          (default " LOCALSTATEDIR "/lib/reliabd)\n"
"  --scenario-dir=DIR      user scenarios, *.json (default\n"
"                          " SYSCONFDIR "/reliabd/scenarios.d)\n"
"  --catalogue-dir=DIR     built-in scenarios (default\n"
"                          " PKGDATADIR "/scenarios)\n"
"  --loadgen-metrics=HOST:PORT  the loadgen to sample for verdicts\n"
"                          (default 127.0.0.1:9090; empty: no sampling)\n"
"  --client=NAME=HOST:PORT  a client to sample and judge, instead;\n"
"                          repeatable (port 0: told at each run)\n"
"  --control-socket=PATH   reliabd's control socket (informational)\n"
"  --server=NAME[=LISTEN,UPSTREAM]  a server (a proxy in the API), with\n"
"                          its addresses when this worker creates it;\n"
"                          repeatable\n"
"  --server-api=NAME=HOST:PORT  the Toxiproxy API that holds NAME's\n"
"                          proxy (default: --proxy-api); repeatable\n"
"  --proxy-mode=builtin|external  external: no reliabd-proxy serves\n"
"                          --proxy-api; its proxies are created here\n"
"  --node=NAME             a managed memcached node; repeatable\n"
"  --run=NAME[,NAME...]|all  run these scenarios, then exit (0: all\n"
"                          succeeded, 1: a run failed or was aborted)\n"
"  --playlist=NAME[,...]|all  run these in a loop from the start\n"
"  --loop=N                run the list N times (default 1)\n"
"  --forever               run the list until stopped\n"
"  --stabilization=D, --testing=D, --recovery=D\n"
"                          override phase lengths (250ms, 2s, 1m)\n"
"  --cleanup               remove what the ledger lists from the proxy,\n"
"                          then exit (1 if something remains)\n"
"  --list                  list the scenarios and exit\n"
"  --check                 validate options and scenario files, exit\n"
"  --log-level=LEVEL       error, warn, info, debug (default info)\n"
"  --help                  this text\n");
}

static void
bad(const char *opt, const char *what)
{
	fprintf(stderr, PROG ": --%s: %s\n", opt, what);
	exit(2);
}

static void
check_addr(const char *opt, const char *v, int allow_empty)
{
	struct hostport hp;
	char err[128];

	if (allow_empty && !*v)
		return;
	if (hostport_parse(v, &hp, err, sizeof err) != 0)
		bad(opt, "HOST:PORT expected");
}

static uint64_t
get_duration(const char *opt, const char *v)
{
	uint64_t ms;

	if (run_args_parse_duration(v, &ms) != 0)
		bad(opt, "a duration such as 250ms, 30s, 2m (at most 24h)");
	return ms;
}

static void
add_name(const char *opt, const char *v, const char **list, size_t *n)
{
	if (!*v || strlen(v) >= SPEC_NAME_MAX)
		bad(opt, "a name expected");
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i], v) == 0)
			return;
	if (*n == SPEC_MAX_SERVERS)
		bad(opt, "too many");
	list[(*n)++] = v;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	enum {
		O_METRICS = 256, O_PROXY_API, O_STATE_DIR, O_SCENARIO_DIR,
		O_CATALOGUE_DIR, O_LOADGEN, O_CONTROL, O_SERVER, O_NODE,
		O_RUN, O_PLAYLIST, O_LOOP, O_FOREVER, O_STAB, O_TEST, O_REC,
		O_CLEANUP, O_LIST, O_CHECK, O_LOG, O_HELP, O_SERVER_API,
		O_PROXY_MODE, O_CLIENT,
	};
	static const struct option longopts[] = {
		{"metrics", required_argument, NULL, O_METRICS},
		{"proxy-api", required_argument, NULL, O_PROXY_API},
		{"state-dir", required_argument, NULL, O_STATE_DIR},
		{"scenario-dir", required_argument, NULL, O_SCENARIO_DIR},
		{"catalogue-dir", required_argument, NULL, O_CATALOGUE_DIR},
		{"loadgen-metrics", required_argument, NULL, O_LOADGEN},
		{"client", required_argument, NULL, O_CLIENT},
		{"control-socket", required_argument, NULL, O_CONTROL},
		{"server", required_argument, NULL, O_SERVER},
		{"server-api", required_argument, NULL, O_SERVER_API},
		{"proxy-mode", required_argument, NULL, O_PROXY_MODE},
		{"node", required_argument, NULL, O_NODE},
		{"run", required_argument, NULL, O_RUN},
		{"playlist", required_argument, NULL, O_PLAYLIST},
		{"loop", required_argument, NULL, O_LOOP},
		{"forever", no_argument, NULL, O_FOREVER},
		{"stabilization", required_argument, NULL, O_STAB},
		{"testing", required_argument, NULL, O_TEST},
		{"recovery", required_argument, NULL, O_REC},
		{"cleanup", no_argument, NULL, O_CLEANUP},
		{"list", no_argument, NULL, O_LIST},
		{"check", no_argument, NULL, O_CHECK},
		{"log-level", required_argument, NULL, O_LOG},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	int c, check = 0;
	uint64_t n;
	char err[256];

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_METRICS:
			check_addr("metrics", optarg, 0);
			o->metrics = optarg;
			break;
		case O_PROXY_API:
			check_addr("proxy-api", optarg, 0);
			o->proxy_api = optarg;
			break;
		case O_STATE_DIR:
			if (!*optarg)
				bad("state-dir", "a directory expected");
			o->state_dir = optarg;
			break;
		case O_SCENARIO_DIR:
			o->scenario_dir = optarg;
			break;
		case O_CATALOGUE_DIR:
			o->catalogue_dir = optarg;
			break;
		case O_LOADGEN:
			check_addr("loadgen-metrics", optarg, 1);
			o->loadgen_metrics = optarg;
			break;
		case O_CLIENT:
			if (run_client_add(o->eo.clients, &o->eo.nclients,
			    optarg, err, sizeof err) != 0)
				bad("client", err);
			break;
		case O_CONTROL:
			o->control_socket = optarg;
			break;
		case O_SERVER:
			if (backend_lab_add_server(&o->lab, optarg, err,
			    sizeof err) != 0)
				bad("server", err);
			for (size_t i = 0; i < o->lab.n; i++)
				add_name("server", o->lab.servers[i].name,
				    o->eo.servers, &o->eo.nservers);
			break;
		case O_SERVER_API:
			/* Applied once every --server is known. */
			if (o->nserver_api == SPEC_MAX_SERVERS)
				bad("server-api", "too many");
			o->server_api[o->nserver_api++] = optarg;
			break;
		case O_PROXY_MODE:
			if (strcmp(optarg, "builtin") != 0 &&
			    strcmp(optarg, "external") != 0)
				bad("proxy-mode", "builtin or external");
			o->lab.external = strcmp(optarg, "external") == 0;
			break;
		case O_NODE:
			add_name("node", optarg, o->eo.nodes, &o->eo.nnodes);
			break;
		case O_RUN:
			if (run_args_parse_names(&o->job, optarg) != 0)
				bad("run", "NAME[,NAME...] or all");
			o->run = optarg;
			break;
		case O_PLAYLIST:
			/* An empty playlist (the config's default) is none. */
			if (*optarg &&
			    run_args_parse_names(&o->job, optarg) != 0)
				bad("playlist", "NAME[,NAME...] or all");
			o->playlist = *optarg ? optarg : NULL;
			break;
		case O_LOOP:
			if (parse_u64(optarg, 1, RUN_LOOP_MAX, &n) != 0)
				bad("loop", "an integer 1..1000000");
			o->job.loop = (unsigned)n;
			break;
		case O_FOREVER:
			o->job.forever = 1;
			break;
		case O_STAB:
			o->job.stabilization_ms = get_duration("stabilization",
			    optarg);
			break;
		case O_TEST:
			o->job.testing_ms = get_duration("testing", optarg);
			break;
		case O_REC:
			o->job.recovery_ms = get_duration("recovery", optarg);
			break;
		case O_CLEANUP:
			o->mode = MODE_CLEANUP;
			break;
		case O_LIST:
			o->mode = MODE_LIST;
			break;
		case O_CHECK:
			check = 1;
			break;
		case O_LOG:
			if (log_level_parse(optarg, &o->level) != 0)
				bad("log-level", "error, warn, info or debug");
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default: {
			const char *arg = argv[optind - 1];
			if (optopt >= 256)
				fprintf(stderr, PROG ": %s: needs =VALUE, or "
				    "takes none (see --help)\n", arg);
			else
				fprintf(stderr, PROG ": %s: unknown option "
				    "(see --help)\n", arg ? arg : "?");
			exit(2);
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: unexpected argument\n",
		    argv[optind]);
		exit(2);
	}
	for (size_t i = 0; i < o->nserver_api; i++)
		if (backend_lab_set_api(&o->lab, o->server_api[i], err,
		    sizeof err) != 0)
			bad("server-api", err);
	o->eo.lab = &o->lab;
	if (o->run && o->playlist)
		bad("run", "not with --playlist");
	if (check)
		o->mode = MODE_CHECK;
}

static void
print_error(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, PROG ": %s\n", msg);
}

/* What the loop's callbacks share. */
struct scenario_worker {
	struct worker *w;
	struct engine *e;
	struct sampler *samplers[RUN_CLIENTS_MAX];
	struct event *tick_ev, *sample_ev[RUN_CLIENTS_MAX];
	int by_hand_run;   /* --run: exit when the job is done */
};

/* Advances the engine and sleeps until its next deadline. */
static void
reschedule(struct scenario_worker *sw)
{
	int ms = engine_tick(sw->e);
	struct timeval tv;

	if (sw->by_hand_run && !engine_busy(sw->e)) {
		worker_exit(sw->w, engine_job_status(sw->e));
		return;
	}
	evtimer_del(sw->tick_ev);
	if (ms < 0)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(sw->tick_ev, &tv);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reschedule(arg);
}

static void
on_samples(evutil_socket_t fd, short what, void *arg)
{
	struct scenario_worker *sw = arg;

	(void)fd;
	(void)what;
	engine_samples(sw->e);
	reschedule(sw);
}

static void
after_request(void *arg)
{
	struct scenario_worker *sw = arg;

	reschedule(sw);
}

static void
on_stop(const char *reason, void *arg)
{
	struct scenario_worker *sw = arg;

	engine_stop(sw->e, reason);
}

static void
on_hup(void *arg)
{
	(void)arg;
	log_info("SIGHUP: scenario files are read again at each list and "
	    "start");
}

static long long
request(const char *cmd, json_t *args, void *arg)
{
	struct scenario_worker *sw = arg;

	return worker_request(sw->w, cmd, args);
}

/* --check with --playlist or --run: the job's names resolved as a start
 * would, so reliabd -t and reliabd's start refuse a mistyped one with
 * its close matches instead of a loop that silently never runs. Node
 * restarts are allowed when nodes are named: reliabd runs the worker. */
static int
check_job(const struct options *o, const struct catalogue *cat)
{
	struct playlist pl;
	struct playlist_lab lab = { o->eo.servers, o->eo.nservers,
		o->eo.nodes, o->eo.nnodes, o->eo.nnodes > 0 };
	struct run_args job = o->job;
	enum proto_err code;
	char err[1024];

	memset(&pl, 0, sizeof pl);
	if (o->playlist)
		job.forever = 1;
	if (playlist_resolve(&pl, &job, cat, &lab, &code, err,
	    sizeof err) != 0) {
		fprintf(stderr, PROG ": --%s: %s\n",
		    o->run ? "run" : "playlist", err);
		return -1;
	}
	playlist_free(&pl);
	return 0;
}

static int
list_or_check(const struct options *o)
{
	struct catalogue cat;
	struct spec_names names = {o->eo.servers, o->eo.nservers,
	    o->eo.nodes, 0};
	int rc;

	if (catalogue_load(&cat, o->catalogue_dir, o->scenario_dir, &names,
	    o->mode == MODE_CHECK ? print_error : NULL, NULL) != 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	if (o->mode == MODE_LIST) {
		for (size_t i = 0; i < cat.n; i++) {
			const struct scenario_spec *s = &cat.specs[i];
			char a[32], b[32], c[32];
			printf("%-24s %6s %6s %6s  %-7s %s\n", s->name,
			    duration_format(s->stabilization_ms, a, sizeof a),
			    duration_format(s->testing_ms, b, sizeof b),
			    duration_format(s->recovery_ms, c, sizeof c),
			    spec_source_text(s->source), s->description);
		}
	} else {
		printf("%zu scenarios, %zu bad files\n", cat.n, cat.errors);
	}
	/* --check fails on a bad file: each was named above, with its
	 * field. --list lists what loaded (the bad are in the log). A bad
	 * job is a bad option: 2, whatever the files. */
	rc = o->mode == MODE_CHECK && cat.errors ? 1 : 0;
	if (o->mode == MODE_CHECK && (o->run || o->playlist) &&
	    check_job(o, &cat) != 0)
		rc = 2;
	catalogue_free(&cat);
	return rc;
}

/* --cleanup: what the ledger lists goes, then exit. */
static int
cleanup_only(struct options *o)
{
	char err[512];
	struct engine *e = engine_new(&o->eo, NULL, NULL, err, sizeof err);
	int rc;

	if (!e) {
		log_error("%s", err);
		return 1;
	}
	rc = engine_cleanup(e) == 0 ? 0 : 1;
	engine_free(e);
	return rc;
}

static int
serve(struct options *o, struct worker *w, struct scenario_worker *sw)
{
	struct metrics_registry *reg = NULL;
	char err[512];
	int rc = 1;

	reg = metrics_registry_new();
	if (!reg || metrics_register_process(reg) != 0) {
		log_error("cannot create the metrics registry");
		goto out;
	}
	/* One sampler a client, each on its own thread: a slow /metrics
	 * delays only its own client's samples. */
	for (size_t i = 0; i < o->eo.nclients; i++) {
		sw->samplers[i] = sampler_start(o->eo.clients[i].addr, err,
		    sizeof err);
		if (!sw->samplers[i]) {
			log_error("client %s: %s", o->eo.clients[i].name, err);
			goto out;
		}
		sw->sample_ev[i] = event_new(worker_base(w),
		    sampler_fd(sw->samplers[i]), EV_READ | EV_PERSIST,
		    on_samples, sw);
		if (!sw->sample_ev[i] ||
		    event_add(sw->sample_ev[i], NULL) < 0) {
			log_error("cannot watch the sampler");
			goto out;
		}
	}
	sw->tick_ev = evtimer_new(worker_base(w), on_tick, sw);
	if (!sw->tick_ev) {
		log_error("out of memory");
		goto out;
	}
	sw->e = engine_new(&o->eo, reg, sw->samplers, err, sizeof err);
	if (!sw->e) {
		log_error("%s", err);
		goto out;
	}
	worker_set_commands(w, scenario_cmds, sw->e);
	/* Whatever an earlier life left on the proxy goes first. */
	if (engine_cleanup(sw->e) != 0)
		log_warn("some faults in the ledger could not be removed yet; "
		    "retrying");
	/* The clients need the proxies before any run: created now, and
	 * again at each run (a proxy API may have restarted empty). */
	(void)engine_populate(sw->e);
	if (worker_serve_metrics(w, o->metrics, reg, NULL, err,
	    sizeof err) != 0) {
		log_error("--metrics=%s: %s", o->metrics, err);
		goto out;
	}
	engine_announce(sw->e);
	sw->by_hand_run = o->run != NULL;
	if (o->run || o->playlist) {
		enum proto_err code;

		if (o->playlist)
			o->job.forever = 1;
		if (engine_start(sw->e, &o->job, NULL, &code, err,
		    sizeof err) != 0) {
			fprintf(stderr, PROG ": --%s: %s\n",
			    o->run ? "run" : "playlist", err);
			rc = 2;
			goto out;
		}
	}
	reschedule(sw);
	rc = worker_run(w);
	/* A run interrupted any way leaves nothing on the proxy. */
	if (engine_busy(sw->e))
		engine_stop(sw->e, "worker exiting");
	/* --run reports its runs' verdicts, an aborted one included. */
	if (sw->by_hand_run && rc == 0)
		rc = engine_job_status(sw->e);
out:
	worker_free(w);   /* the metrics server reads the registry */
	if (sw->tick_ev)
		event_free(sw->tick_ev);
	for (size_t i = 0; i < RUN_CLIENTS_MAX; i++)
		if (sw->sample_ev[i])
			event_free(sw->sample_ev[i]);
	engine_free(sw->e);
	for (size_t i = 0; i < RUN_CLIENTS_MAX; i++)
		sampler_stop(sw->samplers[i]);
	if (reg)
		metrics_registry_free(reg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct scenario_worker sw;
	struct worker_hooks hooks;
	struct worker *w;
	char **margv = NULL;
	int margc = argc, rc;
	char err[512];

	memset(&o, 0, sizeof o);
	memset(&sw, 0, sizeof sw);
	o.metrics = "127.0.0.1:9091";
	o.proxy_api = "127.0.0.1:8474";
	o.state_dir = LOCALSTATEDIR "/lib/reliabd";
	o.scenario_dir = SYSCONFDIR "/reliabd/scenarios.d";
	o.catalogue_dir = PKGDATADIR "/scenarios";
	o.loadgen_metrics = "127.0.0.1:9090";
	o.control_socket = RUNSTATEDIR "/reliabd/control.sock";
	run_args_init(&o.job);
	o.level = LOG_LVL_INFO;
	log_init(PROG, LOG_LVL_INFO);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 ||
		    strncmp(argv[i], "--config", 8) == 0) {
			margc = config_merge_argv(argc, argv, KIND_SCENARIO,
			    &margv, err, sizeof err);
			if (margc < 0) {
				fprintf(stderr, PROG ": %s\n", err);
				return 2;
			}
			break;
		}
	}
	parse_options(margc, margv ? margv : argv, &o);
	log_set_level(o.level);
	o.eo.proxy_api = o.proxy_api;
	o.eo.state_dir = o.state_dir;
	o.eo.catalogue_dir = o.catalogue_dir;
	o.eo.scenario_dir = o.scenario_dir;
	o.eo.loadgen_metrics = o.loadgen_metrics;
	/* No --client: the one loadgen of --loadgen-metrics, as before. */
	if (!o.eo.nclients && *o.loadgen_metrics) {
		strlcpy_r(o.eo.clients[0].name, CONFIG_DEFAULT_CLIENT,
		    sizeof o.eo.clients[0].name);
		strlcpy_r(o.eo.clients[0].addr, o.loadgen_metrics,
		    sizeof o.eo.clients[0].addr);
		o.eo.nclients = 1;
	}
	o.eo.stabilization_ms = o.job.stabilization_ms;
	o.eo.testing_ms = o.job.testing_ms;
	o.eo.recovery_ms = o.job.recovery_ms;

	log_debug("mode: %s", mode_text(o.mode));
	if (o.mode == MODE_LIST || o.mode == MODE_CHECK) {
		rc = list_or_check(&o);
		config_argv_free(margv);
		return rc;
	}
	if (mkdir(o.state_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, PROG ": --state-dir: %s: %s\n", o.state_dir,
		    strerror(errno));
		config_argv_free(margv);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, PROG ": curl_global_init failed\n");
		config_argv_free(margv);
		return 1;
	}
	memset(&hooks, 0, sizeof hooks);
	hooks.on_stop = on_stop;
	hooks.on_hup = on_hup;
	hooks.after_request = after_request;
	hooks.on_reply = scenario_on_reply;
	hooks.arg = &sw;
	/* --cleanup takes no channel; its signals wait for it to finish. */
	w = worker_init(PROG, &hooks,
	    o.mode == MODE_CLEANUP ? WORKER_NO_CHANNEL : 0);
	if (!w) {
		rc = 1;
		goto out;
	}
	sw.w = w;
	o.eo.have_channel = worker_has_channel(w);
	o.eo.request = request;
	o.eo.request_arg = &sw;
	if (ledger_lock(o.state_dir, err, sizeof err) != 0) {
		log_error("%s", err);
		worker_free(w);
		rc = 1;
		goto out;
	}
	if (o.mode == MODE_CLEANUP) {
		rc = cleanup_only(&o);
		worker_free(w);
		goto out;
	}
	rc = serve(&o, w, &sw);
out:
	curl_global_cleanup();
	config_argv_free(margv);
	return rc;
}
