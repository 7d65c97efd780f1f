/* reliabd: the supervisor. Reads the config, binds the control socket,
 * starts and watches the children, and stops them all on SIGTERM. It
 * never daemonizes itself: systemd (or a terminal) runs it. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ac-config.h"
#include "log.h"
#include "metrics.h"
#include "reliabd.h"
#include "util.h"

#define DEFAULT_CONFIG SYSCONFDIR "/reliabd/reliabd.conf"

const char *
daemon_state_text(enum daemon_state st)
{
	switch (st) {
	case DAEMON_STARTING:
		return "starting";
	case DAEMON_RUNNING:
		return "running";
	case DAEMON_RELOADING:
		return "reloading";
	case DAEMON_STOPPING:
		return "stopping";
	}
	return "unknown";
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: reliabd [-dtV] [-c FILE]\n"
	    "  -c, --config FILE  the configuration (default %s)\n"
	    "  -d, --debug        log debug messages\n"
	    "  -t, --test         check the configuration and exit\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         this help\n",
	    DEFAULT_CONFIG);
}

/* Shutdown stage of a child: the scenario worker goes first, so that it
 * removes its faults while the proxy still answers; then the load, so it
 * records no errors from servers going away; then the proxy and the
 * nodes. */
static int
stop_stage(enum child_kind kind)
{
	switch (kind) {
	case CHILD_SCENARIO:
		return 0;
	case CHILD_LOADGEN:
		return 1;
	case CHILD_PROXY:
	case CHILD_NODE:
		return 2;
	}
	return 2;
}

/* Stops every child of the earliest stage that still has one running
 * (and whatever is not running at all); 1 when none is left. */
static int
stop_next_stage(struct reliabd *d)
{
	struct child *c;
	int stage = 3;

	TAILQ_FOREACH(c, &d->children, entry)
		if (c->pid > 0 && stop_stage(c->kind) < stage)
			stage = stop_stage(c->kind);
	TAILQ_FOREACH(c, &d->children, entry)
		if (c->pid <= 0 || stop_stage(c->kind) <= stage)
			child_stop(c);
	return stage == 3;
}

/* Sends the configured playlist to a scenario worker that just became
 * ready, so a host that reboots resumes its loop by itself. */
static void
playlist_start(struct reliabd *d, struct child *c)
{
	struct cmd_ctx ctx = { .d = d };
	json_t *names, *args, *reply;
	char list[CONFIG_VALUE_MAX], *save = NULL, *tok;

	if (d->cfg.playlist[0] == '\0' || d->playlist_stopped)
		return;
	names = json_array();
	strlcpy_r(list, d->cfg.playlist, sizeof(list));
	for (tok = strtok_r(list, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save))
		json_array_append_new(names, json_string(tok));
	args = json_pack("{s:o, s:b}", "names", names, "forever", 1);
	if (args == NULL)
		return;
	log_info("starting the playlist \"%s\" (forever)", d->cfg.playlist);
	reply = cmd_forward(&ctx, CHILD_SCENARIO, "start-scenario", args, 5000);
	if (reply) {
		log_warn("playlist not started: %s",
		    json_string_value(json_object_get(
			json_object_get(reply, "error"), "message")));
		json_decref(reply);
	}
	json_decref(args);
	(void)c;
}

void
daemon_check_ready(struct reliabd *d)
{
	struct child *c;

	if (d->state != DAEMON_STARTING && d->state != DAEMON_RUNNING)
		return;
	TAILQ_FOREACH(c, &d->children, entry)
		if (c->want_up && c->state != CHILD_RUNNING)
			return;
	if (d->state == DAEMON_STARTING) {
		d->state = DAEMON_RUNNING;
		log_info("every child is running");
	}
	notify_ready(d);
}

void
daemon_child_changed(struct reliabd *d, struct child *c)
{
	int was_running = c->m_up && metric_value(c->m_up) > 0.5;

	dmetrics_child(d, c);
	if (c->kind == CHILD_SCENARIO && c->state == CHILD_RUNNING &&
	    !was_running)
		playlist_start(d, c);
	if (d->state == DAEMON_STOPPING) {
		if (c->pid <= 0 && stop_next_stage(d))
			event_base_loopbreak(d->base);
		return;
	}
	filesd_write(d);
	daemon_check_ready(d);
	notify_status(d);
}

static void
daemon_stop(struct reliabd *d)
{
	if (d->state == DAEMON_STOPPING)
		return;
	log_info("stopping");
	d->state = DAEMON_STOPPING;
	notify_stopping(d);
	if (stop_next_stage(d))
		event_base_loopbreak(d->base);
}

static void
reap(struct reliabd *d)
{
	struct child *c;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		c = child_find_pid(d, pid);
		if (c)
			child_reaped(c, status);
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct reliabd *d = arg;
	char err[1024];

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		daemon_stop(d);
		break;
	case SIGHUP:
		if (daemon_reload(d, err, sizeof(err)) < 0)
			log_error("reload refused, the running config stays: "
				  "%s",
			    err);
		break;
	case SIGCHLD:
		reap(d);
		break;
	}
}

/* Same name, kind and command line: the running child can stay. */
static int
child_same(const struct child *a, const struct child *b)
{
	size_t i;

	if (a->kind != b->kind || strcmp(a->name, b->name) != 0)
		return 0;
	for (i = 0; a->argv[i] && b->argv[i]; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return a->argv[i] == NULL && b->argv[i] == NULL;
}

int
daemon_reload(struct reliabd *d, char *err, size_t errlen)
{
	struct config *ncfg;
	struct child_list fresh;
	struct child *c, *n, *tmp;
	int rc = -1;

	if (d->state == DAEMON_STOPPING) {
		snprintf(err, errlen, "reliabd is stopping");
		return -1;
	}
	ncfg = malloc(sizeof(*ncfg));
	if (ncfg == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	notify_reloading(d);
	d->state = DAEMON_RELOADING;
	log_info("reloading %s", d->config_path);
	if (config_load(d->config_path, ncfg, err, errlen) < 0)
		goto out;
	if (strcmp(ncfg->control_socket, d->cfg.control_socket) != 0 ||
	    strcmp(ncfg->metrics, d->cfg.metrics) != 0 ||
	    strcmp(ncfg->state_dir, d->cfg.state_dir) != 0)
		log_warn("control_socket, metrics and state_dir changes take "
			 "effect at the next start");
	strlcpy_r(ncfg->control_socket, d->cfg.control_socket,
	    sizeof(ncfg->control_socket));
	strlcpy_r(ncfg->metrics, d->cfg.metrics, sizeof(ncfg->metrics));
	strlcpy_r(ncfg->state_dir, d->cfg.state_dir, sizeof(ncfg->state_dir));
	if (workers_build(d, ncfg, &fresh, err, errlen) < 0)
		goto out;
	/* Keep what is unchanged, restart what changed, stop what went. */
	TAILQ_FOREACH_SAFE(c, &d->children, entry, tmp) {
		TAILQ_FOREACH(n, &fresh, entry)
			if (strcmp(n->name, c->name) == 0)
				break;
		if (n && child_same(c, n)) {
			TAILQ_REMOVE(&fresh, n, entry);
			child_free(n);
			/* Dropped by an earlier reload and back again. */
			if (c->removed || !c->want_up) {
				c->removed = 0;
				c->want_up = 1;
				c->failures = 0;
				if (c->pid <= 0)
					child_start(c);
			}
			continue;
		}
		if (n && n->kind == c->kind) {
			/* Same child, new options: swap them in, restart. */
			char **argv = c->argv;

			c->argv = n->argv;
			n->argv = argv;
			strlcpy_r(c->metrics_addr, n->metrics_addr,
			    sizeof(c->metrics_addr));
			TAILQ_REMOVE(&fresh, n, entry);
			child_free(n);
			log_info("%s: options changed; restarting", c->name);
			c->removed = 0;
			c->failures = 0;
			child_restart(c);
			continue;
		}
		log_info("%s: no longer configured; stopping", c->name);
		child_stop(c);
		c->removed = 1;
	}
	while ((n = TAILQ_FIRST(&fresh)) != NULL) {
		TAILQ_REMOVE(&fresh, n, entry);
		TAILQ_INSERT_TAIL(&d->children, n, entry);
		log_info("%s: newly configured; starting", n->name);
		child_start(n);
	}
	d->cfg = *ncfg;
	{
		enum log_level lvl;

		if (log_level_parse(d->cfg.log_level, &lvl) == 0)
			log_set_level(lvl);
	}
	/* The scenario worker re-reads its scenario files. */
	c = child_find_kind(d, CHILD_SCENARIO);
	if (c && c->state == CHILD_RUNNING) {
		json_t *req = proto_request_new(0, "reload", NULL);

		if (req) {
			child_send(c, req);
			json_decref(req);
		}
	}
	rc = 0;
	log_info("reloaded");
out:
	free(ncfg);
	d->state = DAEMON_RUNNING;
	/* READY=1 again closes the reload for systemd, success or not. */
	d->ready_sent = 0;
	notify_ready(d);
	filesd_write(d);
	return rc;
}

/* Children stopped because the config dropped them are freed once they
 * are gone. */
static void
sweep_removed(struct reliabd *d)
{
	struct child *c, *tmp;

	TAILQ_FOREACH_SAFE(c, &d->children, entry, tmp)
		if (c->removed && c->pid <= 0) {
			TAILQ_REMOVE(&d->children, c, entry);
			child_free(c);
		}
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sweep_removed(arg);
	notify_status(arg);
}

static int
make_state_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "debug", no_argument, NULL, 'd' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct reliabd *d;
	struct event *sweep;
	struct timeval one_s = { 1, 0 };
	int ch, test = 0, debug = 0, activated;
	char err[1024];
	enum log_level lvl;

	log_init("reliabd", LOG_LVL_INFO);
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		log_error("out of memory");
		return 1;
	}
	strlcpy_r(d->config_path, DEFAULT_CONFIG, sizeof(d->config_path));
	while ((ch = getopt_long(argc, argv, "c:dtVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			strlcpy_r(d->config_path, optarg,
			    sizeof(d->config_path));
			break;
		case 'd':
			debug = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("reliabd %s (protocol %d)\n", PACKAGE_VERSION,
			    PROTO_VERSION);
			free(d);
			return 0;
		case 'h':
			usage(stdout);
			free(d);
			return 0;
		default:
			usage(stderr);
			free(d);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(d);
		return 2;
	}
	if (config_load(d->config_path, &d->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "reliabd: %s\n", err);
		free(d);
		return 1;
	}
	if (test) {
		struct child_list tmp;

		/* Also what only building the children finds (binaries). */
		d->base = NULL;
		if (workers_build(d, &d->cfg, &tmp, err, sizeof(err)) < 0) {
			fprintf(stderr, "reliabd: %s: %s\n", d->config_path,
			    err);
			free(d);
			return 1;
		}
		while (!TAILQ_EMPTY(&tmp)) {
			struct child *c = TAILQ_FIRST(&tmp);

			TAILQ_REMOVE(&tmp, c, entry);
			child_free(c);
		}
		printf("%s: configuration OK\n", d->config_path);
		free(d);
		return 0;
	}
	if (log_level_parse(d->cfg.log_level, &lvl) == 0)
		log_set_level(debug ? LOG_LVL_DEBUG : lvl);

	signal(SIGPIPE, SIG_IGN);
	d->ctl_fd = -1;
	d->state = DAEMON_STARTING;
	d->started_ms = now_mono_ms();
	d->started_wall = now_wall();
	backoff_default(&d->backoff);
	TAILQ_INIT(&d->children);
	d->base = event_base_new();
	if (d->base == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	for (size_t i = 0; i < NELEM(sigs); i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], signal_cb, d);
		if (d->sig_ev[i] == NULL || event_add(d->sig_ev[i], NULL) < 0) {
			log_error("cannot watch signal %d", sigs[i]);
			return 1;
		}
	}
	if (make_state_dir(d->cfg.state_dir) < 0) {
		log_error("state directory %s: %s", d->cfg.state_dir,
		    strerror(errno));
		return 1;
	}
	activated = notify_activated_fd();
	if (control_listen(d, d->cfg.control_socket, activated, err,
		sizeof(err)) < 0) {
		log_error("%s", err);
		return 1;
	}
	if (dmetrics_start(d, err, sizeof(err)) < 0) {
		log_error("metrics: %s", err);
		control_close(d);
		return 1;
	}
	/* Faults a crashed run left behind go before anything starts. */
	workers_cleanup_faults(&d->cfg);
	if (workers_build(d, &d->cfg, &d->children, err, sizeof(err)) < 0) {
		log_error("%s", err);
		control_close(d);
		dmetrics_stop(d);
		return 1;
	}
	notify_init(d);
	log_info("reliabd %s started; control socket %s, metrics on %s",
	    PACKAGE_VERSION,
	    d->ctl_activated ? "(passed by systemd)" : d->cfg.control_socket,
	    d->metrics_live);
	{
		struct child *c;

		TAILQ_FOREACH(c, &d->children, entry) {
			dmetrics_child(d, c);
			child_start(c);
		}
	}
	filesd_write(d);
	daemon_check_ready(d);
	sweep = event_new(d->base, -1, EV_PERSIST, sweep_cb, d);
	if (sweep)
		event_add(sweep, &one_s);

	event_base_dispatch(d->base);

	log_info("every child has stopped; exiting");
	control_close(d);
	while (!TAILQ_EMPTY(&d->children)) {
		struct child *c = TAILQ_FIRST(&d->children);

		TAILQ_REMOVE(&d->children, c, entry);
		child_free(c);
	}
	if (sweep)
		event_free(sweep);
	if (d->watchdog_ev)
		event_free(d->watchdog_ev);
	for (size_t i = 0; i < NELEM(sigs); i++)
		event_free(d->sig_ev[i]);
	dmetrics_stop(d);
	event_base_free(d->base);
	free(d);
	libevent_global_shutdown();
	return 0;
}
