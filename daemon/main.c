/* reliabd's main(): options, the config, then the control socket, the
 * metrics and the supervisor (supervisor.c) around one event loop. It
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
