/* start-scenario --wait: follows the job's events until the worker says
 * it is done, with a live line on a terminal and each run's report as
 * it ends; the exit status is the worst verdict seen. Ctrl-C ends the
 * wait, not the run. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reliabctl.h"
#include "util.h"

#define BAR_WIDTH 20

/* What SIGINT prints: written before the handler is installed, read only
 * by it. */
static char interrupt_msg[512];
static size_t interrupt_len;

void
wait_interrupted(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls here. */
	if (write(STDERR_FILENO, interrupt_msg, interrupt_len) < 0) {
		/* Nothing more to say it with. */
	}
	_exit(EXIT_INTERRUPTED);
}

/* Ctrl-C ends the wait, not the run: it says so, and how to stop it. */
static void
wait_catch_sigint(const char *job)
{
	struct sigaction sa;
	int n;

	n = snprintf(interrupt_msg, sizeof(interrupt_msg),
	    "\nreliabctl: stopped waiting; the run%s%s goes on in reliabd.\n"
	    "  follow it:  reliabctl watch\n"
	    "  stop it:    reliabctl stop\n"
	    "  its report: reliabctl runs, then reliabctl show RUN\n",
	    job ? " " : "", job ? job : "");
	if (n < 0)
		return;
	interrupt_len = (size_t)n < sizeof(interrupt_msg) ? (size_t)n :
	    sizeof(interrupt_msg) - 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wait_interrupted;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* The run's report from the journal's record, asked for on the second
 * connection (the first one streams events). The run event carries the
 * record too, but reliabd has set its "source" to the worker's name. */
static void
print_run_report(struct ctl_client *st, const json_t *ev)
{
	json_t *args = json_pack("{s:s?}", "run",
	    json_string_value(json_object_get(ev, "id")));
	json_t *reply = NULL, *run = NULL;

	if (st->fd >= 0 && args)
		reply = client_call(st, "show", args, 5000);
	json_decref(args);
	if (json_is_true(json_object_get(reply, "ok")))
		run = json_incref(json_object_get(json_object_get(reply,
		    "result"), "run"));
	if (!json_is_object(run)) {
		json_decref(run);
		run = json_deep_copy(ev);
		json_object_del(run, "source");
	}
	report_print(stdout, run);
	printf("\n");
	json_decref(run);
	json_decref(reply);
}

struct live {
	char scenario[128];
	char phase[32];
	double started, duration_s;
	double ops_rate, error_rate;
	int have_load;
};

static void
live_draw(const struct live *l)
{
	char bar[BAR_WIDTH + 1], left[16];
	double now = now_wall(), frac = 0, rem = 0;
	int fill;

	if (l->duration_s > 0) {
		frac = (now - l->started) / l->duration_s;
		frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
		rem = l->started + l->duration_s - now;
	}
	fill = (int)lround(frac * BAR_WIDTH);
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	printf("\r\033[K%-24.24s %-13s [%s] %6s left", l->scenario,
	    l->phase[0] ? l->phase : "starting", bar,
	    fmt_duration_s(rem > 0 ? rem : 0, left, sizeof(left)));
	if (l->have_load)
		printf("  %8.0f ops/s  %6.2f%% errors", l->ops_rate,
		    100.0 * l->error_rate);
	fflush(stdout);
}

static void
poll_load(struct ctl_client *st, struct live *l)
{
	json_t *reply, *load;

	if (st->fd < 0)
		return;
	reply = client_call(st, "status", NULL, 2000);
	load = json_object_get(json_object_get(reply, "result"), "load");
	if (json_is_object(load)) {
		l->ops_rate = json_number_value(json_object_get(load, "ops_rate"));
		l->error_rate =
		    json_number_value(json_object_get(load, "error_rate"));
		l->have_load = 1;
	}
	json_decref(reply);
}

int
wait_for_runs(struct ctl_client *cl, const char *socket_path, const char *job,
    int json)
{
	int tty = !json && isatty(STDOUT_FILENO);
	int worst = EXIT_OK, seen_run = 0;
	struct ctl_client st = { .fd = -1 };
	struct live l;
	uint64_t last_poll = 0;

	memset(&l, 0, sizeof(l));
	wait_catch_sigint(job);
	/* A second connection: the live line's load, each run's report. */
	if (!json && client_connect(&st, socket_path) < 0)
		st.fd = -1;
	for (;;) {
		json_t *ev = client_read(cl, tty ? 250 : -1);
		const char *name;

		if (tty && now_mono_ms() - last_poll >= 1000) {
			poll_load(&st, &l);
			last_poll = now_mono_ms();
		}
		if (ev == NULL) {
			if (cl->fd >= 0 && tty) {
				/* A timeout: redraw. EOF ends the wait. */
				char c;

				if (recv(cl->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
					break;
				live_draw(&l);
				continue;
			}
			break;
		}
		name = json_string_value(json_object_get(ev, "event"));
		if (name && strcmp(name, "done") == 0) {
			const char *run =
			    json_string_value(json_object_get(ev, "run"));

			/* The whole job (every scenario, every loop) ended. */
			if (job == NULL || (run && strcmp(run, job) == 0)) {
				json_decref(ev);
				if (tty)
					printf("\r\033[K");
				client_close(&st);
				return seen_run ? worst : EXIT_RUN_ABORTED;
			}
		} else if (name && strcmp(name, "phase") == 0) {
			const char *ph =
			    json_string_value(json_object_get(ev, "phase"));
			const char *sc =
			    json_string_value(json_object_get(ev, "scenario"));

			snprintf(l.phase, sizeof(l.phase), "%s", ph ? ph : "?");
			snprintf(l.scenario, sizeof(l.scenario), "%s",
			    sc ? sc : "?");
			l.started = json_number_value(json_object_get(ev, "started"));
			l.duration_s = json_number_value(
					   json_object_get(ev, "duration_ms")) /
			    1000.0;
		} else if (name && strcmp(name, "run") == 0) {
			const char *status =
			    json_string_value(json_object_get(ev, "status"));

			seen_run = 1;
			if (status && strcmp(status, "failed") == 0 &&
			    worst == EXIT_OK)
				worst = EXIT_RUN_FAILED;
			if (status && strcmp(status, "aborted") == 0)
				worst = EXIT_RUN_ABORTED;
			if (tty)
				printf("\r\033[K");
			if (json) {
				char *s = json_dumps(ev, JSON_COMPACT);

				if (s)
					printf("%s\n", s);
				free(s);
			} else {
				const char *reason = json_string_value(
				    json_object_get(ev, "reason"));

				if (reason && *reason == '\0')
					reason = NULL;
				printf("%s: %s %s%s%s\n\n",
				    jstr(ev, "id", "?"), jstr(ev, "scenario", "?"),
				    status ? status : "?", reason ? ": " : "",
				    reason ? reason : "");
				print_run_report(&st, ev);
			}
			fflush(stdout);
		}
		if (tty)
			live_draw(&l);
		json_decref(ev);
	}
	if (tty)
		printf("\n");
	client_close(&st);
	fprintf(stderr, "reliabctl: the connection to reliabd ended before the "
			"runs did\n");
	return worst != EXIT_OK ? worst : EXIT_REFUSED;
}
