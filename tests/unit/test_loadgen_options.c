/* daemon/loadgen/options.c: defaults, every option's bounds, and the
 * one-line errors naming the option. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

static int
parse(struct lg_options *o, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	const char *a;

	argv[argc++] = "reliabd-loadgen";
	va_start(ap, errlen);
	while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	lg_options_defaults(o);
	if (lg_options_parse(o, argc, argv, err, errlen) != 0)
		return -1;
	return lg_options_validate(o, err, errlen);
}

START_TEST(defaults)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:11211", NULL), 0);
	ck_assert_uint_eq(o.workers, 16);
	ck_assert_uint_eq(o.connections, 16);
	ck_assert_uint_eq(o.nservers, 1);
	ck_assert_str_eq(o.servers[0].name, "m1");
	ck_assert_uint_eq(o.servers[0].addr.port, 11211);
	ck_assert_str_eq(o.metrics, "127.0.0.1:9090");
	ck_assert(o.rate == 0);
	ck_assert_uint_eq(o.breaker.half_open_probes, 3);
}
END_TEST

START_TEST(everything)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=a=127.0.0.1:1", "--server=b-2.x=[::1]:2",
	    "--metrics=127.0.0.1:0", "--workers=64", "--threads=4",
	    "--workload=get=9,set=1", "--keys=500", "--key-prefix=t:",
	    "--value-size=60-200", "--ttl=2m", "--rate=1500.5",
	    "--connections=8", "--op-timeout=250ms",
	    "--pool-acquire-timeout=0", "--breaker-consecutive-failures=0",
	    "--breaker-failure-ratio=0.25", "--breaker-min-requests=7",
	    "--breaker-open-timeout=2s", "--breaker-half-open-probes=5",
	    "--breaker-interval=0", "--duration=10s", "--seed=7",
	    "--log-level=debug", "--check", NULL), 0);
	ck_assert_uint_eq(o.nservers, 2);
	ck_assert_str_eq(o.servers[1].addr.host, "::1");
	ck_assert_uint_eq(o.workers, 64);
	ck_assert_uint_eq(o.threads, 4);
	ck_assert_uint_eq(o.ratio[LG_OP_GET], 9);
	ck_assert_uint_eq(o.ratio[LG_OP_SET], 1);
	ck_assert_uint_eq(o.ratio[LG_OP_DELETE], 0);
	ck_assert_uint_eq(o.keys, 500);
	ck_assert_uint_eq(o.value_min, 60);
	ck_assert_uint_eq(o.value_max, 200);
	ck_assert_uint_eq(o.ttl_s, 120);
	ck_assert(o.rate == 1500.5);
	ck_assert_uint_eq(o.connections, 8);
	ck_assert_uint_eq(o.op_timeout_ms, 250);
	ck_assert_uint_eq(o.pool_acquire_timeout_ms, 0);
	ck_assert_uint_eq(o.breaker.consecutive_failures, 0);
	ck_assert(o.breaker.failure_ratio == 0.25);
	ck_assert_uint_eq(o.breaker.min_requests, 7);
	ck_assert_uint_eq(o.breaker.open_timeout_ms, 2000);
	ck_assert_uint_eq(o.breaker.half_open_probes, 5);
	ck_assert_uint_eq(o.breaker.interval_ms, 0);
	ck_assert_uint_eq(o.duration_ms, 10000);
	ck_assert_uint_eq(o.seed, 7);
	ck_assert_int_eq(o.log_level, LOG_LVL_DEBUG);
	ck_assert(o.check);
}
END_TEST

START_TEST(pipeline_and_fallback)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:11211", NULL), 0);
	ck_assert_uint_eq(o.pipeline, 1);
	ck_assert(o.fallback_auto);
	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:11211", "--pipeline=64",
	    "--fallback-time=5ms", NULL), 0);
	ck_assert_uint_eq(o.pipeline, 64);
	ck_assert(!o.fallback_auto);
	ck_assert_uint_eq(o.fallback_ms, 5);
	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:11211", "--fallback-time=0",
	    "--fallback-time=auto", NULL), 0);
	ck_assert(o.fallback_auto);
}
END_TEST

/* Each bad value: an error that starts with the option's name. */
static const char *bad[][2] = {
	{ "--workers=0", "--workers: " },
	{ "--workers=4097", "--workers: " },
	{ "--workers=1x", "--workers: " },
	{ "--threads=-1", "--threads: " },
	{ "--workload=fast", "--workload: " },
	{ "--workload=get=0,set=0", "--workload: " },
	{ "--workload=get=1,get=2", "--workload: " },
	{ "--workload=get=1,", "--workload: " },
	{ "--keys=0", "--keys: " },
	{ "--key-prefix=a b", "--key-prefix: " },
	{ "--value-size=10-5", "--value-size: " },
	{ "--value-size=2000000", "--value-size: " },
	{ "--value-size=-5", "--value-size: " },
	{ "--value-size=10", "--value-size: " }, /* under the header */
	{ "--ttl=1500ms", "--ttl: " },
	{ "--ttl=31d", "--ttl: " },
	{ "--rate=-1", "--rate: " },
	{ "--rate=fast", "--rate: " },
	{ "--connections=5000", "--connections: " },
	{ "--op-timeout=0", "--op-timeout: " },
	{ "--op-timeout=2m", "--op-timeout: " },
	{ "--pool-acquire-timeout=x", "--pool-acquire-timeout: " },
	{ "--breaker-consecutive-failures=-2",
	    "--breaker-consecutive-failures: " },
	{ "--breaker-failure-ratio=1.5", "--breaker-failure-ratio: " },
	{ "--breaker-min-requests=z", "--breaker-min-requests: " },
	{ "--breaker-open-timeout=0", "--breaker-open-timeout: " },
	{ "--breaker-half-open-probes=0", "--breaker-half-open-probes: " },
	{ "--breaker-interval=2h", "--breaker-interval: " },
	{ "--duration=soon", "--duration: " },
	{ "--log-level=loud", "--log-level: " },
	{ "--metrics=nope", "--metrics: " },
	{ "--server=127.0.0.1:11211", "--server: " },
	{ "--server=a=127.0.0.1:0", "--server: " },
	{ "--server=a b=127.0.0.1:1", "--server: " },
	{ "--server=m1=127.0.0.1:2", "--server: " }, /* name twice */
	{ "--frobnicate=1", "--frobnicate: " },
	{ "--workers", "--workers: " },
	{ "--pipeline=0", "--pipeline: " },
	{ "--pipeline=65", "--pipeline: " },
	{ "--fallback-time=never", "--fallback-time: " },
	{ "--fallback-time=2m", "--fallback-time: " },
};

START_TEST(bad_values)
{
	struct lg_options o;
	char err[256];
	const char *arg = bad[_i][0], *want = bad[_i][1];

	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:11211", arg, NULL), -1);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "%s gave \"%s\"", arg, err);
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(no_server)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--workers=2", NULL), -1);
	ck_assert_str_eq(err, "--server: at least one NAME=HOST:PORT is needed");
}
END_TEST

START_TEST(stray_argument)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err),
	    "--server=m1=127.0.0.1:1", "extra", NULL), -1);
	ck_assert_ptr_nonnull(strstr(err, "extra"));
}
END_TEST

START_TEST(help_needs_no_server)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--help", NULL), 0);
	ck_assert(o.help);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("loadgen_options");
	TCase *tc = tcase_create("options");
	SRunner *sr;
	int failed;

	log_init("test_loadgen_options", LOG_LVL_ERROR);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, everything);
	tcase_add_test(tc, pipeline_and_fallback);
	tcase_add_loop_test(tc, bad_values, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, no_server);
	tcase_add_test(tc, stray_argument);
	tcase_add_test(tc, help_needs_no_server);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
