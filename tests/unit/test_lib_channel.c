/* lib/channel.c: taking the fd from the environment, JSON lines out,
 * concurrent senders, a dead peer (EPIPE, not SIGPIPE). */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"
#include "util.h"

static int peer = -1;

/* A socketpair: one end named in the environment, the other kept. */
static int
open_pair(void)
{
	int sv[2];
	char num[16];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(num, sizeof(num), "%d", sv[0]);
	setenv(CHANNEL_ENV, num, 1);
	peer = sv[1];
	return sv[0];
}

/* Reads one line from the peer (blocking); bytes after it are kept for
 * the next call. */
static char rbuf[65536];
static size_t rlen;

static json_t *
read_line(void)
{
	json_error_t e;
	char *nl;
	json_t *j;

	while ((nl = memchr(rbuf, '\n', rlen)) == NULL) {
		ssize_t n;

		if (rlen == sizeof(rbuf))
			return NULL;
		n = read(peer, rbuf + rlen, sizeof(rbuf) - rlen);
		if (n <= 0)
			return NULL;
		rlen += (size_t)n;
	}
	j = json_loadb(rbuf, (size_t)(nl - rbuf), 0, &e);
	rlen -= (size_t)(nl + 1 - rbuf);
	memmove(rbuf, nl + 1, rlen);
	return j;
}

START_TEST(open_send_event)
{
	int fd = open_pair();
	json_t *msg, *got;

	ck_assert_int_eq(channel_fd(), -1);
	ck_assert_int_eq(channel_open(), fd);
	ck_assert_int_eq(channel_fd(), fd);
	/* Taken from the environment, and not inherited further. */
	ck_assert_ptr_null(getenv(CHANNEL_ENV));
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

	msg = json_pack("{s:i,s:b,s:{}}", "id", 3, "ok", 1, "result");
	ck_assert_int_eq(channel_send(msg), 0);
	got = read_line();
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(got, msg));
	json_decref(got);
	json_decref(msg);

	ck_assert_int_eq(channel_event("ready", json_pack("{s:s}", "metrics",
	    "127.0.0.1:9090")), 0);
	got = read_line();
	ck_assert_str_eq(json_string_value(json_object_get(got, "event")),
	    "ready");
	ck_assert_str_eq(json_string_value(json_object_get(got, "metrics")),
	    "127.0.0.1:9090");
	json_decref(got);
	ck_assert_int_eq(channel_event("bare", NULL), 0);
	got = read_line();
	ck_assert_uint_eq(json_object_size(got), 1);
	json_decref(got);
	/* Not an object: refused (and the reference still taken). */
	ck_assert_int_eq(channel_event("x", json_integer(1)), -1);

	channel_close();
	ck_assert_int_eq(channel_fd(), -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	close(peer);
}
END_TEST

START_TEST(by_hand)
{
	json_t *msg = json_object();

	unsetenv(CHANNEL_ENV);
	ck_assert_int_eq(channel_open(), -1);
	/* Dropped quietly. */
	ck_assert_int_eq(channel_send(msg), -1);
	ck_assert_int_eq(channel_event("ready", NULL), -1);
	json_decref(msg);
}
END_TEST

START_TEST(bad_env)
{
	static const char *const bad[] = { "", "abc", "-1", "3x", " 3",
	    "99999", "1000" /* not open */ };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char num[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(CHANNEL_ENV, bad[i], 1);
		ck_assert_msg(channel_open() == -1, "%s", bad[i]);
		ck_assert_ptr_null(getenv(CHANNEL_ENV));
	}
	/* Open, but not a socket. */
	snprintf(num, sizeof(num), "%d", fd);
	setenv(CHANNEL_ENV, num, 1);
	ck_assert_int_eq(channel_open(), -1);
	close(fd);
}
END_TEST

START_TEST(dead_peer)
{
	json_t *msg = json_pack("{s:s}", "event", "x");

	open_pair();
	ck_assert_int_ge(channel_open(), 0);
	close(peer);
	/* EPIPE, not death by SIGPIPE. */
	ck_assert_int_eq(channel_send(msg), -1);
	json_decref(msg);
	channel_close();
}
END_TEST

#define NSENDERS 4
#define NMSGS 200

static void *
sender(void *arg)
{
	int id = (int)(intptr_t)arg;
	char pad[3000];

	/* Lines long enough to need several writes on a busy socket. */
	memset(pad, 'a' + id, sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < NMSGS; i++) {
		json_t *m = json_pack("{s:i,s:i,s:s}", "t", id, "i", i, "pad",
		    pad);

		ck_assert_int_eq(channel_send(m), 0);
		json_decref(m);
	}
	return NULL;
}

START_TEST(concurrent_nonblocking)
{
	pthread_t t[NSENDERS];
	int next[NSENDERS] = { 0 };
	int fd = open_pair();

	ck_assert_int_eq(channel_open(), fd);
	/* A worker's event loop makes the fd non-blocking; sends still
	 * deliver whole lines. */
	ck_assert_int_eq(fd_set_nonblock(fd), 0);
	for (int i = 0; i < NSENDERS; i++)
		pthread_create(&t[i], NULL, sender, (void *)(intptr_t)i);
	for (int n = 0; n < NSENDERS * NMSGS; n++) {
		json_t *got = read_line();
		int id, i;

		ck_assert_msg(got != NULL, "line %d is not JSON", n);
		id = (int)json_integer_value(json_object_get(got, "t"));
		i = (int)json_integer_value(json_object_get(got, "i"));
		ck_assert(id >= 0 && id < NSENDERS);
		/* Each sender's lines arrive whole and in order. */
		ck_assert_int_eq(i, next[id]);
		next[id]++;
		ck_assert_uint_eq(strlen(json_string_value(json_object_get(got,
		    "pad"))), 2999);
		json_decref(got);
	}
	for (int i = 0; i < NSENDERS; i++)
		pthread_join(t[i], NULL);
	channel_close();
	close(peer);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("channel");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_init("test_lib_channel", LOG_LVL_ERROR);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, open_send_event);
	tcase_add_test(tc, by_hand);
	tcase_add_test(tc, bad_env);
	tcase_add_test(tc, dead_peer);
	tcase_add_test(tc, concurrent_nonblocking);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
