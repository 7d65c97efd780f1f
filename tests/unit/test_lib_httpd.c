/* lib/httpd.c: status codes, headers, bad requests, port 0, errors,
 * close-on-exec. Talks raw HTTP over loopback to see exactly what is
 * sent. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"
#include "metrics.h"

static struct metrics_registry *reg;
static struct metrics_server *srv;
static unsigned port;

static void
setup(void)
{
	char err[256];

	reg = metrics_registry_new();
	ck_assert_ptr_nonnull(reg);
	metric_inc(metric_get(metrics_counter(reg, "hits_total", "Hits.",
	    NULL)));
	srv = metrics_server_start("127.0.0.1:0", reg, err, sizeof(err));
	ck_assert_msg(srv != NULL, "%s", err);
	port = metrics_server_port(srv);
	ck_assert_uint_gt(port, 0);
}

static void
teardown(void)
{
	metrics_server_stop(srv);
	metrics_registry_free(reg);
}

static int
connect_local(unsigned p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_port = htons((uint16_t)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	return fd;
}

/* Sends req, reads the reply until the server closes or 5 s pass. */
static char *
http_wait(const char *req, size_t reqlen, int max_polls)
{
	static char buf[65536];
	int fd = connect_local(port);
	size_t off = 0;

	ck_assert_int_eq(send(fd, req, reqlen, MSG_NOSIGNAL), (ssize_t)reqlen);
	/* At most 5 s; done after 0.3 s of silence once a reply began
	 * (a kept-alive connection is never closed by the server). */
	for (int i = 0, idle = 0; i < max_polls && off < sizeof(buf) - 1; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0) {
			if (off > 0 && ++idle >= 6)
				break;
			continue;
		}
		idle = 0;
		n = recv(fd, buf + off, sizeof(buf) - 1 - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return buf;
}

#define http(req, len) http_wait(req, len, 100)
#define REQ(s) http(s, strlen(s))

START_TEST(get_metrics)
{
	char *r = REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n");

	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: " METRICS_CONTENT_TYPE
	    "\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "\r\n\r\n# HELP hits_total Hits.\n"
	    "# TYPE hits_total counter\nhits_total 1\n"));
}
END_TEST

START_TEST(head_metrics)
{
	char *r = REQ("HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n");

	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: " METRICS_CONTENT_TYPE));
	/* Headers only. */
	ck_assert_str_eq(strstr(r, "\r\n\r\n"), "\r\n\r\n");
}
END_TEST

START_TEST(not_found_and_methods)
{
	char *r = REQ("GET /other HTTP/1.0\r\n\r\n");

	ck_assert_msg(strncmp(r, "HTTP/1.0 404", 12) == 0 ||
	    strncmp(r, "HTTP/1.1 404", 12) == 0, "%s", r);
	r = REQ("GET /metrics/ HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, " 404 "));
	r = REQ("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "\r\nhello");
	ck_assert_msg(strstr(r, " 405 ") != NULL, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "Allow: GET, HEAD\r\n"));
	r = REQ("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, " 405 "));
	/* A GET with a body is answered; the body is ignored. */
	r = REQ("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	    "Connection: close\r\n\r\nabc");
	ck_assert_ptr_nonnull(strstr(r, " 200 "));
}
END_TEST

START_TEST(garbage)
{
	static const char *const reqs[] = {
		"\r\n\r\n", "GARBAGE\r\n\r\n", "GET\r\n\r\n",
		"GET /metrics HTTP/9.9\r\n\r\n", "\x01\x02\xff\xfe\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	char big[20000];
	char *r;

	/* Whatever the answer, if any, within 0.5 s. */
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		(void)http_wait(reqs[i], strlen(reqs[i]), 10);
	/* An enormous URL and header. */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
	(void)http_wait(big, sizeof(big), 10);
	/* Still serving. */
	r = REQ("GET /metrics HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "hits_total 1\n"));
}
END_TEST

START_TEST(many_clients)
{
	int fds[40];
	char *r;

	/* Idle connections hold slots but do not stop others. */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = connect_local(port);
	r = REQ("GET /metrics HTTP/1.0\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "hits_total 1\n"));
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
}
END_TEST

START_TEST(start_errors)
{
	struct metrics_server *other;
	char err[256], addr[64];

	err[0] = '\0';
	ck_assert_ptr_null(metrics_server_start("nonsense", reg, err,
	    sizeof(err)));
	ck_assert(err[0] != '\0');
	err[0] = '\0';
	ck_assert_ptr_null(metrics_server_start("127.0.0.1:99999", reg, err,
	    sizeof(err)));
	ck_assert(err[0] != '\0');
	/* The port taken. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	err[0] = '\0';
	other = metrics_server_start(addr, reg, err, sizeof(err));
	ck_assert_ptr_null(other);
	ck_assert_msg(strstr(err, addr) != NULL, "%s", err);
	metrics_server_stop(NULL);
}
END_TEST

/* fds open now without FD_CLOEXEC, as a bit set. */
static void
inheritable_fds(unsigned char *set, int max)
{
	memset(set, 0, (size_t)max);
	for (int fd = 3; fd < max; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && !(fl & FD_CLOEXEC))
			set[fd] = 1;
	}
}

START_TEST(cloexec)
{
	unsigned char before[1024], after[1024];
	struct metrics_server *s2;
	char err[256];
	int idle;

	/* setup() already started one; compare against a second. */
	inheritable_fds(before, 1024);
	s2 = metrics_server_start("127.0.0.1:0", reg, err, sizeof(err));
	ck_assert_ptr_nonnull(s2);
	port = metrics_server_port(s2);
	idle = connect_local(port);
	(void)REQ("GET /metrics HTTP/1.0\r\n\r\n");
	inheritable_fds(after, 1024);
	for (int fd = 3; fd < 1024; fd++)
		ck_assert_msg(!after[fd] || before[fd],
		    "fd %d is not close-on-exec", fd);
	close(idle);
	metrics_server_stop(s2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("httpd");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_init("test_lib_httpd", LOG_LVL_ERROR);
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, get_metrics);
	tcase_add_test(tc, head_metrics);
	tcase_add_test(tc, not_found_and_methods);
	tcase_add_test(tc, garbage);
	tcase_add_test(tc, many_clients);
	tcase_add_test(tc, start_errors);
	tcase_add_test(tc, cloexec);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
