/* Scenario files: parsing, validation messages, the catalogue, close
 * matches. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "runargs.h"
#include "spec.h"

static const char *const servers[] = {"memcache1", "memcache2", "memcache3"};
static const struct spec_names names = {servers, 3, servers, 1};

static int
parse(const char *text, struct scenario_spec *s, char *err, size_t len)
{
	return spec_parse(text, strlen(text), "t.json", &names, s, err, len);
}

START_TEST(test_design_example)
{
	struct scenario_spec s;
	char err[512];
	const char *doc =
	    "{\"name\": \"latency-1s\",\n"
	    " \"description\": \"1 s of added latency on one server\",\n"
	    " \"phases\": {\"stabilization\": \"30s\", \"testing\": \"60s\","
	    " \"recovery\": \"60s\"},\n"
	    " \"faults\": [{\"servers\": [\"memcache1\"], \"type\": \"latency\","
	    " \"stream\": \"downstream\", \"toxicity\": 1.0,"
	    " \"attributes\": {\"latency\": 1000, \"jitter\": 0}}],\n"
	    " \"pattern\": {\"on\": \"5s\", \"off\": \"5s\"},\n"
	    " \"expect\": {\"breaker_opens_within\": \"10s\","
	    " \"recovers_within\": \"30s\", \"baseline_error_rate_max\": 0.001}}";

	ck_assert_int_eq(parse(doc, &s, err, sizeof err), 0);
	ck_assert_str_eq(s.name, "latency-1s");
	ck_assert_uint_eq(s.stabilization_ms, 30000);
	ck_assert_uint_eq(s.testing_ms, 60000);
	ck_assert_uint_eq(s.recovery_ms, 60000);
	ck_assert_uint_eq(s.nfaults, 1);
	ck_assert_int_eq(s.faults[0].type, FAULT_LATENCY);
	ck_assert_int_eq(s.faults[0].stream, STREAM_DOWNSTREAM);
	ck_assert_double_eq(fault_attr(&s.faults[0], "latency", -1), 1000);
	ck_assert_double_eq(fault_attr(&s.faults[0], "jitter", -1), 0);
	ck_assert_uint_eq(s.pattern_on_ms, 5000);
	ck_assert_uint_eq(s.pattern_off_ms, 5000);
	ck_assert_int_eq(s.expect.breaker_opens_within_ms, 10000);
	ck_assert_int_eq(s.expect.recovers_within_ms, 30000);
	ck_assert_double_eq(s.expect.baseline_error_rate_max, 0.001);
	ck_assert_double_eq(s.expect.testing_error_rate_min, -1);
}
END_TEST

START_TEST(test_defaults)
{
	struct scenario_spec s;
	char err[512];

	ck_assert_int_eq(parse("{\"name\":\"d\",\"faults\":[{\"servers\":"
	    "[\"memcache2\"],\"type\":\"down\"}]}", &s, err, sizeof err), 0);
	ck_assert_uint_eq(s.stabilization_ms, SPEC_DEFAULT_STABILIZATION_MS);
	ck_assert_uint_eq(s.testing_ms, SPEC_DEFAULT_TESTING_MS);
	ck_assert_uint_eq(s.recovery_ms, SPEC_DEFAULT_RECOVERY_MS);
	ck_assert_double_eq(s.faults[0].toxicity, 1.0);
	ck_assert_int_eq(s.expect.recovers_within_ms, -1);
	ck_assert_int_eq(spec_needs_nodes(&s), 0);
	/* The issue 12 keys: off, except recovery's throughput share. */
	ck_assert_double_eq(s.expect.throughput_min_ratio, 0);
	ck_assert_int_eq(s.expect.p99_max_ms, 0);
	ck_assert_double_eq(s.expect.others_p99_max_ratio, 0);
	ck_assert_double_eq(s.expect.recover_throughput_ratio, 0.9);
	ck_assert_int_eq(parse("{\"name\":\"d\",\"faults\":[{\"servers\":"
	    "[\"memcache2\"],\"type\":\"down\"}],\"expect\":{"
	    "\"throughput_min_ratio\":0.5,\"p99_max\":\"250ms\","
	    "\"others_p99_max_ratio\":3,\"recover_throughput_ratio\":0}}",
	    &s, err, sizeof err), 0);
	ck_assert_double_eq(s.expect.throughput_min_ratio, 0.5);
	ck_assert_int_eq(s.expect.p99_max_ms, 250);
	ck_assert_double_eq(s.expect.others_p99_max_ratio, 3);
	ck_assert_double_eq(s.expect.recover_throughput_ratio, 0);
}
END_TEST

/* Each bad document: the message names the file and the field. */
static const struct {
	const char *doc;
	const char *want;
} bad_docs[] = {
	{"{\"name\":\"x\",", "t.json: invalid JSON"},
	{"[1]", "t.json: must be a JSON object"},
	{"{\"faults\":[]}", "t.json: name:"},
	{"{\"name\":\"a b\",\"faults\":[]}", "t.json: name:"},
	{"{\"name\":\"x\"}", "t.json: faults: missing"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"earthquake\"}]}",
	    "t.json: faults[0].type: unknown fault type \"earthquake\""},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache9\"],"
	    "\"type\":\"down\"}]}",
	    "t.json: faults[0].servers[0]: unknown server \"memcache9\""},
	{"{\"name\":\"x\",\"phases\":{\"testing\":\"-5s\"},\"faults\":[{"
	    "\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: phases.testing: negative duration"},
	{"{\"name\":\"x\",\"phases\":{\"recovery\":\"25h\"},\"faults\":[{"
	    "\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: phases.recovery: duration \"25h\" is absurd"},
	{"{\"name\":\"x\",\"phases\":{\"testing\":\"5 parsecs\"},\"faults\":"
	    "[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: phases.testing: bad duration"},
	{"{\"name\":\"x\",\"phases\":{\"testing\":60},\"faults\":[{"
	    "\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: phases.testing: must be a duration string"},
	{"{\"name\":\"x\",\"phases\":{\"warmup\":\"1s\"},\"faults\":[{"
	    "\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: phases.warmup: unknown phase"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\",\"toxicity\":1.5,\"attributes\":{"
	    "\"latency\":1}}]}",
	    "t.json: faults[0].toxicity: 1.5 is outside 0..1"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\",\"toxicity\":-0.1,\"attributes\":{"
	    "\"latency\":1}}]}",
	    "t.json: faults[0].toxicity: -0.1 is outside 0..1"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\"}]}",
	    "t.json: faults[0].attributes.latency: required for latency"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\",\"attributes\":{\"latency\":-1}}]}",
	    "t.json: faults[0].attributes.latency: -1 is outside"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"loss\",\"attributes\":{\"rate\":2}}]}",
	    "t.json: faults[0].attributes.rate: 2 is outside 0..1"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"latency\",\"attributes\":{\"latency\":1,\"rate\":1}}]}",
	    "t.json: faults[0].attributes.rate: not an attribute of latency"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"down\",\"stream\":\"sideways\"}]}",
	    "t.json: faults[0].stream:"},
	{"{\"name\":\"x\",\"faults\":[{\"type\":\"down\"}]}",
	    "t.json: faults[0].servers: missing"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache1\","
	    "\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: faults[0].servers[1]: \"memcache1\" listed twice"},
	{"{\"name\":\"x\",\"faults\":[{\"servers\":[\"memcache2\"],"
	    "\"type\":\"node_restart\"}]}",
	    "t.json: faults[0].servers[0]: unknown node \"memcache2\""},
	{"{\"name\":\"x\",\"colour\":1,\"faults\":[{\"servers\":[\"memcache1\"],"
	    "\"type\":\"down\"}]}", "t.json: colour: unknown field"},
	{"{\"name\":\"x\",\"pattern\":{\"on\":\"1s\"},\"faults\":[{\"servers\":"
	    "[\"memcache1\"],\"type\":\"down\"}]}", "t.json: pattern:"},
	{"{\"name\":\"x\",\"expect\":{\"recovers_within\":\"-1s\"},\"faults\":"
	    "[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.recovers_within: negative duration"},
	{"{\"name\":\"x\",\"expect\":{\"baseline_error_rate_max\":7},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.baseline_error_rate_max: 7 is outside 0..1"},
	{"{\"name\":\"x\",\"expect\":{\"throughput_min_ratio\":1.5},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.throughput_min_ratio: 1.5 is outside 0..1"},
	{"{\"name\":\"x\",\"expect\":{\"p99_max\":\"0ms\"},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.p99_max: duration must not be zero"},
	{"{\"name\":\"x\",\"expect\":{\"others_p99_max_ratio\":0.5},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.others_p99_max_ratio: 0.5 is outside 1..1000"},
	{"{\"name\":\"x\",\"expect\":{\"others_p99_max_ratio\":\"2\"},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.others_p99_max_ratio: must be a number"},
	{"{\"name\":\"x\",\"expect\":{\"recover_throughput_ratio\":-1},"
	    "\"faults\":[{\"servers\":[\"memcache1\"],\"type\":\"down\"}]}",
	    "t.json: expect.recover_throughput_ratio: -1 is outside 0..1"},
	{"{\"name\":\"x\",\"name\":\"y\",\"faults\":[]}", "t.json: invalid JSON"},
};

START_TEST(test_bad)
{
	struct scenario_spec s;
	char err[512];

	ck_assert_int_eq(parse(bad_docs[_i].doc, &s, err, sizeof err), -1);
	if (strncmp(err, bad_docs[_i].want, strlen(bad_docs[_i].want)) != 0)
		ck_abort_msg("doc %d: got \"%s\", want \"%s...\"", _i, err,
		    bad_docs[_i].want);
}
END_TEST

START_TEST(test_too_large)
{
	struct scenario_spec s;
	char err[512];
	char *big = malloc(SPEC_FILE_MAX + 2);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', SPEC_FILE_MAX + 1);
	big[SPEC_FILE_MAX + 1] = '\0';
	ck_assert_int_eq(spec_parse(big, SPEC_FILE_MAX + 1, "big.json", &names,
	    &s, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "big.json: file larger"));
	free(big);
}
END_TEST

START_TEST(test_any_server_without_names)
{
	struct scenario_spec s;
	char err[512];
	const char *doc = "{\"name\":\"x\",\"faults\":[{\"servers\":"
	    "[\"whatever\"],\"type\":\"down\"}]}";

	ck_assert_int_eq(spec_parse(doc, strlen(doc), "t.json", NULL, &s, err,
	    sizeof err), 0);
}
END_TEST

START_TEST(test_edit_distance)
{
	ck_assert_uint_eq(edit_distance("", ""), 0);
	ck_assert_uint_eq(edit_distance("abc", ""), 3);
	ck_assert_uint_eq(edit_distance("latency-1s", "latency-1s"), 0);
	ck_assert_uint_eq(edit_distance("latncy-1s", "latency-1s"), 1);
	ck_assert_uint_eq(edit_distance("kitten", "sitting"), 3);
}
END_TEST

static char tmpdir[64];

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static size_t nreports;
static char reports[8][512];

static void
on_report(const char *msg, void *arg)
{
	(void)arg;
	if (nreports < 8)
		snprintf(reports[nreports], sizeof reports[0], "%s", msg);
	nreports++;
}

START_TEST(test_catalogue)
{
	char b[128], u[128], near[256];
	struct catalogue cat;
	const struct scenario_spec *s;

	strcpy(tmpdir, "/tmp/test_scenario_spec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(b, sizeof b, "%s/builtin", tmpdir);
	snprintf(u, sizeof u, "%s/user", tmpdir);
	ck_assert_int_eq(mkdir(b, 0755), 0);
	ck_assert_int_eq(mkdir(u, 0755), 0);
	write_file(b, "a.json", "{\"name\":\"latency-1s\",\"description\":"
	    "\"builtin\",\"faults\":[{\"servers\":[\"memcache1\"],\"type\":"
	    "\"latency\",\"attributes\":{\"latency\":1000}}]}");
	write_file(b, "b.json", "{\"name\":\"latency-5s\",\"faults\":[{"
	    "\"servers\":[\"memcache1\"],\"type\":\"latency\",\"attributes\":"
	    "{\"latency\":5000}}]}");
	write_file(b, "c.json", "{\"name\":\"broken\",");
	write_file(b, "notes.txt", "not a scenario");
	write_file(u, "mine.json", "{\"name\":\"latency-1s\",\"description\":"
	    "\"user\",\"faults\":[{\"servers\":[\"memcache1\"],\"type\":"
	    "\"latency\",\"attributes\":{\"latency\":1200}}]}");
	write_file(u, "two.json", "{\"name\":\"mine\",\"faults\":[{\"servers\""
	    ":[\"memcache3\"],\"type\":\"earthquake\"}]}");
	write_file(u, "three.json", "{\"name\":\"loss-7\",\"faults\":[{"
	    "\"servers\":[\"memcache3\"],\"type\":\"loss\",\"attributes\":"
	    "{\"rate\":0.07}}]}");

	nreports = 0;
	ck_assert_int_eq(catalogue_load(&cat, b, u, &names, on_report, NULL),
	    0);
	ck_assert_uint_eq(cat.n, 3);
	ck_assert_uint_eq(cat.errors, 2);
	ck_assert_uint_eq(nreports, 2);
	ck_assert_ptr_nonnull(strstr(reports[0], "/builtin/c.json: invalid"));
	ck_assert_ptr_nonnull(strstr(reports[1],
	    "/user/two.json: faults[0].type: unknown fault type"));
	/* Sorted, and the user's file replaced the built-in one. */
	ck_assert_str_eq(cat.specs[0].name, "latency-1s");
	ck_assert_str_eq(cat.specs[1].name, "latency-5s");
	ck_assert_str_eq(cat.specs[2].name, "loss-7");
	s = catalogue_find(&cat, "latency-1s");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->description, "user");
	ck_assert_int_eq(s->source, SOURCE_USER);
	ck_assert_ptr_null(catalogue_find(&cat, "latency"));

	ck_assert_uint_eq(catalogue_suggest(&cat, "latncy-1s", near,
	    sizeof near, 5), 2);
	ck_assert_str_eq(near, "latency-1s, latency-5s");
	ck_assert_uint_eq(catalogue_suggest(&cat, "latency", near, sizeof near,
	    5), 2);
	ck_assert_uint_eq(catalogue_suggest(&cat, "zzzzzzzzzzzz", near,
	    sizeof near, 5), 0);
	catalogue_free(&cat);

	/* Missing directories are empty catalogues. */
	ck_assert_int_eq(catalogue_load(&cat, "/nonexistent", NULL, &names,
	    NULL, NULL), 0);
	ck_assert_uint_eq(cat.n, 0);
	catalogue_free(&cat);
	{
		char cmd[200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* The shipped catalogue: every file valid, every DESIGN.md scenario. */
START_TEST(test_shipped_catalogue)
{
	const char *top = getenv("top_srcdir");
	char dir[1024];
	struct catalogue cat;
	static const char *const want[] = {"loss-2", "loss-5", "loss-10",
	    "loss-20", "loss-50", "loss-100", "latency-100ms", "latency-1s",
	    "latency-5s", "latency-10s", "latency-40s", "latency-2m",
	    "bandwidth-throttle", "connection-limit", "flapping", "partition",
	    "node-down", "reset-peer", "slow-close",
	    "two-servers-loss-latency", "node-restart"};

	snprintf(dir, sizeof dir, "%s/etc/scenarios", top ? top : "..");
	nreports = 0;
	ck_assert_int_eq(catalogue_load(&cat, dir, NULL, &names, on_report,
	    NULL), 0);
	if (nreports)
		ck_abort_msg("%s", reports[0]);
	ck_assert_uint_ge(cat.n, 20);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!catalogue_find(&cat, want[i]))
			ck_abort_msg("catalogue lacks %s", want[i]);
	for (size_t i = 0; i < cat.n; i++)
		ck_assert_msg(cat.specs[i].description[0], "%s: no description",
		    cat.specs[i].name);
	ck_assert(catalogue_find(&cat, "flapping")->pattern_on_ms > 0);
	ck_assert(spec_needs_nodes(catalogue_find(&cat, "node-restart")));
	catalogue_free(&cat);
}
END_TEST

/* The start-scenario arguments: their limits are runargs.h's. */
static int
decode(const char *doc, struct run_args *a, char *msg, size_t len)
{
	json_t *j = json_loads(doc, 0, NULL);
	int rc;

	ck_assert_ptr_nonnull(j);
	rc = run_args_decode(a, j, msg, len);
	json_decref(j);
	return rc;
}

START_TEST(test_run_args)
{
	static struct run_args a;
	char msg[256], name[RUN_NAME_MAX + 1], doc[512];
	uint64_t ms;

	ck_assert_int_eq(decode("{\"names\":[\"a\",\"b\"],\"loop\":3,"
	    "\"forever\":false,\"testing\":\"2s\",\"wait\":true}", &a, msg,
	    sizeof msg), 0);
	ck_assert_uint_eq(a.nnames, 2);
	ck_assert_str_eq(a.names[1], "b");
	ck_assert_uint_eq(a.loop, 3);
	ck_assert_uint_eq(a.testing_ms, 2000);
	ck_assert_uint_eq(a.stabilization_ms, 0);
	ck_assert_int_eq(decode("{\"names\":[\"a\"]}", &a, msg, sizeof msg),
	    0);
	ck_assert_uint_eq(a.loop, 1);
	ck_assert_int_eq(decode("{\"names\":[]}", &a, msg, sizeof msg), -1);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"loop\":0}", &a, msg,
	    sizeof msg), -1);
	ck_assert_ptr_nonnull(strstr(msg, "loop"));
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"loop\":1000001}", &a,
	    msg, sizeof msg), -1);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"loop\":1000000}", &a,
	    msg, sizeof msg), 0);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"testing\":\"-1s\"}",
	    &a, msg, sizeof msg), -1);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"recovery\":\"25h\"}",
	    &a, msg, sizeof msg), -1);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"recovery\":\"24h\"}",
	    &a, msg, sizeof msg), 0);
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"bogus\":1}", &a, msg,
	    sizeof msg), -1);
	ck_assert_ptr_nonnull(strstr(msg, "bogus"));
	ck_assert_int_eq(decode("{\"names\":[\"a\"],\"forever\":1}", &a,
	    msg, sizeof msg), -1);
	/* A name is a scenario's: shorter than SPEC_NAME_MAX. */
	memset(name, 'n', RUN_NAME_MAX);
	name[RUN_NAME_MAX] = '\0';
	snprintf(doc, sizeof doc, "{\"names\":[\"%s\"]}", name);
	ck_assert_int_eq(decode(doc, &a, msg, sizeof msg), -1);
	name[RUN_NAME_MAX - 1] = '\0';
	snprintf(doc, sizeof doc, "{\"names\":[\"%s\"]}", name);
	ck_assert_int_eq(decode(doc, &a, msg, sizeof msg), 0);
	/* --run's list, and the phase overrides of the command line. */
	ck_assert_int_eq(run_args_parse_names(&a, "x,y,z"), 0);
	ck_assert_uint_eq(a.nnames, 3);
	ck_assert_int_eq(run_args_parse_names(&a, "x,,z"), -1);
	ck_assert_int_eq(run_args_parse_names(&a, ""), -1);
	ck_assert_int_eq(run_args_parse_duration("250ms", &ms), 0);
	ck_assert_uint_eq(ms, 250);
	ck_assert_int_eq(run_args_parse_duration("0s", &ms), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scenario_spec");
	TCase *tc = tcase_create("spec");
	SRunner *sr;
	int failed;

	log_init("test_scenario_spec", LOG_LVL_ERROR);
	tcase_add_test(tc, test_design_example);
	tcase_add_test(tc, test_run_args);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof bad_docs / sizeof bad_docs[0]));
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_any_server_without_names);
	tcase_add_test(tc, test_edit_distance);
	tcase_add_test(tc, test_catalogue);
	tcase_add_test(tc, test_shipped_catalogue);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
