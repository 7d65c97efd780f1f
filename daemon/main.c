/* reliabd's main(): options, the config, then the control socket, the
 * metrics and the supervisor (supervisor.c) around one event loop. It
 * never daemonizes itself: systemd (or a terminal) runs it. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
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

/* A worker's output, read until it exits or the deadline passes. */
#define CHECK_OUT_MAX 16384
#define CHECK_TIMEOUT_MS 10000

/* Runs argv (no channel) to its end; its output in out[], its wait
 * status returned, or -1 (not run, or killed at the deadline). Before
 * the event loop: blocking is what is wanted. */
static int
run_check(char *const argv[], char *out, size_t outlen)
{
	uint64_t deadline = now_mono_ms() + CHECK_TIMEOUT_MS;
	size_t used = 0;
	int chan, fd, status, eof = 0;
	pid_t pid;

	out[0] = '\0';
	pid = spawn_child(argv, 0, &chan, &fd);
	if (pid < 0)
		return -1;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_mono_ms();
		char drop[512];
		ssize_t n;

		if (now >= deadline ||
		    poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break;
		/* Past outlen the rest is read and dropped, so it ends. */
		n = used + 1 < outlen ? read(fd, out + used, outlen - used - 1)
				      : read(fd, drop, sizeof(drop));
		if (n <= 0) {
			eof = n == 0;
			break;
		}
		if (used + 1 < outlen)
			used += (size_t)n;
		out[used] = '\0';
	}
	close(fd);
	/* No end of its output by the deadline: it may never exit. */
	if (!eof) {
		snprintf(out, outlen, "%s --check: no answer within %d s",
		    argv[0], CHECK_TIMEOUT_MS / 1000);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* The scenario worker's own --check with the configured catalogue_dir,
 * scenario_dir and playlist: its scenario files, and the playlist's
 * names (a mistyped one with its close matches), as the worker reads
 * them. Without it a bad name is only logged when the worker is up and
 * the loop silently never runs. Returns the worker's exit code (0 good,
 * 1 bad files, 2 a bad playlist or option), or -1 when it could not
 * tell; its lines in out[]. */
static int
scenario_check(const struct reliabd *d, const struct child_list *l,
    char *out, size_t outlen)
{
	const struct child *c;
	char **argv, playlist[CONFIG_VALUE_MAX + 16], list[CONFIG_VALUE_MAX];
	char *save = NULL, *tok;
	size_t n = 0, k, off;
	int status;

	out[0] = '\0';
	TAILQ_FOREACH(c, l, entry)
		if (c->kind == KIND_SCENARIO)
			break;
	if (c == NULL)
		return 0;
	while (c->argv[n])
		n++;
	argv = calloc(n + 3, sizeof(*argv));
	if (argv == NULL) {
		snprintf(out, outlen, "out of memory");
		return -1;
	}
	for (k = 0; k < n; k++)
		argv[k] = c->argv[k];
	argv[k++] = "--check";
	/* The worker takes NAME,NAME; the config also allows blanks. */
	strlcpy_r(list, d->cfg.playlist, sizeof(list));
	off = (size_t)snprintf(playlist, sizeof(playlist), "--playlist=");
	for (tok = strtok_r(list, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save))
		off += (size_t)snprintf(playlist + off, sizeof(playlist) - off,
		    "%s%s", off > strlen("--playlist=") ? "," : "", tok);
	if (off > strlen("--playlist="))
		argv[k++] = playlist;
	argv[k] = NULL;
	status = run_check(argv, out, outlen);
	free(argv);
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What can be known before anything starts: the children built from
 * the config (binaries found), and the scenario worker's check. -t
 * and a start both refuse a bad playlist; a bad scenario file is only
 * shown (list and reload name it too). 0 or -1, said on stderr. */
static int
preflight(struct reliabd *d, int test)
{
	struct child_list tmp;
	char err[1024], out[CHECK_OUT_MAX];
	int rc = 0, st;

	/* Also what only building the children finds (binaries). */
	if (workers_build(d, &d->cfg, &tmp, err, sizeof(err)) < 0) {
		fprintf(stderr, "reliabd: %s: %s\n", d->config_path, err);
		return -1;
	}
	if (test || d->cfg.playlist[0] != '\0') {
		st = scenario_check(d, &tmp, out, sizeof(out));
		if (st == 2) {
			fprintf(stderr, "%s%sreliabd: %s: [scenario]: the "
			    "scenario worker refuses the playlist or an "
			    "option (above)\n", out,
			    out[0] && out[strlen(out) - 1] != '\n' ? "\n" : "",
			    d->config_path);
			rc = -1;
		} else if (st != 0) {
			/* Catalogue files naming servers this lab lacks are
			 * skipped, not fatal; nor is a check that did not
			 * run (the worker's start will say why). */
			for (char *s = NULL, *line = strtok_r(out, "\n", &s);
			     line; line = strtok_r(NULL, "\n", &s))
				if (test)
					fprintf(stderr, "%s\n", line);
				else
					log_raw(LOG_LVL_WARN, "scenario-check",
					    line);
		}
	}
	while (!TAILQ_EMPTY(&tmp)) {
		struct child *c = TAILQ_FIRST(&tmp);

		TAILQ_REMOVE(&tmp, c, entry);
		child_free(c);
	}
	return rc;
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
	struct reliabd *d;
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
	d->base = NULL;
	if (preflight(d, test) < 0) {
		free(d);
		return 1;
	}
	if (test) {
		printf("%s: configuration OK\n", d->config_path);
		free(d);
		return 0;
	}
	if (log_level_parse(d->cfg.log_level, &lvl) == 0)
		log_set_level(debug ? LOG_LVL_DEBUG : lvl);

	signal(SIGPIPE, SIG_IGN);
	d->ctl_fd = -1;
	daemon_set_state(d, DAEMON_STARTING);
	d->started_ms = now_mono_ms();
	d->started_wall = now_wall();
	backoff_default(&d->backoff);
	if (d->cfg.restart_stable_ms > 0)
		d->backoff.stable_ms = d->cfg.restart_stable_ms;
	TAILQ_INIT(&d->children);
	d->base = event_base_new();
	if (d->base == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	if (supervisor_init(d) < 0)
		return 1;
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
	supervisor_start(d);

	event_base_dispatch(d->base);

	log_info("every child has stopped; exiting");
	control_close(d);
	supervisor_fini(d);
	dmetrics_stop(d);
	event_base_free(d->base);
	free(d);
	libevent_global_shutdown();
	return 0;
}
