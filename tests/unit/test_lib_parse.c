/* lib/duration.c, lib/addr.c, lib/util.c, lib/log.c: the small parsers
 * and helpers, good and bad inputs. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "duration.h"
#include "log.h"
#include "scrape_url.h"
#include "util.h"

START_TEST(duration_good)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} cases[] = {
		{ "250ms", 250 }, { "30s", 30000 }, { "2m", 120000 },
		{ "1h", 3600000 }, { "1.5s", 1500 }, { "30", 30000 },
		{ "0", 0 }, { "0ms", 0 }, { "0.1s", 100 }, { ".5s", 500 },
		{ "1h30m", 5400000 }, { "1m30.5s", 90500 },
		{ "2.5", 2500 }, { "720h", 720ULL * 3600000 },
		{ "0.0015s", 2 }, /* rounded to the nearest ms */
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		uint64_t ms = 12345;

		ck_assert_msg(duration_parse(cases[i].s, &ms) == 0, "%s",
		    cases[i].s);
		ck_assert_msg(ms == cases[i].ms, "%s: %llu", cases[i].s,
		    (unsigned long long)ms);
	}
}
END_TEST

START_TEST(duration_bad)
{
	static const char *const bad[] = {
		"", "-1s", "+1s", "s", "ms", "1x", "1 s", " 1s", "1s ", "1.",
		"1h30", "abc", "1e3s", "721h", "2592000001ms",
		"99999999999999999999s", ".", "1..5s", "1sms", "nan", "inf",
		"0x10s", "1d",
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		uint64_t ms = 777;

		ck_assert_msg(duration_parse(bad[i], &ms) == -1, "%s", bad[i]);
		ck_assert_uint_eq(ms, 777);
	}
	ck_assert_int_eq(duration_parse(NULL, NULL), -1);
}
END_TEST

START_TEST(duration_fmt)
{
	static const struct {
		uint64_t ms;
		const char *s;
	} cases[] = {
		{ 0, "0s" }, { 250, "250ms" }, { 1000, "1s" }, { 1500, "1.5s" },
		{ 1250, "1.25s" }, { 60000, "1m" }, { 90500, "1m30.5s" },
		{ 3600000, "1h" }, { 5400000, "1h30m" }, { 3600001, "1h0.001s" },
	};
	char buf[32];

	for (size_t i = 0; i < NELEM(cases); i++) {
		uint64_t back;

		ck_assert_str_eq(duration_format(cases[i].ms, buf, sizeof(buf)),
		    cases[i].s);
		/* What it prints, it reads back. */
		ck_assert_int_eq(duration_parse(buf, &back), 0);
		ck_assert_uint_eq(back, cases[i].ms);
	}
	/* Too small a buffer is cut, never overrun. */
	ck_assert_uint_lt(strlen(duration_format(5400000, buf, 3)), 3);
}
END_TEST

START_TEST(addr_good)
{
	struct hostport hp;
	char err[128];

	ck_assert_int_eq(hostport_parse("127.0.0.1:9090", &hp, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "127.0.0.1");
	ck_assert_uint_eq(hp.port, 9090);
	ck_assert_int_eq(hostport_parse("[::1]:0", &hp, err, sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "::1");
	ck_assert_uint_eq(hp.port, 0);
	ck_assert_int_eq(hostport_parse("memcache-1.lab:65535", &hp, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "memcache-1.lab");
	ck_assert_uint_eq(hp.port, 65535);
}
END_TEST

START_TEST(addr_bad)
{
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1: 80",
		"127.0.0.1:80 ", "::1:80", "[::1]", "[::1]80", "[::1:80",
		"[]:80", "host name:80", "h\n:80", "127.0.0.1:0x50",
		"127.0.0.1:000080", "a/b:1",
	};
	struct hostport hp;
	char err[128], longhost[400];

	for (size_t i = 0; i < NELEM(bad); i++) {
		err[0] = '\0';
		ck_assert_msg(hostport_parse(bad[i], &hp, err, sizeof(err)) ==
		    -1, "%s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
	}
	memset(longhost, 'a', sizeof(longhost));
	strcpy(longhost + 300, ":80");
	ck_assert_int_eq(hostport_parse(longhost, &hp, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

/* A client's /metrics: HOST:PORT or http://HOST:PORT/PATH. */
START_TEST(scrape_urls)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "127.0.0.1:9100", "http://127.0.0.1:9100/metrics" },
		{ "[::1]:80", "http://[::1]:80/metrics" },
		{ "http://lab-2.example:9200/", "http://lab-2.example:9200/" },
		{ "http://10.0.0.5:9200/a/b_c-d.e~%20",
		    "http://10.0.0.5:9200/a/b_c-d.e~%20" },
	};
	static const char *const bad[] = {
		"", "http://", "http://a:1", "http://a/metrics",
		"http://a:0/metrics", "https://a:1/m", "ftp://a:1/m",
		"http://a:1/m?x=1", "http://a:1/m#f", "http://a:1/m n",
		"http://a:1/\"", "http://a:1x/m", "a", "a:99999",
	};
	char err[160], out[SCRAPE_URL_MAX], big[SCRAPE_URL_MAX + 8];
	struct scrape_url u;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(scrape_url_parse(good[i].in, &u, err,
		    sizeof(err)) == 0, "%s: %s", good[i].in, err);
		scrape_url_format(&u, out, sizeof(out));
		ck_assert_str_eq(out, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(scrape_url_parse(bad[i], &u, err,
		    sizeof(err)) == -1, "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s: no message", bad[i]);
	}
	/* HOST:PORT may say port 0 (a worker's "pick one"); too long is
	 * refused whole. */
	ck_assert_int_eq(scrape_url_parse("127.0.0.1:0", &u, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(u.hp.port, 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://a:1/", 11);
	ck_assert_int_eq(scrape_url_parse(big, &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "longer than 255 bytes");
}
END_TEST

START_TEST(addr_resolve)
{
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128];

	ck_assert_int_eq(hostport_parse("127.0.0.1:80", &hp, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(hostport_resolve(&hp, &ss, &len, err, sizeof(err)),
	    0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(hostport_parse("[::1]:80", &hp, err, sizeof(err)),
	    0);
	ck_assert_int_eq(hostport_resolve(&hp, &ss, &len, err, sizeof(err)),
	    0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	/* .invalid never resolves (RFC 2606). */
	ck_assert_int_eq(hostport_parse("no.such.host.invalid:80", &hp, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(hostport_resolve(&hp, &ss, &len, err, sizeof(err)),
	    -1);
	ck_assert(err[0] != '\0');
	/* Numeric only: a name is refused without asking a resolver. */
	ck_assert_int_eq(hostport_numeric(&hp, &ss, &len), -1);
	ck_assert_int_eq(hostport_parse("localhost:80", &hp, err, sizeof(err)),
	    0);
	ck_assert_int_eq(hostport_numeric(&hp, &ss, &len), -1);
	ck_assert_int_eq(hostport_parse("[::1]:81", &hp, err, sizeof(err)),
	    0);
	len = 0;
	ck_assert_int_eq(hostport_numeric(&hp, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 81);
}
END_TEST

START_TEST(numbers)
{
	uint64_t u;
	double d;

	ck_assert_int_eq(parse_u64("0", 0, 10, &u), 0);
	ck_assert_uint_eq(u, 0);
	ck_assert_int_eq(parse_u64("18446744073709551615", 0, UINT64_MAX,
	    &u), 0);
	ck_assert_uint_eq(u, UINT64_MAX);
	ck_assert_int_eq(parse_u64("18446744073709551616", 0, UINT64_MAX,
	    &u), -1);
	ck_assert_int_eq(parse_u64("11", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64("4", 5, 10, &u), -1);
	ck_assert_int_eq(parse_u64("", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64(" 1", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64("1 ", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64("+1", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64("-1", 0, 10, &u), -1);
	ck_assert_int_eq(parse_u64("0x1", 0, 10, &u), -1);

	ck_assert_int_eq(parse_double("0.25", 0, 1, &d), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(parse_double("-1.5", -2, 0, &d), 0);
	ck_assert(d == -1.5);
	ck_assert_int_eq(parse_double("1e-3", 0, 1, &d), 0);
	ck_assert(d == 0.001);
	ck_assert_int_eq(parse_double(".5", 0, 1, &d), 0);
	ck_assert_int_eq(parse_double("1.5", 0, 1, &d), -1);
	ck_assert_int_eq(parse_double("nan", -1e9, 1e9, &d), -1);
	ck_assert_int_eq(parse_double("inf", -1e9, 1e9, &d), -1);
	ck_assert_int_eq(parse_double("1e999", -1e9, HUGE_VAL, &d), -1);
	ck_assert_int_eq(parse_double(" 1", 0, 10, &d), -1);
	ck_assert_int_eq(parse_double("1 ", 0, 10, &d), -1);
	ck_assert_int_eq(parse_double("+1", 0, 10, &d), -1);
	ck_assert_int_eq(parse_double("0x10", 0, 100, &d), -1);
	ck_assert_int_eq(parse_double("", 0, 10, &d), -1);
	ck_assert_int_eq(parse_double("-", -10, 10, &d), -1);
	ck_assert_int_eq(parse_double("1e", 0, 10, &d), -1);
}
END_TEST

START_TEST(strings_and_fds)
{
	char buf[4];
	int fd, before;

	ck_assert_uint_eq(strlcpy_r(buf, "abcdef", sizeof(buf)), 6);
	ck_assert_str_eq(buf, "abc");
	ck_assert_uint_eq(strlcpy_r(buf, "ab", sizeof(buf)), 2);
	ck_assert_str_eq(buf, "ab");

	before = count_open_fds();
	ck_assert_int_gt(before, 0);
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(count_open_fds(), before + 1);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(fd_set_cloexec(fd), 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(fd_set_nonblock(fd), 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	ck_assert_int_eq(fd_set_cloexec(fd), -1);

	ck_assert_uint_gt(now_mono_ns(), 0);
	ck_assert(now_wall() > 1.6e9);
}
END_TEST

/* Runs fn with stderr sent to a file; returns what was written. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/test_lib_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	static char out[4096];
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return out;
}

static void
log_some(void)
{
	log_init("/usr/sbin/testprog", LOG_LVL_INFO);
	log_error("bad %d", 1);
	log_warn("careful");
	log_info("note\n");
	log_debug("hidden");
	log_raw(LOG_LVL_INFO, "loadgen", "child says hi");
}

static void
log_journal(void)
{
	struct stat st;
	char js[64];

	fstat(STDERR_FILENO, &st);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_init("testprog", LOG_LVL_DEBUG);
	log_error("e");
	log_warn("w");
	log_info("i");
	log_debug("d");
	unsetenv("JOURNAL_STREAM");
	log_init("testprog", LOG_LVL_INFO);
}

START_TEST(logging)
{
	enum log_level l;

	ck_assert_str_eq(capture_stderr(log_some),
	    "testprog: error: log_some: bad 1\n"
	    "testprog: warn: log_some: careful\n"
	    "testprog: info: log_some: note\n"
	    "testprog: loadgen: child says hi\n");
	ck_assert_str_eq(capture_stderr(log_journal),
	    "<3>testprog: log_journal: e\n"
	    "<4>testprog: log_journal: w\n"
	    "<6>testprog: log_journal: i\n"
	    "<7>testprog: log_journal: d\n");
	ck_assert_int_eq(log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, LOG_LVL_DEBUG);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);
	ck_assert_str_eq(log_level_text(LOG_LVL_WARN), "warn");
}
END_TEST

/* Reads what the socket holds now, appending to out (of size cap). */
static size_t
drain_sock(int fd, char *out, size_t used, size_t cap)
{
	ssize_t n;

	while (used < cap - 1 &&
	    (n = recv(fd, out + used, cap - 1 - used, MSG_DONTWAIT)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	return used;
}

static void
log_lines(int n)
{
	for (int i = 0; i < n; i++)
		log_info("line %d %0100d", i, 0);
}

static void
log_after(void)
{
	log_info("after");
}

/* A full socket on stderr (a stalled journald) never blocks a log call:
 * lines that do not fit are dropped whole, counted, and the count is
 * said once the socket drains. Under the old blocking write this test
 * hangs until Check's timeout fails it. */
START_TEST(logging_full_socket)
{
	static char got[1 << 20];
	int sv[2], saved, sz = 4096, nlines = 2000, seen = 0, next = 0;
	unsigned long long dropped = 0;
	size_t used;
	char *p, *nl;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(sv[0], STDERR_FILENO), 0);
	log_init("testprog", LOG_LVL_INFO);
	log_lines(nlines);
	used = drain_sock(sv[1], got, 0, sizeof(got));
	log_after();
	used = drain_sock(sv[1], got, used, sizeof(got));
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_init("testprog", LOG_LVL_INFO);

	/* Whole lines only: the numbered ones in order, then the count of
	 * the rest, then "after". */
	for (p = got; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		int k;

		*nl = '\0';
		if (sscanf(p, "testprog: info: log_lines: line %d ",
		    &k) == 1) {
			ck_assert_int_eq(strlen(p), strlen(
			    "testprog: info: log_lines: line  ") +
			    (size_t)snprintf(NULL, 0, "%d", k) + 100);
			ck_assert_int_eq(k, next);
			ck_assert_int_eq(dropped, 0);
			next = k + 1;
			seen++;
		} else if (sscanf(p, "testprog: warn: log: %llu lines dropped: "
		    "stderr was full", &dropped) == 1) {
			ck_assert_int_gt(dropped, 0);
		} else {
			ck_assert_str_eq(p,
			    "testprog: info: log_after: after");
			ck_assert(nl + 1 == got + used);
		}
	}
	ck_assert(p == got + used);
	ck_assert_int_gt(seen, 0);
	ck_assert_int_gt(dropped, 0);
	ck_assert_int_eq((unsigned long long)seen + dropped, nlines);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, duration_good);
	tcase_add_test(tc, duration_bad);
	tcase_add_test(tc, duration_fmt);
	tcase_add_test(tc, addr_good);
	tcase_add_test(tc, addr_bad);
	tcase_add_test(tc, addr_resolve);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, strings_and_fds);
	tcase_add_test(tc, logging);
	tcase_add_test(tc, scrape_urls);
	tcase_add_test(tc, logging_full_socket);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
