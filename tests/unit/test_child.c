/* The child state machine (daemon/child.c) through every transition,
 * with real processes (/bin/sh scripts that sleep) and the test as the
 * reaper: it waits for a child itself and hands the status to
 * child_reaped, so nothing depends on SIGCHLD timing. Time is injected
 * through started_ms (how long a child "ran") and a 1 ms back-off;
 * spawning through d.spawn (a failing fork). Reload runs daemon_reload
 * on two config files. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reliabd.h"
#include "util.h"

#define TRANS_MAX 64

struct trans {
	char name[CONFIG_NAME_MAX];
	enum child_state old, new;
};

static struct trans seen[TRANS_MAX];
static size_t nseen;
static char lines[4][256];
static size_t nlines;
static char dir[] = "/tmp/test_child.XXXXXX";
static struct reliabd d;

static void
on_changed(struct child *c, enum child_state old, enum child_state new)
{
	ck_assert_uint_lt(nseen, TRANS_MAX);
	strlcpy_r(seen[nseen].name, c->name, sizeof(seen[nseen].name));
	seen[nseen].old = old;
	seen[nseen].new = new;
	nseen++;
	/* The observer sees the new state already in place. */
	ck_assert_int_eq(c->state, new);
}

static void
on_line(struct child *c, const char *line, size_t len)
{
	(void)c;
	if (nlines < 4)
		snprintf(lines[nlines++], sizeof(lines[0]), "%.*s", (int)len,
		    line);
}

/* The transitions since the last call, as "name:old>new ...". */
static const char *
trail(void)
{
	static char buf[1024];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < nseen && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s>%s",
		    i ? " " : "", seen[i].name, child_state_text(seen[i].old),
		    child_state_text(seen[i].new));
	nseen = 0;
	return buf;
}

static pid_t
spawn_fails(char *const argv[], int want_channel, int *chan_fd, int *out_fd)
{
	(void)argv;
	(void)want_channel;
	*chan_fd = *out_fd = -1;
	errno = EAGAIN;
	return -1;
}

static void
script(const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static char **
argv_of(const char *name)
{
	char **argv = calloc(2, sizeof(*argv));
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(argv);
	argv[0] = strdup(path);
	ck_assert_ptr_nonnull(argv[0]);
	return argv;
}

static struct child *
add(const char *name, enum kind kind, const char *prog)
{
	struct child *c = child_new(&d, name, kind, argv_of(prog), "");

	ck_assert_ptr_nonnull(c);
	TAILQ_INSERT_TAIL(&d.children, c, entry);
	return c;
}

/* Waits (bounded) for c's process to end and hands over its status. */
static int
reap(struct child *c)
{
	int status;
	pid_t pid = c->pid;

	ck_assert_int_gt(pid, 0);
	for (int i = 0; i < 500; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid) {
			child_reaped(c, status);
			return status;
		}
		usleep(10000);
	}
	ck_abort_msg("%s (pid %d) did not exit", c->name, (int)pid);
	return -1;
}

/* Runs the loop until c is in state st (timers: back-off, hold, grace). */
static void
loop_until(struct child *c, enum child_state st)
{
	for (int i = 0; i < 500 && c->state != st; i++)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(2000);
	ck_assert_str_eq(child_state_text(c->state), child_state_text(st));
}

static void
setup(void)
{
	memset(&d, 0, sizeof(d));
	strcpy(dir, "/tmp/test_child.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	d.base = event_base_new();
	ck_assert_ptr_nonnull(d.base);
	TAILQ_INIT(&d.children);
	backoff_default(&d.backoff);
	d.backoff.base_ms = 1;
	d.backoff.max_ms = 4;
	d.backoff.max_failures = 3;
	d.cfg.stop_grace_ms = 50;
	daemon_set_state(&d, DAEMON_RUNNING);
	child_hooks(on_changed, on_line);
	nseen = nlines = 0;
	script("sleeper", "exec sleep 30");
	script("stubborn", "trap '' TERM\ntouch \"$0.trapped\"\n"
			   "while :; do sleep 0.05; done");
	script("talker", "echo '{\"event\":\"ready\"}' >&3\nexec sleep 30");
}

static void
teardown(void)
{
	char cmd[300];

	while (!TAILQ_EMPTY(&d.children)) {
		struct child *c = TAILQ_FIRST(&d.children);

		if (c->pid > 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
		}
		TAILQ_REMOVE(&d.children, c, entry);
		child_free(c);
	}
	event_base_free(d.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(worker_start_ready_stop)
{
	struct child *c = add("w", KIND_LOADGEN, "talker");

	ck_assert_int_eq(child_start(c), 0);
	ck_assert_str_eq(trail(), "w:stopped>starting");
	/* The channel line reaches the one reader. */
	for (int i = 0; i < 500 && nlines == 0; i++)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(2000);
	ck_assert_str_eq(lines[0], "{\"event\":\"ready\"}");
	child_ready(c, "127.0.0.1:9");
	ck_assert_str_eq(trail(), "w:starting>running");
	ck_assert_str_eq(c->metrics_live, "127.0.0.1:9");
	/* A second "ready" changes nothing. */
	child_ready(c, "127.0.0.1:10");
	ck_assert_str_eq(trail(), "");
	child_stop(c);
	ck_assert_str_eq(trail(), "w:running>stopping");
	/* Late news from a worker told to stop: still stopping. */
	child_ready(c, NULL);
	ck_assert_str_eq(trail(), "");
	reap(c);
	ck_assert_str_eq(trail(), "w:stopping>stopped");
	ck_assert_int_eq(c->pid, -1);
	ck_assert_int_eq(c->exited, 1);
	/* Stopping a stopped child is no change. */
	child_stop(c);
	ck_assert_str_eq(trail(), "");
}
END_TEST

START_TEST(node_runs_at_once_and_restarts)
{
	struct child *c = add("n", KIND_NODE, "sleeper");
	pid_t first;

	ck_assert_int_eq(child_start(c), 0);
	ck_assert_str_eq(trail(), "n:stopped>running");
	first = c->pid;
	child_restart(c);
	ck_assert_str_eq(trail(), "n:running>stopping");
	reap(c);
	/* Asked to come back while it was stopping: started again. */
	ck_assert_str_eq(trail(), "n:stopping>stopped n:stopped>running");
	ck_assert_int_gt(c->pid, 0);
	ck_assert_int_ne(c->pid, first);
	/* A stopped child restarts by starting. */
	child_stop(c);
	reap(c);
	trail();
	child_restart(c);
	ck_assert_str_eq(trail(), "n:stopped>running");
}
END_TEST

START_TEST(death_backoff_then_fatal)
{
	struct child *c = add("w", KIND_SCENARIO, "sleeper");

	child_start(c);
	child_ready(c, NULL);
	trail();
	/* It ran long enough: a death is one failure, restarted. */
	c->started_ms = now_mono_ms() - d.backoff.stable_ms - 1;
	kill(c->pid, SIGKILL);
	ck_assert_int_eq(WTERMSIG(reap(c)), SIGKILL);
	ck_assert_str_eq(trail(), "w:running>backoff");
	ck_assert_uint_eq(c->restarts, 1);
	ck_assert_uint_eq(c->restart_in_ms, 1);
	loop_until(c, CHILD_STARTING);
	ck_assert_str_eq(trail(), "w:backoff>starting");
	/* Quick deaths in a row: back-off, back-off, then fatal. */
	for (unsigned i = 2; i <= d.backoff.max_failures; i++) {
		kill(c->pid, SIGKILL);
		reap(c);
		ck_assert_str_eq(trail(), "w:starting>backoff");
		loop_until(c, CHILD_STARTING);
		trail();
	}
	kill(c->pid, SIGKILL);
	reap(c);
	ck_assert_str_eq(trail(), "w:starting>fatal");
	ck_assert_int_eq(c->pid, -1);
	/* Left down: no timer brings it back. */
	for (int i = 0; i < 20; i++)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_int_eq(c->state, CHILD_FATAL);
	/* An operator's start revives it. */
	c->failures = 0;
	ck_assert_int_eq(child_start(c), 0);
	ck_assert_str_eq(trail(), "w:fatal>starting");
}
END_TEST

START_TEST(spawn_failure_backoff_then_fatal)
{
	struct child *c = add("w", KIND_PROXY, "sleeper");

	d.spawn = spawn_fails;
	ck_assert_int_eq(child_start(c), -1);
	ck_assert_str_eq(trail(), "w:stopped>backoff");
	for (unsigned i = 2; i <= d.backoff.max_failures; i++) {
		/* The back-off timer tries again, and fails again: one
		 * failure more, the same state, nothing to tell. */
		for (int k = 0; k < 500 && c->failures < i; k++)
			event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
			    usleep(2000);
		ck_assert_uint_eq(c->failures, i);
		ck_assert_int_eq(c->state, CHILD_BACKOFF);
		ck_assert_str_eq(trail(), "");
	}
	for (int k = 0; k < 500 && c->state != CHILD_FATAL; k++)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(2000);
	ck_assert_str_eq(trail(), "w:backoff>fatal");
	d.spawn = NULL;
}
END_TEST

START_TEST(hold_then_restart)
{
	struct child *c = add("n", KIND_NODE, "sleeper");

	child_start(c);
	trail();
	child_kill_hold(c, 20);
	ck_assert_str_eq(trail(), "n:running>held");
	ck_assert_int_eq(WTERMSIG(reap(c)), SIGKILL);
	/* Still held; the observer is told the restart count moved. */
	ck_assert_str_eq(trail(), "n:held>held");
	ck_assert_uint_eq(c->restarts, 1);
	loop_until(c, CHILD_RUNNING);
	ck_assert_str_eq(trail(), "n:held>running");
	/* Held while down: the timer alone brings it back. */
	child_stop(c);
	reap(c);
	trail();
	child_kill_hold(c, 5);
	ck_assert_str_eq(trail(), "n:stopped>held");
	loop_until(c, CHILD_RUNNING);
	ck_assert_str_eq(trail(), "n:held>running");
	/* A hold whose timer finds reliabd stopping stays down. */
	child_kill_hold(c, 5);
	reap(c);
	trail();
	daemon_set_state(&d, DAEMON_STOPPING);
	loop_until(c, CHILD_STOPPED);
	ck_assert_str_eq(trail(), "n:held>stopped");
}
END_TEST

START_TEST(grace_then_sigkill)
{
	struct child *c = add("n", KIND_NODE, "stubborn");

	char flag[300];

	snprintf(flag, sizeof(flag), "%s/stubborn.trapped", dir);
	child_start(c);
	for (int i = 0; i < 500 && access(flag, F_OK) < 0; i++)
		usleep(10000);
	ck_assert_int_eq(access(flag, F_OK), 0);
	trail();
	child_stop(c);
	ck_assert_str_eq(trail(), "n:running>stopping");
	/* SIGTERM is ignored; after the 50 ms grace the timer kills it. */
	for (int i = 0; i < 200; i++) {
		int status;

		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			ck_assert(WIFSIGNALED(status));
			ck_assert_int_eq(WTERMSIG(status), SIGKILL);
			child_reaped(c, status);
			break;
		}
		usleep(5000);
	}
	ck_assert_str_eq(trail(), "n:stopping>stopped");
}
END_TEST

START_TEST(stop_while_starting_or_in_backoff)
{
	struct child *w = add("w", KIND_LOADGEN, "sleeper");

	child_start(w);
	child_stop(w);
	ck_assert_str_eq(trail(), "w:stopped>starting w:starting>stopping");
	reap(w);
	ck_assert_str_eq(trail(), "w:stopping>stopped");
	d.spawn = spawn_fails;
	child_start(w);
	ck_assert_str_eq(trail(), "w:stopped>backoff");
	/* No process: stopped at once, and the back-off timer is gone. */
	child_stop(w);
	ck_assert_str_eq(trail(), "w:backoff>stopped");
	for (int i = 0; i < 20; i++)
		event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(1000);
	ck_assert_str_eq(trail(), "");
	d.spawn = NULL;
}
END_TEST

START_TEST(death_while_stopping_reliabd)
{
	struct child *c = add("n", KIND_NODE, "sleeper");

	child_start(c);
	trail();
	daemon_set_state(&d, DAEMON_STOPPING);
	kill(c->pid, SIGKILL);
	reap(c);
	/* No restart while reliabd stops. */
	ck_assert_str_eq(trail(), "n:running>stopped");
}
END_TEST

static void
write_conf(const char *nodes)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/reliabd.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	    "[daemon]\ncontrol_socket = %s/ctl.sock\nstate_dir = %s\n"
	    "worker_dir = %s\nstop_grace = 50ms\n\n[proxy]\nmode = external\n\n"
	    "[loadgen]\nenabled = false\n\n[scenario]\nenabled = false\n\n"
	    "%s",
	    dir, dir, dir, nodes);
	ck_assert_int_eq(fclose(f), 0);
	strlcpy_r(d.config_path, path, sizeof(d.config_path));
}

START_TEST(reload_keeps_restarts_stops_starts)
{
	char err[512], nodes[1024];
	struct child *c, *keep, *change, *gone, *fresh;

	snprintf(nodes, sizeof(nodes),
	    "[node keep]\nlisten = 127.0.0.1:1\nbinary = %s/sleeper\n\n"
	    "[node change]\nlisten = 127.0.0.1:2\nbinary = %s/sleeper\n\n"
	    "[node gone]\nlisten = 127.0.0.1:3\nbinary = %s/sleeper\n",
	    dir, dir, dir);
	write_conf(nodes);
	ck_assert_int_eq(config_load(d.config_path, &d.cfg, err, sizeof(err)),
	    0);
	d.cfg.stop_grace_ms = 50;
	ck_assert_int_eq(workers_build(&d, &d.cfg, &d.children, err,
			     sizeof(err)),
	    0);
	TAILQ_FOREACH(c, &d.children, entry)
		child_start(c);
	ck_assert_str_eq(trail(),
	    "keep:stopped>running change:stopped>running gone:stopped>running");
	keep = child_find(&d, "keep");
	change = child_find(&d, "change");
	gone = child_find(&d, "gone");

	/* A bad config changes nothing. */
	write_conf("[node keep]\nlisten = nowhere\n");
	ck_assert_int_eq(daemon_reload(&d, err, sizeof(err)), -1);
	ck_assert_str_eq(trail(), "");
	ck_assert_int_eq(d.state, DAEMON_RUNNING);

	snprintf(nodes, sizeof(nodes),
	    "[node keep]\nlisten = 127.0.0.1:1\nbinary = %s/sleeper\n\n"
	    "[node change]\nlisten = 127.0.0.1:2\nbinary = %s/sleeper\n"
	    "memory = 65\n\n"
	    "[node fresh]\nlisten = 127.0.0.1:4\nbinary = %s/sleeper\n",
	    dir, dir, dir);
	write_conf(nodes);
	ck_assert_int_eq(daemon_reload(&d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.state, DAEMON_RUNNING);
	/* Unchanged: untouched. Changed: restarted. Gone: stopped. New:
	 * started. */
	ck_assert_str_eq(trail(),
	    "change:running>stopping gone:running>stopping "
	    "fresh:stopped>running");
	ck_assert_int_eq(keep->state, CHILD_RUNNING);
	reap(change);
	ck_assert_str_eq(trail(),
	    "change:stopping>stopped change:stopped>running");
	reap(gone);
	ck_assert_str_eq(trail(), "gone:stopping>stopped");
	ck_assert_int_eq(gone->removed, 1);
	/* Freed once down. */
	reload_sweep(&d);
	ck_assert_ptr_null(child_find(&d, "gone"));
	fresh = child_find(&d, "fresh");
	ck_assert_ptr_nonnull(fresh);
	ck_assert_int_eq(fresh->state, CHILD_RUNNING);
	ck_assert_ptr_nonnull(strstr(change->argv[8], "65"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("states");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, worker_start_ready_stop);
	tcase_add_test(tc, node_runs_at_once_and_restarts);
	tcase_add_test(tc, death_backoff_then_fatal);
	tcase_add_test(tc, spawn_failure_backoff_then_fatal);
	tcase_add_test(tc, hold_then_restart);
	tcase_add_test(tc, grace_then_sigkill);
	tcase_add_test(tc, stop_while_starting_or_in_backoff);
	tcase_add_test(tc, death_while_stopping_reliabd);
	tcase_add_test(tc, reload_keeps_restarts_stops_starts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
