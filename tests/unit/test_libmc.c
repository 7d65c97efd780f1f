/* daemon/loadgen/libmc_conf.c, the libmemcached kind's options and the
 * workload helpers both kinds share: libmemcached as set up puts every
 * key where ketama.c does; the behaviours are the options'; return codes
 * map to the documented kinds; options of the other kind are refused. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ketama.h"
#include "libmc.h"
#include "log.h"
#include "options.h"
#include "workload.h"

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

#define THREE "--server=m1=127.0.0.1:21211", "--server=m2=127.0.0.1:21212", \
	"--server=m3=127.0.0.1:21213"

/* With a server ejected too: the ring of the two others, both ways. */
static void
same_map(const char *const *ids, size_t n, const struct lg_options *o)
{
	struct ketama k;
	memcached_st *mc = libmc_create(o);
	unsigned per[LG_MAX_SERVERS] = { 0 };

	ck_assert_ptr_nonnull(mc);
	ck_assert_int_eq(ketama_build(&k, ids, n), 0);
	for (unsigned i = 0; i < 20000; i++) {
		char key[LG_KEY_MAX];
		size_t len = lg_format_key(key, "reliabd:", 8, i);
		memcached_return_t rc;
		const memcached_instance_st *in =
		    memcached_server_by_key(mc, key, len, &rc);
		int si = libmc_server_index(o, in);
		ck_assert_int_ge(si, 0);
		ck_assert_int_eq(si, (int)ketama_server(&k, key, len));
		per[si]++;
	}
	for (size_t s = 0; s < n; s++)
		ck_assert_uint_gt(per[s], 20000 / n / 2);
	ketama_free(&k);
	memcached_free(mc);
}

START_TEST(key_map_as_ketama)
{
	struct lg_options o;
	char err[256];
	const char *ids[] = { "127.0.0.1:21211", "127.0.0.1:21212",
		"127.0.0.1:21213" };

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--kind=libmemcached",
	    THREE, NULL), 0);
	same_map(ids, 3, &o);
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--kind=libmemcached",
	    "--server=m1=127.0.0.1:21211", "--server=m3=127.0.0.1:21213",
	    NULL), 0);
	const char *two[] = { ids[0], ids[2] };
	same_map(two, 2, &o);
}
END_TEST

START_TEST(behaviours)
{
	struct lg_options o;
	char err[256];
	memcached_st *mc;

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--kind=libmemcached",
	    THREE, "--op-timeout=250ms", "--server-failure-limit=3",
	    "--retry-timeout=1s", "--remove-failed-servers=yes",
	    "--dead-timeout=4s", NULL), 0);
	mc = libmc_create(&o);
	ck_assert_ptr_nonnull(mc);
	ck_assert_uint_eq(memcached_server_count(mc), 3);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_POLL_TIMEOUT), 250);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT), 250);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT), 3);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT), 1);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS), 1);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_DEAD_TIMEOUT), 4);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED), 1);
	memcached_free(mc);

	/* libmemcached's own defaults when not given. */
	ck_assert_int_eq(parse(&o, err, sizeof(err), "--kind=libmemcached",
	    THREE, NULL), 0);
	mc = libmc_create(&o);
	ck_assert_ptr_nonnull(mc);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT), 5);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_RETRY_TIMEOUT), 2);
	ck_assert_uint_eq(memcached_behavior_get(mc,
	    MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS), 0);
	memcached_free(mc);
}
END_TEST

START_TEST(error_kinds)
{
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_TIMEOUT), LG_ERR_TIMEOUT);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_SERVER_MARKED_DEAD),
	    LG_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_SERVER_TEMPORARILY_DISABLED),
	    LG_ERR_CIRCUIT_OPEN);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_CONNECTION_FAILURE),
	    LG_ERR_CONNECTION);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_WRITE_FAILURE),
	    LG_ERR_CONNECTION);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_READ_FAILURE),
	    LG_ERR_CONNECTION);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_ERRNO), LG_ERR_CONNECTION);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_NO_SERVERS),
	    LG_ERR_CONNECTION);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_SERVER_ERROR), LG_ERR_SERVER);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_PROTOCOL_ERROR),
	    LG_ERR_SERVER);
	ck_assert_int_eq(libmc_err_kind(MEMCACHED_NOTSTORED), LG_ERR_SERVER);
	ck_assert_int_ne(libmc_err_kind(MEMCACHED_TIMEOUT), LG_ERR_POOL);
}
END_TEST

START_TEST(unknown_server)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), "--kind=libmemcached",
	    THREE, NULL), 0);
	ck_assert_int_eq(libmc_server_index(&o, NULL), -1);
}
END_TEST

/* Each option given to the kind that has it not: refused, named. */
static const char *refused[][3] = {
	{ "--kind=libmemcached", "--breaker-open-timeout=1s",
	    "--breaker-open-timeout: not an option of --kind=libmemcached" },
	{ "--kind=libmemcached", "--breaker-consecutive-failures=0",
	    "--breaker-consecutive-failures: not an option" },
	{ "--kind=libmemcached", "--connections=4", "--connections: " },
	{ "--kind=libmemcached", "--pool-acquire-timeout=0",
	    "--pool-acquire-timeout: " },
	{ "--kind=libmemcached", "--pipeline=2", "--pipeline: " },
	{ "--kind=libmemcached", "--threads=2", "--threads: " },
	{ "--kind=libmemcached", "--workers=257", "--workers: at most 256" },
	{ "--kind=resilient", "--server-failure-limit=2",
	    "--server-failure-limit: not an option of --kind=resilient" },
	{ "--kind=resilient", "--remove-failed-servers=yes",
	    "--remove-failed-servers: " },
	{ "--workers=4", "--dead-timeout=1s", "--dead-timeout: " },
	{ "--kind=libmemcached", "--retry-timeout=1500ms",
	    "--retry-timeout: whole seconds" },
	{ "--kind=libmemcached", "--remove-failed-servers=maybe",
	    "--remove-failed-servers: yes or no" },
	{ "--kind=libmemcached", "--server-failure-limit=0",
	    "--server-failure-limit: " },
	{ "--kind=memcache", "--workers=1", "--kind: resilient or libmemcached" },
};

START_TEST(wrong_kind)
{
	struct lg_options o;
	char err[256];
	const char *want = refused[_i][2];

	ck_assert_int_eq(parse(&o, err, sizeof(err), THREE, refused[_i][0],
	    refused[_i][1], NULL), -1);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s %s gave \"%s\"",
	    refused[_i][0], refused[_i][1], err);
}
END_TEST

START_TEST(kinds_accept_their_own)
{
	struct lg_options o;
	char err[256];

	ck_assert_int_eq(parse(&o, err, sizeof(err), THREE,
	    "--kind=libmemcached", "--workers=256", "--rate=100",
	    "--fallback-time=5ms", NULL), 0);
	ck_assert_int_eq(o.kind, LG_KIND_LIBMEMCACHED);
	ck_assert_int_eq(parse(&o, err, sizeof(err), THREE,
	    "--breaker-open-timeout=1s", "--threads=2", NULL), 0);
	ck_assert_int_eq(o.kind, LG_KIND_RESILIENT);
	ck_assert_str_eq(lg_kind_text(LG_KIND_LIBMEMCACHED), "libmemcached");
}
END_TEST

START_TEST(values_judged)
{
	struct version_table seen;
	char key[LG_KEY_MAX], val[128];
	size_t kl = lg_format_key(key, "p:", 2, 4207);
	const char *why = NULL;
	uint64_t v = 0;

	ck_assert_str_eq(key, "p:4207");
	ck_assert_int_eq(version_table_init(&seen, 64), 0);
	ck_assert_int_eq(integrity_encode(val, sizeof(val), key, kl, 7, 3), 0);
	ck_assert_int_eq(lg_judge_value(val, sizeof(val), key, kl, 4207, 7,
	    &seen, &why, &v), LG_VALUE_OK);
	version_table_put(&seen, 4207, 5);
	ck_assert_int_eq(lg_judge_value(val, sizeof(val), key, kl, 4207, 7,
	    &seen, &why, &v), LG_VALUE_STALE);
	ck_assert_uint_eq(v, 3);
	/* Another writer's older value is not ours to order. */
	ck_assert_int_eq(lg_judge_value(val, sizeof(val), key, kl, 4207, 8,
	    &seen, &why, &v), LG_VALUE_OK);
	val[60] ^= 1;
	ck_assert_int_eq(lg_judge_value(val, sizeof(val), key, kl, 4207, 7,
	    &seen, &why, &v), LG_VALUE_CORRUPT);
	ck_assert_ptr_nonnull(why);
	version_table_free(&seen);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("libmc");
	TCase *tc = tcase_create("libmc");
	SRunner *sr;
	int failed;

	log_init("test_libmc", LOG_LVL_ERROR);
	tcase_add_test(tc, key_map_as_ketama);
	tcase_add_test(tc, behaviours);
	tcase_add_test(tc, error_kinds);
	tcase_add_test(tc, unknown_server);
	tcase_add_loop_test(tc, wrong_kind, 0,
	    (int)(sizeof(refused) / sizeof(refused[0])));
	tcase_add_test(tc, kinds_accept_their_own);
	tcase_add_test(tc, values_judged);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
