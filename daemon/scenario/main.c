/* reliabd-scenario: runs failure scenarios in three phases against a
 * Toxiproxy API, judges them from the loadgen's metrics, journals them. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "channel.h"
#include "config.h"
#include "duration.h"
#include "engine.h"
#include "ledger.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "sampler.h"
#include "util.h"

#define PROG "reliabd-scenario"
#define CHANNEL_LINE_MAX (64 * 1024)

enum mode {
	MODE_SERVE,
	MODE_LIST,
	MODE_CHECK,
	MODE_CLEANUP,
};

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
	struct engine_job job;
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
"  --control-socket=PATH   reliabd's control socket (informational)\n"
"  --server=NAME           a server (a proxy in the API); repeatable\n"
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

	if (duration_parse(v, &ms) != 0 || ms == 0 || ms > SPEC_PHASE_MAX_MS)
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
		O_CLEANUP, O_LIST, O_CHECK, O_LOG, O_HELP,
	};
	static const struct option longopts[] = {
		{"metrics", required_argument, NULL, O_METRICS},
		{"proxy-api", required_argument, NULL, O_PROXY_API},
		{"state-dir", required_argument, NULL, O_STATE_DIR},
		{"scenario-dir", required_argument, NULL, O_SCENARIO_DIR},
		{"catalogue-dir", required_argument, NULL, O_CATALOGUE_DIR},
		{"loadgen-metrics", required_argument, NULL, O_LOADGEN},
		{"control-socket", required_argument, NULL, O_CONTROL},
		{"server", required_argument, NULL, O_SERVER},
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
		case O_CONTROL:
			o->control_socket = optarg;
			break;
		case O_SERVER:
			add_name("server", optarg, o->eo.servers,
			    &o->eo.nservers);
			break;
		case O_NODE:
			add_name("node", optarg, o->eo.nodes, &o->eo.nnodes);
			break;
		case O_RUN:
			if (engine_job_parse_names(&o->job, optarg) != 0)
				bad("run", "NAME[,NAME...] or all");
			o->run = optarg;
			break;
		case O_PLAYLIST:
			/* An empty playlist (the config's default) is none. */
			if (*optarg &&
			    engine_job_parse_names(&o->job, optarg) != 0)
				bad("playlist", "NAME[,NAME...] or all");
			o->playlist = *optarg ? optarg : NULL;
			break;
		case O_LOOP:
			if (parse_u64(optarg, 1, 1000000, &n) != 0)
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
	if (o->run && o->playlist)
		bad("run", "not with --playlist");
	if (check)
		o->mode = MODE_CHECK;
}

/* The channel's incoming bytes, cut into lines. */
struct linebuf {
	char buf[CHANNEL_LINE_MAX + 1];
	size_t n;
	int skipping; /* inside an over-long line */
};

static void
handle_line(struct engine *e, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg, *reply;

	msg = json_loadb(line, len, 0, &jerr);
	if (!msg) {
		reply = json_pack("{s:n,s:b,s:{s:s,s:s}}", "id", "ok", 0,
		    "error", "code", "bad-request", "message", jerr.text);
	} else {
		reply = engine_request(e, msg);
		json_decref(msg);
	}
	if (reply) {
		if (channel_send(reply) != 0)
			log_warn("cannot reply on the channel");
		json_decref(reply);
	}
}

/* Reads what is there; -1 when reliabd is gone. */
static int
read_channel(struct engine *e, int fd, struct linebuf *lb)
{
	for (;;) {
		ssize_t r = read(fd, lb->buf + lb->n, CHANNEL_LINE_MAX - lb->n);
		char *nl;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_error("channel: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			return -1;
		lb->n += (size_t)r;
		while ((nl = memchr(lb->buf, '\n', lb->n)) != NULL) {
			size_t len = (size_t)(nl - lb->buf);
			if (!lb->skipping && len > 0)
				handle_line(e, lb->buf, len);
			lb->skipping = 0;
			memmove(lb->buf, nl + 1, lb->n - len - 1);
			lb->n -= len + 1;
		}
		if (lb->n == CHANNEL_LINE_MAX) {
			log_warn("channel: line over %d bytes dropped",
			    CHANNEL_LINE_MAX);
			lb->n = 0;
			lb->skipping = 1;
		}
	}
}

static int
make_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so only the signalfd sees
	 * them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void
print_error(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, PROG ": %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct options o;
	char **margv = NULL;
	int margc = argc, rc = 0, sfd = -1, cfd, running = 1;
	struct metrics_registry *reg = NULL;
	struct metrics_server *srv = NULL;
	struct sampler *sampler = NULL;
	struct engine *e = NULL;
	struct linebuf *lb = NULL;
	char err[512];
	int by_hand_run;

	memset(&o, 0, sizeof o);
	o.metrics = "127.0.0.1:9091";
	o.proxy_api = "127.0.0.1:8474";
	o.state_dir = LOCALSTATEDIR "/lib/reliabd";
	o.scenario_dir = SYSCONFDIR "/reliabd/scenarios.d";
	o.catalogue_dir = PKGDATADIR "/scenarios";
	o.loadgen_metrics = "127.0.0.1:9090";
	o.control_socket = RUNSTATEDIR "/reliabd/control.sock";
	o.job.loop = 1;
	o.level = LOG_LVL_INFO;
	log_init(PROG, LOG_LVL_INFO);

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 ||
		    strncmp(argv[i], "--config", 8) == 0) {
			margc = config_merge_argv(argc, argv, WORKER_SCENARIO,
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
	o.eo.stabilization_ms = o.job.stabilization_ms;
	o.eo.testing_ms = o.job.testing_ms;
	o.eo.recovery_ms = o.job.recovery_ms;

	if (o.mode == MODE_LIST || o.mode == MODE_CHECK) {
		struct catalogue cat;
		struct spec_names names = {o.eo.servers, o.eo.nservers,
		    o.eo.nodes, 0};

		if (catalogue_load(&cat, o.catalogue_dir, o.scenario_dir,
		    &names, o.mode == MODE_CHECK ? print_error : NULL,
		    NULL) != 0) {
			fprintf(stderr, PROG ": out of memory\n");
			return 1;
		}
		if (o.mode == MODE_LIST) {
			for (size_t i = 0; i < cat.n; i++) {
				const struct scenario_spec *s = &cat.specs[i];
				char a[32], b[32], c[32];
				printf("%-24s %6s %6s %6s  %-7s %s\n", s->name,
				    duration_format(s->stabilization_ms, a,
				    sizeof a),
				    duration_format(s->testing_ms, b, sizeof b),
				    duration_format(s->recovery_ms, c,
				    sizeof c), spec_source_text(s->source),
				    s->description);
			}
		} else {
			printf("%zu scenarios, %zu bad files skipped\n", cat.n,
			    cat.errors);
		}
		catalogue_free(&cat);
		config_argv_free(margv);
		return 0;
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
	signal(SIGPIPE, SIG_IGN);
	sfd = make_signalfd();
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	cfd = o.mode == MODE_CLEANUP ? -1 : channel_open();
	o.eo.have_channel = cfd >= 0;
	if (ledger_lock(o.state_dir, err, sizeof err) != 0) {
		log_error("%s", err);
		rc = 1;
		goto out;
	}

	if (o.mode == MODE_CLEANUP) {
		e = engine_new(&o.eo, NULL, NULL, err, sizeof err);
		if (!e) {
			log_error("%s", err);
			rc = 1;
			goto out;
		}
		rc = engine_cleanup(e) == 0 ? 0 : 1;
		goto out;
	}

	reg = metrics_registry_new();
	if (!reg || metrics_register_process(reg) != 0) {
		log_error("cannot create the metrics registry");
		rc = 1;
		goto out;
	}
	if (*o.loadgen_metrics) {
		sampler = sampler_start(o.loadgen_metrics, err, sizeof err);
		if (!sampler) {
			log_error("%s", err);
			rc = 1;
			goto out;
		}
	}
	e = engine_new(&o.eo, reg, sampler, err, sizeof err);
	if (!e) {
		log_error("%s", err);
		rc = 1;
		goto out;
	}
	/* Whatever an earlier life left on the proxy goes first. */
	if (engine_cleanup(e) != 0)
		log_warn("some faults in the ledger could not be removed yet; "
		    "retrying");
	srv = metrics_server_start(o.metrics, reg, err, sizeof err);
	if (!srv) {
		log_error("--metrics=%s: %s", o.metrics, err);
		rc = 1;
		goto out;
	}
	{
		struct hostport hp;
		char addr[300], herr[64];

		hostport_parse(o.metrics, &hp, herr, sizeof herr);
		snprintf(addr, sizeof addr, strchr(hp.host, ':') ? "[%s]:%u" :
		    "%s:%u", hp.host, metrics_server_port(srv));
		log_info("serving /metrics on %s", addr);
		channel_event("ready", json_pack("{s:s}", "metrics", addr));
	}
	if (cfd >= 0) {
		lb = calloc(1, sizeof *lb);
		if (!lb || fd_set_nonblock(cfd) != 0) {
			log_error("channel setup failed");
			rc = 1;
			goto out;
		}
	}

	by_hand_run = o.run != NULL;
	if (o.run || o.playlist) {
		const char *code;
		if (o.playlist)
			o.job.forever = 1;
		if (engine_start(e, &o.job, NULL, &code, err,
		    sizeof err) != 0) {
			fprintf(stderr, PROG ": --%s: %s\n",
			    o.run ? "run" : "playlist", err);
			rc = 2;
			goto out;
		}
	}

	while (running) {
		struct pollfd pfd[3];
		nfds_t n = 0;
		int timeout, sidx = -1, cidx = -1, pidx;

		timeout = engine_tick(e);
		if (by_hand_run && !engine_busy(e)) {
			rc = engine_job_status(e);
			break;
		}
		pfd[n].fd = sfd;
		pfd[n++].events = POLLIN;
		if (sampler) {
			sidx = (int)n;
			pfd[n].fd = sampler_fd(sampler);
			pfd[n++].events = POLLIN;
		}
		if (cfd >= 0) {
			cidx = (int)n;
			pfd[n].fd = cfd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		pidx = 0;
		if (pfd[pidx].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
				if (si.ssi_signo == SIGHUP) {
					log_info("SIGHUP: scenario files are "
					    "read again at each list and "
					    "start");
					continue;
				}
				log_info("signal %u: stopping", si.ssi_signo);
				engine_stop(e, "worker stopped by a signal");
				running = 0;
			}
		}
		if (sidx >= 0 && (pfd[sidx].revents & POLLIN))
			engine_samples(e);
		if (cidx >= 0 && pfd[cidx].revents &&
		    read_channel(e, cfd, lb) != 0) {
			log_warn("reliabd is gone: stopping");
			engine_stop(e, "reliabd went away");
			running = 0;
		}
	}
	/* A run interrupted any way leaves nothing on the proxy. */
	if (engine_busy(e))
		engine_stop(e, "worker exiting");
	/* --run reports its runs' verdicts, an aborted one included. */
	if (by_hand_run && rc == 0)
		rc = engine_job_status(e);
out:
	if (srv)
		metrics_server_stop(srv);
	engine_free(e);
	sampler_stop(sampler);
	if (reg)
		metrics_registry_free(reg);
	free(lb);
	channel_close();
	if (sfd >= 0)
		close(sfd);
	curl_global_cleanup();
	config_argv_free(margv);
	return rc;
}
