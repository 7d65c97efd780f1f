/* The supervisor: how reliabd reacts. It is child.c's one observer
 * (every state change: metrics, the file_sd targets, readiness, systemd
 * status, events for watchers, the playlist or the interrupted job when
 * the scenario worker comes up, and the staged stop), the reader of every worker's channel
 * (route.c), and the signals' handler. Only main() calls it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

/* Shutdown stage of a child: the scenario worker goes first, so that it
 * removes its faults while the proxy still answers; then the load, so it
 * records no errors from servers going away; then the proxy and the
 * nodes. */
static int
stop_stage(enum kind kind)
{
	switch (kind) {
	case KIND_SCENARIO:
		return 0;
	case KIND_LOADGEN:
		return 1;
	default:
		return 2; /* the proxy and the nodes */
	}
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
playlist_start(struct reliabd *d)
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
	reply = cmd_forward_start(&ctx, args);
	if (reply) {
		log_warn("playlist not started: %s",
		    json_string_value(json_object_get(
			json_object_get(reply, "error"), "message")));
		json_decref(reply);
	}
	json_decref(args);
}

static void
daemon_check_ready(struct reliabd *d)
{
	struct child *c;

	if (d->state != DAEMON_STARTING && d->state != DAEMON_RUNNING)
		return;
	TAILQ_FOREACH(c, &d->children, entry)
		if (c->want_up && c->state != CHILD_RUNNING)
			return;
	if (d->state == DAEMON_STARTING) {
		daemon_set_state(d, DAEMON_RUNNING);
		log_info("every child is running");
	}
	notify_ready(d);
}

/* What watchers hear of a child: why one that was up died, and when one
 * comes back after a crash or a requested hold (a node restart). */
static void
child_event(struct reliabd *d, struct child *c, enum child_state old,
    enum child_state new)
{
	char how[64];

	/* A node has no "ready" to wait for: it goes straight to running. */
	if ((old == CHILD_BACKOFF || old == CHILD_HELD) &&
	    (new == CHILD_STARTING || new == CHILD_RUNNING)) {
		events_emit(d, "child-restart",
		    json_pack("{s:s, s:s, s:I, s:s}", "name", c->name, "kind",
			kind_text(c->kind), "restarts",
			(json_int_t)c->restarts, "after",
			old == CHILD_HELD ? "hold" : "exit"));
		return;
	}
	if (old != CHILD_STARTING && old != CHILD_RUNNING)
		return;
	if (new != CHILD_FATAL && new != CHILD_BACKOFF)
		return;
	child_exit_text(c->last_status, how, sizeof(how));
	if (new == CHILD_FATAL)
		events_emit(d, "child-fatal",
		    json_pack("{s:s, s:s}", "name", c->name, "last_exit", how));
	else
		events_emit(d, "child-exit",
		    json_pack("{s:s, s:s, s:I, s:I}", "name", c->name,
			"last_exit", how, "restarts", (json_int_t)c->restarts,
			"restart_in_ms", (json_int_t)c->restart_in_ms));
}

static void
child_changed(struct child *c, enum child_state old, enum child_state new)
{
	struct reliabd *d = c->d;

	dmetrics_child(d, c);
	/* A dead worker's run is journaled and its job kept; once it is
	 * back, the job goes on (or the playlist starts). */
	if (c->kind == KIND_SCENARIO && c->pid <= 0 &&
	    new != CHILD_STARTING && new != CHILD_RUNNING)
		job_worker_died(d, c);
	if (c->kind == KIND_SCENARIO && new == CHILD_RUNNING &&
	    old != CHILD_RUNNING && !job_worker_ready(d))
		playlist_start(d);
	/* The scenario worker samples each client where it is now: told
	 * when either comes up, whichever is last. */
	if ((c->kind == KIND_LOADGEN || c->kind == KIND_SCENARIO) &&
	    new == CHILD_RUNNING && old != CHILD_RUNNING &&
	    d->state != DAEMON_STOPPING)
		cmd_forward_clients(d);
	if (d->state == DAEMON_STOPPING) {
		if (c->pid <= 0 && stop_next_stage(d))
			event_base_loopbreak(d->base);
		return;
	}
	filesd_write(d);
	daemon_check_ready(d);
	notify_status(d);
	child_event(d, c, old, new);
}

static void
daemon_stop(struct reliabd *d)
{
	if (d->state == DAEMON_STOPPING)
		return;
	log_info("stopping");
	daemon_set_state(d, DAEMON_STOPPING);
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

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reload_sweep(arg);
	notify_status(arg);
}

int
supervisor_init(struct reliabd *d)
{
	child_hooks(child_changed, route_line);
	pending_hook(job_forwarded);
	d->conn_write = control_write;
	d->conn_watch = control_set_watch;
	d->broadcast = control_broadcast;
	for (size_t i = 0; i < NELEM(sigs); i++) {
		d->sig_ev[i] = evsignal_new(d->base, sigs[i], signal_cb, d);
		if (d->sig_ev[i] == NULL || event_add(d->sig_ev[i], NULL) < 0) {
			log_error("cannot watch signal %d", sigs[i]);
			return -1;
		}
	}
	return 0;
}

void
supervisor_start(struct reliabd *d)
{
	struct timeval one_s = { 1, 0 };
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry) {
		dmetrics_child(d, c);
		child_start(c);
	}
	filesd_write(d);
	daemon_check_ready(d);
	d->sweep_ev = event_new(d->base, -1, EV_PERSIST, sweep_cb, d);
	if (d->sweep_ev)
		event_add(d->sweep_ev, &one_s);
}

void
supervisor_fini(struct reliabd *d)
{
	while (!TAILQ_EMPTY(&d->children)) {
		struct child *c = TAILQ_FIRST(&d->children);

		TAILQ_REMOVE(&d->children, c, entry);
		child_free(c);
	}
	job_free(d);
	if (d->sweep_ev)
		event_free(d->sweep_ev);
	d->sweep_ev = NULL;
	if (d->watchdog_ev)
		event_free(d->watchdog_ev);
	d->watchdog_ev = NULL;
	for (size_t i = 0; i < NELEM(sigs); i++)
		if (d->sig_ev[i])
			event_free(d->sig_ev[i]);
}
