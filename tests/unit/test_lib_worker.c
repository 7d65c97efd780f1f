/* lib/worker.c: requests on the channel dispatched from a command table
 * and answered in order, replies to the worker's own requests, lines that
 * are not requests (bad JSON, too long), the ready event, SIGTERM and
 * reliabd going away ending the loop through on_stop. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "channel.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "worker.h"

static int peer = -1;

struct seen {
	int echoes, stops, replies, reply_ok, hups, after;
	long long reply_id;
	char reason[128];
};
static struct seen seen;

static json_t *
cmd_echo(const struct proto_request *req, void *arg)
{
	ck_assert_ptr_eq(arg, &seen);
	seen.echoes++;
	return proto_reply_ok(req->id, json_incref(req->args));
}

static json_t *
cmd_nomem(const struct proto_request *req, void *arg)
{
	(void)req;
	(void)arg;
	return NULL;
}

static const struct worker_cmd cmds[] = {
	{ "echo", cmd_echo },
	{ "nomem", cmd_nomem },
	{ NULL, NULL },
};

static void
on_stop(const char *reason, void *arg)
{
	(void)arg;
	seen.stops++;
	snprintf(seen.reason, sizeof seen.reason, "%s", reason);
}

static void
on_reply(const struct proto_msg *msg, void *arg)
{
	(void)arg;
	seen.replies++;
	seen.reply_ok = msg->ok;
	seen.reply_id = (long long)msg->id;
}

static void
on_hup(void *arg)
{
	(void)arg;
	seen.hups++;
}

static void
after(void *arg)
{
	(void)arg;
	seen.after++;
}

static struct worker *
new_worker(void)
{
	struct worker_hooks h = { on_stop, on_hup, after, on_reply, NULL };
	struct worker *w;
	int sv[2];
	char num[16];

	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(num, sizeof num, "%d", sv[0]);
	setenv(CHANNEL_ENV, num, 1);
	peer = sv[1];
	w = worker_init("test", &h, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(worker_has_channel(w), 1);
	worker_set_commands(w, cmds, &seen);
	return w;
}

static void
put(const char *text)
{
	size_t n = strlen(text);

	ck_assert_int_eq(write(peer, text, n), (ssize_t)n);
}

/* All the peer has received, as lines of JSON. */
static json_t *
take_lines(void)
{
	static char buf[1 << 20];
	size_t len = 0;
	json_t *arr = json_array();
	char *p, *nl;
	ssize_t n;

	while ((n = recv(peer, buf + len, sizeof buf - 1 - len,
	    MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);

		ck_assert_ptr_nonnull(j);
		json_array_append_new(arr, j);
	}
	ck_assert_str_eq(p, "");
	return arr;
}

static const char *
code_of(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply,
	    "error"), "code"));
}

START_TEST(test_requests)
{
	struct worker *w = new_worker();
	json_t *out, *r;
	char *big;

	put("{\"id\":1,\"cmd\":\"echo\",\"args\":{\"x\":1}}\n"
	    "this is not json\n"
	    "{\"id\":2,\"cmd\":\"nope\"}\n"
	    "{\"id\":3,\"cmd\":\"nomem\"}\n"
	    "{\"id\":4,\"cmd\":\"echo\",\"args\":[1]}\n"
	    "{\"id\":9,\"ok\":false,\"error\":{\"code\":\"busy\","
	    "\"message\":\"m\"}}\n"
	    "{\"event\":\"x\"}\n"
	    "{\"id\":5,\"cmd\":\"echo\"}\r\n");
	big = malloc(PROTO_LINE_MAX + 10);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', PROTO_LINE_MAX + 8);
	big[PROTO_LINE_MAX + 8] = '\n';
	big[PROTO_LINE_MAX + 9] = '\0';
	put(big);
	free(big);
	put("{\"id\":6,\"cmd\":\"echo\"}\n");
	shutdown(peer, SHUT_WR);   /* then reliabd goes away */
	ck_assert_int_eq(worker_run(w), 0);
	ck_assert_int_eq(seen.stops, 1);
	ck_assert_str_eq(seen.reason, "reliabd went away");
	out = take_lines();
	ck_assert_int_eq(json_array_size(out), 8);
	r = json_array_get(out, 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), 1);
	ck_assert(json_is_true(json_object_get(r, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r,
	    "result"), "x")), 1);
	/* A line that is no request: "bad-request", as the channel has
	 * always answered, and the loop carries on. */
	ck_assert_str_eq(code_of(json_array_get(out, 1)), "bad-request");
	ck_assert_str_eq(code_of(json_array_get(out, 2)), "unknown-command");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(out, 2), "id")), 2);
	ck_assert_str_eq(code_of(json_array_get(out, 3)), "internal");
	ck_assert_str_eq(code_of(json_array_get(out, 4)), "bad-arguments");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(out, 5), "id")), 5);
	ck_assert_str_eq(code_of(json_array_get(out, 6)), "line-too-long");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(out, 7), "id")), 6);
	ck_assert_int_eq(seen.echoes, 3);
	ck_assert_int_eq(seen.after, 5);
	ck_assert_int_eq(seen.replies, 1);
	ck_assert_int_eq(seen.reply_ok, 0);
	ck_assert_int_eq(seen.reply_id, 9);
	json_decref(out);
	worker_free(w);
	close(peer);
}
END_TEST

START_TEST(test_request_ready_and_signals)
{
	struct worker *w = new_worker();
	struct metrics_registry *reg = metrics_registry_new();
	char err[256];
	json_t *out, *ev, *req;
	long long id;

	ck_assert_ptr_nonnull(reg);
	ck_assert_int_eq(worker_serve_metrics(w, "127.0.0.1:0", reg,
	    json_pack("{s:s}", "api", "x:1"), err, sizeof err), 0);
	ck_assert_ptr_nonnull(strstr(worker_metrics_addr(w), "127.0.0.1:"));
	id = worker_request(w, "node-restart", json_pack("{s:s}", "name",
	    "m1"));
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(worker_request(w, "x", NULL), id + 1);
	out = take_lines();
	ck_assert_int_eq(json_array_size(out), 3);
	ev = json_array_get(out, 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "event")),
	    "ready");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "metrics")),
	    worker_metrics_addr(w));
	ck_assert_str_eq(json_string_value(json_object_get(ev, "api")), "x:1");
	req = json_array_get(out, 1);
	ck_assert_str_eq(json_string_value(json_object_get(req, "cmd")),
	    "node-restart");
	ck_assert_int_eq(json_integer_value(json_object_get(req, "id")), id);
	json_decref(out);
	/* SIGHUP goes to its hook; SIGTERM stops the loop. */
	raise(SIGHUP);
	raise(SIGTERM);
	ck_assert_int_eq(worker_run(w), 0);
	ck_assert_int_eq(seen.hups, 1);
	ck_assert_int_eq(seen.stops, 1);
	ck_assert_str_eq(seen.reason, "worker stopped by a signal");
	worker_free(w);
	metrics_registry_free(reg);
	close(peer);
}
END_TEST

static void
exit_soon(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	worker_exit(arg, 3);
}

START_TEST(test_by_hand)
{
	struct worker_hooks h = { on_stop, NULL, NULL, NULL, NULL };
	struct worker *w;
	struct event *ev;
	struct timeval tv = { 0, 1000 };

	memset(&seen, 0, sizeof seen);
	unsetenv(CHANNEL_ENV);
	w = worker_init("test", &h, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(worker_has_channel(w), 0);
	ck_assert_int_eq(worker_request(w, "x", NULL), -1);
	ev = evtimer_new(worker_base(w), exit_soon, w);
	ck_assert_ptr_nonnull(ev);
	evtimer_add(ev, &tv);
	/* worker_exit's code; on_stop is for signals and reliabd only. */
	ck_assert_int_eq(worker_run(w), 3);
	ck_assert_int_eq(seen.stops, 0);
	event_free(ev);
	worker_free(w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lib_worker");
	TCase *tc = tcase_create("worker");
	SRunner *sr;
	int failed;

	log_init("test_lib_worker", LOG_LVL_ERROR);
	tcase_add_test(tc, test_requests);
	tcase_add_test(tc, test_request_ready_and_signals);
	tcase_add_test(tc, test_by_hand);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
