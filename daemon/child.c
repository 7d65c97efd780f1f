/* A supervised child: its state machine, its process, its output and
 * its channel. Every state change goes through child_set_state, which
 * tells the one registered observer (the supervisor) the old and the new
 * state; channel lines go to the one registered reader. Neither is called
 * by name, so nothing here calls up into the files that use it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "reliabd.h"
#include "util.h"

#define CHILD_OUT_LINE_MAX 4096

const char *
child_state_text(enum child_state st)
{
	switch (st) {
	case CHILD_STOPPED:
		return "stopped";
	case CHILD_STARTING:
		return "starting";
	case CHILD_RUNNING:
		return "running";
	case CHILD_BACKOFF:
		return "backoff";
	case CHILD_STOPPING:
		return "stopping";
	case CHILD_HELD:
		return "held";
	case CHILD_FATAL:
		return "fatal";
	}
	return "unknown";
}

static child_changed_fn on_changed;
static child_line_fn on_line;

void
child_hooks(child_changed_fn changed, child_line_fn line)
{
	on_changed = changed;
	on_line = line;
}

static void child_set_state(struct child *c, enum child_state st);

struct child *
child_new(struct reliabd *d, const char *name, enum kind kind,
    char **argv, const char *metrics_addr)
{
	struct child *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->d = d;
	strlcpy_r(c->name, name, sizeof(c->name));
	c->kind = kind;
	c->argv = argv;
	strlcpy_r(c->metrics_addr, metrics_addr ? metrics_addr : "",
	    sizeof(c->metrics_addr));
	c->state = CHILD_STOPPED;
	c->want_up = 1;
	c->pid = -1;
	TAILQ_INIT(&c->pending);
	if (frame_init(&c->chan_frame, PROTO_LINE_MAX) < 0 ||
	    frame_init(&c->out_frame, CHILD_OUT_LINE_MAX) < 0) {
		frame_free(&c->chan_frame);
		free(c);
		return NULL;
	}
	return c;
}

static void
child_close_io(struct child *c)
{
	if (c->chan) {
		bufferevent_free(c->chan);
		c->chan = NULL;
	}
	if (c->out) {
		bufferevent_free(c->out);
		c->out = NULL;
	}
}

void
child_free(struct child *c)
{
	if (c == NULL)
		return;
	pending_fail_all(c, "reliabd is shutting down");
	pending_forget_child(c->d, c);
	child_close_io(c);
	if (c->timer)
		event_free(c->timer);
	frame_free(&c->chan_frame);
	frame_free(&c->out_frame);
	json_decref(c->last_stats);
	json_decref(c->last_phase);
	config_argv_free(c->argv);
	free(c);
}

struct child *
child_find(struct reliabd *d, const char *name)
{
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

struct child *
child_find_kind(struct reliabd *d, enum kind kind)
{
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry)
		if (c->kind == kind)
			return c;
	return NULL;
}

struct child *
child_find_client(struct reliabd *d, const char *name)
{
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry)
		if (c->kind == KIND_LOADGEN && !c->removed &&
		    strcmp(c->client, name) == 0)
			return c;
	return NULL;
}

struct child *
child_find_pid(struct reliabd *d, pid_t pid)
{
	struct child *c;

	TAILQ_FOREACH(c, &d->children, entry)
		if (c->pid == pid)
			return c;
	return NULL;
}

/* ---- output relay -------------------------------------------------- */

static void
child_out_read(struct bufferevent *bev, void *arg)
{
	struct child *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[4096], *line;
	size_t n, len;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		if (frame_feed(&c->out_frame, buf, n) < 0)
			return;
		for (;;) {
			enum frame_status st = frame_next(&c->out_frame, &line,
			    &len);

			if (st == FRAME_NEED_MORE)
				break;
			if (st == FRAME_TOO_LONG)
				log_raw(LOG_LVL_WARN, c->name,
				    "(an over-long output line was cut)");
			else
				log_raw(LOG_LVL_INFO, c->name, line);
		}
	}
}

static void
child_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct child *c = arg;

	/* EOF or error: the child closed its output (it is exiting). */
	(void)what;
	if (c->out == bev) {
		bufferevent_free(c->out);
		c->out = NULL;
	}
}

/* ---- channel ------------------------------------------------------- */

static void
child_chan_read(struct bufferevent *bev, void *arg)
{
	struct child *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[16384], *line;
	size_t n, len;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		if (frame_feed(&c->chan_frame, buf, n) < 0)
			return;
		for (;;) {
			enum frame_status st = frame_next(&c->chan_frame,
			    &line, &len);

			if (st == FRAME_NEED_MORE)
				break;
			if (st == FRAME_TOO_LONG) {
				log_warn("%s: over-long line on channel",
				    c->name);
				continue;
			}
			if (on_line)
				on_line(c, line, len);
			if (c->chan != bev)
				return; /* closed under us */
		}
	}
}

static void
child_chan_event(struct bufferevent *bev, short what, void *arg)
{
	struct child *c = arg;

	(void)what;
	if (c->chan == bev) {
		bufferevent_free(c->chan);
		c->chan = NULL;
		pending_fail_all(c, "the worker closed its channel");
	}
}

/* ---- lifecycle ----------------------------------------------------- */

static void
child_set_state(struct child *c, enum child_state st)
{
	enum child_state old = c->state;

	if (old == st)
		return;
	log_debug("%s: %s -> %s", c->name, child_state_text(old),
	    child_state_text(st));
	c->state = st;
	if (on_changed)
		on_changed(c, old, st);
}

static void
child_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case CHILD_BACKOFF:
	case CHILD_HELD:
		if (c->want_up && c->d->state != DAEMON_STOPPING)
			child_start(c);
		else
			child_set_state(c, CHILD_STOPPED);
		break;
	case CHILD_STOPPING:
		if (c->pid > 0) {
			log_warn("%s: still running after the grace period; "
				 "killing pid %d",
			    c->name, (int)c->pid);
			kill(c->pid, SIGKILL);
		}
		break;
	default:
		break;
	}
}

static int
child_arm(struct child *c, uint64_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000 };

	if (c->timer == NULL) {
		c->timer = evtimer_new(c->d->base, child_timer_cb, c);
		if (c->timer == NULL)
			return -1;
	}
	return evtimer_add(c->timer, &tv);
}

int
child_start(struct child *c)
{
	int chan_fd, out_fd;
	int worker = c->kind != KIND_NODE && !c->external;
	pid_t pid;

	if (c->pid > 0)
		return 0;
	if (c->timer)
		evtimer_del(c->timer);
	c->want_up = 1;
	if (c->scraped) {
		child_set_state(c, CHILD_RUNNING);
		return 0;
	}
	pid = (c->d->spawn ? c->d->spawn : spawn_child)(c->argv, worker,
	    &chan_fd, &out_fd);
	if (pid < 0) {
		uint64_t delay;

		/* Treated as a quick death: the back-off applies. */
		if (backoff_next(&c->d->backoff, 0, &c->failures, &delay) ==
		    BACKOFF_FATAL) {
			child_set_state(c, CHILD_FATAL);
			return -1;
		}
		c->restart_in_ms = delay;
		child_set_state(c, CHILD_BACKOFF);
		child_arm(c, delay);
		return -1;
	}
	c->pid = pid;
	c->started_ms = now_mono_ms();
	c->started_wall = now_wall();
	c->metrics_live[0] = '\0';
	frame_free(&c->out_frame);
	frame_init(&c->out_frame, CHILD_OUT_LINE_MAX);
	frame_free(&c->chan_frame);
	frame_init(&c->chan_frame, PROTO_LINE_MAX);

	c->out = bufferevent_socket_new(c->d->base, out_fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->out) {
		evutil_make_socket_nonblocking(out_fd);
		bufferevent_setcb(c->out, child_out_read, NULL,
		    child_out_event, c);
		bufferevent_enable(c->out, EV_READ);
	} else {
		close(out_fd);
	}
	if (chan_fd >= 0) {
		c->chan = bufferevent_socket_new(c->d->base, chan_fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (c->chan) {
			evutil_make_socket_nonblocking(chan_fd);
			bufferevent_setcb(c->chan, child_chan_read, NULL,
			    child_chan_event, c);
			bufferevent_enable(c->chan, EV_READ | EV_WRITE);
		} else {
			close(chan_fd);
		}
	}
	log_info("%s: started pid %d", c->name, (int)pid);
	/* A node or an external program has nothing to report; it is up
	 * once it runs. */
	child_set_state(c, worker ? CHILD_STARTING : CHILD_RUNNING);
	return 0;
}

void
child_stop(struct child *c)
{
	c->want_up = 0;
	if (c->pid <= 0) {
		if (c->timer)
			evtimer_del(c->timer);
		child_set_state(c, CHILD_STOPPED);
		return;
	}
	if (c->state == CHILD_STOPPING)
		return;
	log_info("%s: stopping (SIGTERM, SIGKILL after %llu ms)", c->name,
	    (unsigned long long)c->d->cfg.stop_grace_ms);
	kill(c->pid, SIGTERM);
	child_set_state(c, CHILD_STOPPING);
	if (child_arm(c, c->d->cfg.stop_grace_ms) < 0) {
		/* No timer, so no SIGKILL later: the stop must not hang. */
		log_error("%s: cannot arm the stop timer; SIGKILL now",
		    c->name);
		kill(c->pid, SIGKILL);
	}
}

void
child_restart(struct child *c)
{
	if (c->pid <= 0) {
		child_start(c);
		return;
	}
	child_stop(c);
	c->want_up = 1;
}

void
child_kill_hold(struct child *c, uint64_t hold_ms)
{
	c->hold_ms = hold_ms;
	c->want_up = 1;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		/* child_reaped sees CHILD_HELD and arms the timer. */
		child_set_state(c, CHILD_HELD);
		return;
	}
	child_set_state(c, CHILD_HELD);
	child_arm(c, hold_ms);
}

void
child_ready(struct child *c, const char *addr)
{
	/* Late news from a worker already told to stop must not make it
	 * "running" again (and so never SIGKILLed). */
	if (c->state != CHILD_STARTING)
		return;
	if (addr && strlen(addr) < sizeof(c->metrics_live))
		strlcpy_r(c->metrics_live, addr, sizeof(c->metrics_live));
	log_info("%s: ready (metrics on %s)", c->name,
	    c->metrics_live[0] ? c->metrics_live : "?");
	child_set_state(c, CHILD_RUNNING);
}

void
child_exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %#x", status);
}

/* Reads what is left in a dead child's pipe or socket. */
static void
child_drain(struct bufferevent *bev, struct child *c,
    void (*readcb)(struct bufferevent *, void *))
{
	struct evbuffer *in;
	int fd;

	if (bev == NULL)
		return;
	in = bufferevent_get_input(bev);
	fd = bufferevent_getfd(bev);
	/* Bounded: the pipe holds at most a few pages. */
	for (int i = 0; i < 64 && fd >= 0; i++)
		if (evbuffer_read(in, fd, 4096) <= 0)
			break;
	readcb(bev, c);
}

void
child_reaped(struct child *c, int status)
{
	uint64_t ran = now_mono_ms() - c->started_ms, delay;
	char how[64];

	child_exit_text(status, how, sizeof(how));
	c->pid = -1;
	c->exited = 1;
	c->last_status = status;
	c->metrics_live[0] = '\0';
	/* Drain what the child wrote before it died, then drop its ends. */
	child_drain(c->out, c, child_out_read);
	child_drain(c->chan, c, child_chan_read);
	child_close_io(c);
	pending_fail_all(c, "the worker exited");
	if (c->timer)
		evtimer_del(c->timer);

	switch (c->state) {
	case CHILD_STOPPING:
		log_info("%s: stopped (%s)", c->name, how);
		child_set_state(c, CHILD_STOPPED);
		/* A restart asked for while it was stopping. */
		if (c->want_up && c->d->state != DAEMON_STOPPING)
			child_start(c);
		return;
	case CHILD_HELD:
		log_info("%s: killed on request; restarting in %llu ms",
		    c->name, (unsigned long long)c->hold_ms);
		c->restarts++;
		child_arm(c, c->hold_ms);
		/* Same state, one more restart: the observer counts it. */
		if (on_changed)
			on_changed(c, c->state, c->state);
		return;
	default:
		break;
	}
	if (!c->want_up || c->d->state == DAEMON_STOPPING) {
		child_set_state(c, CHILD_STOPPED);
		return;
	}
	if (backoff_next(&c->d->backoff, ran, &c->failures, &delay) ==
	    BACKOFF_FATAL) {
		log_error("%s: died (%s) %u times in a row within %llu ms of "
			  "starting; giving up",
		    c->name, how, c->failures,
		    (unsigned long long)c->d->backoff.stable_ms);
		child_set_state(c, CHILD_FATAL);
		return;
	}
	c->restarts++;
	log_warn("%s: died (%s) after %llu ms; restart %u in %llu ms",
	    c->name, how, (unsigned long long)ran, c->restarts,
	    (unsigned long long)delay);
	c->restart_in_ms = delay;
	child_set_state(c, CHILD_BACKOFF);
	child_arm(c, delay);
}

json_t *
child_status_json(const struct child *c)
{
	json_t *o;
	char how[64];

	o = json_pack("{s:s, s:s, s:s, s:I}", "name", c->name, "kind",
	    kind_text(c->kind), "state", child_state_text(c->state),
	    "restarts", (json_int_t)c->restarts);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "pid",
	    c->pid > 0 ? json_integer(c->pid) : json_null());
	json_object_set_new(o, "uptime_s",
	    c->pid > 0 ? json_real((double)(now_mono_ms() - c->started_ms) /
				   1000.0)
		       : json_null());
	if (c->exited) {
		child_exit_text(c->last_status, how, sizeof(how));
		json_object_set_new(o, "last_exit", json_string(how));
	} else {
		json_object_set_new(o, "last_exit", json_null());
	}
	if (c->metrics_live[0])
		json_object_set_new(o, "metrics", json_string(c->metrics_live));
	else if (c->metrics_addr[0])
		json_object_set_new(o, "metrics", json_string(c->metrics_addr));
	else
		json_object_set_new(o, "metrics", json_null());
	if (c->kind == KIND_LOADGEN)
		json_object_set_new(o, "client", json_string(c->client));
	return o;
}
