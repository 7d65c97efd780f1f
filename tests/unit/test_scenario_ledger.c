/* The fault ledger and the run journal on disk; /version detection; what
 * a fault becomes on the proxy (with the loss approximation). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "faultmap.h"
#include "journal.h"
#include "ledger.h"
#include "log.h"
#include "toxiproxy.h"
#include "toxireply.h"

static char dir[64];

static void
setup(void)
{
	strcpy(dir, "/tmp/test_scenario_ledger.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct ledger_entry
entry(enum ledger_kind k, const char *server, const char *toxic)
{
	struct ledger_entry e;

	memset(&e, 0, sizeof e);
	e.kind = k;
	snprintf(e.server, sizeof e.server, "%s", server);
	snprintf(e.toxic, sizeof e.toxic, "%s", toxic);
	snprintf(e.type, sizeof e.type, "%s", k == LEDGER_DOWN ? "down" :
	    "latency");
	e.applied = 1700000000.25;
	return e;
}

START_TEST(test_ledger_roundtrip)
{
	struct ledger *l = malloc(sizeof *l), *l2 = malloc(sizeof *l2);
	struct ledger_entry a = entry(LEDGER_TOXIC, "memcache1",
	    "reliabd-0-latency-downstream");
	struct ledger_entry b = entry(LEDGER_DOWN, "memcache2", "down");
	char err[256];

	ck_assert_int_eq(ledger_open(l, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l->n, 0);
	ck_assert_int_eq(ledger_add(l, &a), 0);
	ck_assert_int_eq(ledger_add(l, &b), 0);
	ck_assert_int_eq(ledger_add(l, &a), 0); /* no duplicate */
	ck_assert_uint_eq(l->n, 2);

	/* What a crash leaves: another process reads both entries. */
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 2);
	ck_assert_str_eq(l2->e[0].server, "memcache1");
	ck_assert_str_eq(l2->e[0].toxic, "reliabd-0-latency-downstream");
	ck_assert_int_eq(l2->e[1].kind, LEDGER_DOWN);
	ck_assert_double_eq(l2->e[0].applied, 1700000000.25);

	ck_assert_int_eq(ledger_strike(l, &a), 0);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 1);
	ck_assert_str_eq(l2->e[0].server, "memcache2");
	ck_assert_int_eq(ledger_strike(l, &b), 0);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 0);
	free(l);
	free(l2);
}
END_TEST

/* A batch: entries put and dropped in memory reach the file only with
 * the one write. */
START_TEST(test_ledger_batch)
{
	struct ledger *l = malloc(sizeof *l), *l2 = malloc(sizeof *l2);
	struct ledger_entry a = entry(LEDGER_TOXIC, "memcache1", "t-a");
	struct ledger_entry b = entry(LEDGER_TOXIC, "memcache2", "t-b");
	char err[256];

	ck_assert_int_eq(ledger_open(l, dir, err, sizeof err), 0);
	ck_assert_int_eq(ledger_put(l, &a), 1);
	ck_assert_int_eq(ledger_put(l, &b), 1);
	ck_assert_int_eq(ledger_put(l, &a), 0);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 0);
	ck_assert_int_eq(ledger_write(l), 0);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 2);

	ck_assert_int_eq(ledger_drop(l, &a), 1);
	ck_assert_int_eq(ledger_drop(l, &a), 0);
	ck_assert_int_eq(ledger_drop(l, &b), 1);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 2);
	ck_assert_int_eq(ledger_write(l), 0);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 0);

	/* Full: put refuses and changes nothing. */
	for (int i = 0; i < LEDGER_MAX; i++) {
		char name[32];
		struct ledger_entry e;

		snprintf(name, sizeof name, "t-%d", i);
		e = entry(LEDGER_TOXIC, "memcache1", name);
		ck_assert_int_eq(ledger_put(l, &e), 1);
	}
	ck_assert_int_eq(ledger_put(l, &b), -1);
	ck_assert_uint_eq(l->n, LEDGER_MAX);
	free(l);
	free(l2);
}
END_TEST

START_TEST(test_ledger_corrupt)
{
	struct ledger *l = malloc(sizeof *l);
	char err[256], path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/ledger.json", dir);
	f = fopen(path, "w");
	fputs("{\"faults\":[{\"kind\":\"toxic\",\"server\":\"a/../b\","
	    "\"toxic\":\"x\"}]}", f);
	fclose(f);
	ck_assert_int_eq(ledger_open(l, dir, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "ledger.json: faults[0]"));
	f = fopen(path, "w");
	fputs("{\"faults\":", f);
	fclose(f);
	ck_assert_int_eq(ledger_open(l, dir, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON"));
	free(l);
}
END_TEST

/* Each entry says which proxy API its fault went to; a ledger written
 * before the field still loads (its entries mean the default API). */
START_TEST(test_ledger_api)
{
	struct ledger *l = malloc(sizeof *l), *l2 = malloc(sizeof *l2);
	struct ledger_entry a = entry(LEDGER_TOXIC, "memcache1", "t-a");
	struct ledger_entry b = a;
	char err[256], path[128];
	FILE *f;

	snprintf(a.api, sizeof a.api, "127.0.0.1:18474");
	snprintf(b.api, sizeof b.api, "[::1]:28474");
	ck_assert_int_eq(ledger_open(l, dir, err, sizeof err), 0);
	ck_assert_int_eq(ledger_add(l, &a), 0);
	/* The same toxic on another API is another fault. */
	ck_assert_int_eq(ledger_add(l, &b), 0);
	ck_assert_uint_eq(l->n, 2);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 2);
	ck_assert_str_eq(l2->e[0].api, "127.0.0.1:18474");
	ck_assert_str_eq(l2->e[1].api, "[::1]:28474");
	ck_assert_int_eq(ledger_strike(l, &b), 0);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 1);
	ck_assert_str_eq(l2->e[0].api, "127.0.0.1:18474");

	/* An old ledger: no "api". */
	snprintf(path, sizeof path, "%s/ledger.json", dir);
	f = fopen(path, "w");
	fputs("{\"faults\":[{\"kind\":\"toxic\",\"server\":\"memcache1\","
	    "\"toxic\":\"x\",\"type\":\"latency\",\"applied\":1.5}]}", f);
	fclose(f);
	ck_assert_int_eq(ledger_open(l2, dir, err, sizeof err), 0);
	ck_assert_uint_eq(l2->n, 1);
	ck_assert_str_eq(l2->e[0].api, "");

	/* An api that is no host:port (it goes into a URL) is refused. */
	static const char *const bad[] = { "\"x\"", "\"h:0\"",
		"\"a/b:1\"", "\"h:1/x\"", "7", "\"\"",
		"\"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh:1\"" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = fopen(path, "w");
		fprintf(f, "{\"faults\":[{\"kind\":\"toxic\",\"server\":"
		    "\"m\",\"toxic\":\"x\",\"api\":%s}]}", bad[i]);
		fclose(f);
		ck_assert_msg(ledger_open(l2, dir, err, sizeof err) == -1,
		    "api %s accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "api"));
	}
	free(l);
	free(l2);
}
END_TEST

/* GET /proxies: which of the lab's proxies exist. */
START_TEST(test_proxy_set)
{
	const char *names[] = { "memcache1", "memcache2", "toxics" };
	int present[3];
	const char *body = "{\"memcache1\":{\"name\":\"memcache1\","
	    "\"toxics\":[]},\"other\":{},\"toxics\":7}";

	ck_assert_int_eq(toxi_parse_proxy_set(body, strlen(body), names, 3,
	    present), 0);
	ck_assert_int_eq(present[0], 1);
	ck_assert_int_eq(present[1], 0);
	ck_assert_int_eq(present[2], 0); /* not a proxy object */
	ck_assert_int_eq(toxi_parse_proxy_set("{}", 2, names, 3, present), 0);
	ck_assert_int_eq(present[0], 0);
	ck_assert_int_eq(toxi_parse_proxy_set("[1]", 3, names, 3, present), -1);
	ck_assert_int_eq(toxi_parse_proxy_set("{\"memcache1\":{}", 15, names,
	    3, present), -1);
	ck_assert_int_eq(present[0], 0);
}
END_TEST

/* The lab from the command line (--server, --server-api), and which API
 * a fault's ledger entry names: a server's own, or "" (the default). */
START_TEST(test_backend_lab)
{
	struct backend_lab lab;
	struct proxy_backend *pb = malloc(sizeof *pb);
	struct fault_backend be;
	char err[256], api[LEDGER_API_MAX];

	memset(&lab, 0, sizeof lab);
	ck_assert_int_eq(backend_lab_add_server(&lab, "m1", err, sizeof err),
	    0);
	ck_assert_int_eq(backend_lab_add_server(&lab,
	    "m2=127.0.0.1:21212,[::1]:11212", err, sizeof err), 0);
	ck_assert_uint_eq(lab.n, 2);
	ck_assert_str_eq(lab.servers[1].listen, "127.0.0.1:21212");
	ck_assert_str_eq(lab.servers[1].upstream, "[::1]:11212");
	/* Named again: the same server, its addresses filled in. */
	ck_assert_int_eq(backend_lab_add_server(&lab,
	    "m1=127.0.0.1:21211,127.0.0.1:11211", err, sizeof err), 0);
	ck_assert_uint_eq(lab.n, 2);
	ck_assert_str_eq(lab.servers[0].upstream, "127.0.0.1:11211");
	ck_assert_int_eq(backend_lab_set_api(&lab, "m2=127.0.0.1:28474", err,
	    sizeof err), 0);
	ck_assert_str_eq(lab.servers[1].api, "127.0.0.1:28474");
	/* Refused, and nothing changed. */
	ck_assert_int_eq(backend_lab_add_server(&lab, "a/b", err, sizeof err),
	    -1);
	ck_assert_int_eq(backend_lab_add_server(&lab, "m3=127.0.0.1:1", err,
	    sizeof err), -1);
	ck_assert_int_eq(backend_lab_add_server(&lab, "m3=h:1,h:0", err,
	    sizeof err), -1);
	ck_assert_int_eq(backend_lab_set_api(&lab, "m9=127.0.0.1:1", err,
	    sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no such --server"));
	ck_assert_int_eq(backend_lab_set_api(&lab, "m1=127.0.0.1", err,
	    sizeof err), -1);
	ck_assert_uint_eq(lab.n, 2);
	ck_assert_str_eq(lab.servers[0].api, "");

	ck_assert_int_eq(proxy_backend_init(pb, "127.0.0.1:18474", &lab, NULL,
	    NULL, err, sizeof err), 0);
	ck_assert_uint_eq(pb->nconfigured, 2);
	be = proxy_backend_ops(pb);
	be.api_of(be.arg, "m1", api, sizeof api);
	ck_assert_str_eq(api, "");
	be.api_of(be.arg, "m2", api, sizeof api);
	ck_assert_str_eq(api, "127.0.0.1:28474");
	be.api_of(be.arg, "unknown", api, sizeof api);
	ck_assert_str_eq(api, "");
	proxy_backend_free(pb);
	/* A server "on its own API" that is the default one is not. */
	snprintf(lab.servers[1].api, sizeof lab.servers[1].api,
	    "127.0.0.1:18474");
	ck_assert_int_eq(proxy_backend_init(pb, "127.0.0.1:18474", &lab, NULL,
	    NULL, err, sizeof err), 0);
	ck_assert_uint_eq(pb->nconfigured, 1);
	proxy_backend_free(pb);
	free(pb);
}
END_TEST

START_TEST(test_journal)
{
	json_t *rec = json_pack("{s:s,s:s,s:f}", "id", "r-1", "status",
	    "success", "started", 1795720014.123);
	char path[128], line[512];
	FILE *f;
	int n = 0;

	ck_assert_int_eq(journal_append(dir, rec), 0);
	ck_assert_int_eq(journal_append(dir, rec), 0);
	json_decref(rec);
	snprintf(path, sizeof path, "%s/%s", dir, JOURNAL_FILE);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		json_t *j = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(j);
		ck_assert_str_eq(json_string_value(json_object_get(j, "id")),
		    "r-1");
		/* Wall times keep their milliseconds. */
		ck_assert_double_eq_tol(json_real_value(json_object_get(j,
		    "started")), 1795720014.123, 1e-6);
		json_decref(j);
		n++;
	}
	fclose(f);
	ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(test_version)
{
	char v[64];
	const char *a = "{\"version\":\"0.1.0\",\"server\":\"reliabd-proxy\"}";
	const char *b = "2.9.0\n";
	const char *c = "{\"version\":\"2.9.0\"}";
	const char *d = "\"2.5.0\"";

	ck_assert_int_eq(toxi_parse_version(a, strlen(a), v, sizeof v), 1);
	ck_assert_str_eq(v, "0.1.0");
	ck_assert_int_eq(toxi_parse_version(b, strlen(b), v, sizeof v), 0);
	ck_assert_str_eq(v, "2.9.0");
	ck_assert_int_eq(toxi_parse_version(c, strlen(c), v, sizeof v), 0);
	ck_assert_str_eq(v, "2.9.0");
	ck_assert_int_eq(toxi_parse_version(d, strlen(d), v, sizeof v), 0);
	ck_assert_str_eq(v, "2.5.0");
	ck_assert_int_eq(toxi_parse_version("", 0, v, sizeof v), 0);
	ck_assert_str_eq(v, "");
}
END_TEST

static struct fault_spec
fault(enum fault_type t, const char *attr, double v)
{
	struct fault_spec f;

	memset(&f, 0, sizeof f);
	f.type = t;
	f.toxicity = 1;
	f.nservers = 1;
	strcpy(f.servers[0], "memcache1");
	if (attr) {
		strcpy(f.attrs[0].name, attr);
		f.attrs[0].value = v;
		f.nattrs = 1;
	}
	return f;
}

START_TEST(test_faultmap)
{
	struct fault_spec f;
	json_t *a;
	char type[32];
	int approx = 0;

	/* The built-in proxy has a loss toxic. */
	f = fault(FAULT_LOSS, "rate", 0.05);
	ck_assert_int_eq(fault_to_toxic(&f, 1, type, sizeof type, &a, &approx),
	    0);
	ck_assert_str_eq(type, "loss");
	ck_assert_double_eq(json_real_value(json_object_get(a, "rate")), 0.05);
	ck_assert_int_eq(approx, 0);
	json_decref(a);
	/* A real Toxiproxy: latency of RTO * p / (1 - p), same jitter. */
	ck_assert_int_eq(fault_to_toxic(&f, 0, type, sizeof type, &a, &approx),
	    0);
	ck_assert_str_eq(type, "latency");
	ck_assert_int_eq(json_integer_value(json_object_get(a, "latency")), 11);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "jitter")), 11);
	ck_assert_int_eq(approx, 1);
	json_decref(a);
	f = fault(FAULT_LOSS, "rate", 0.5);
	ck_assert_int_eq(fault_to_toxic(&f, 0, type, sizeof type, &a, &approx),
	    0);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "latency")),
	    200);
	json_decref(a);
	/* 100 %: nothing passes. */
	f = fault(FAULT_LOSS, "rate", 1.0);
	ck_assert_int_eq(fault_to_toxic(&f, 0, type, sizeof type, &a, &approx),
	    0);
	ck_assert_str_eq(type, "timeout");
	ck_assert_int_eq(json_integer_value(json_object_get(a, "timeout")), 0);
	json_decref(a);
	/* Others map one to one, integers as integers. */
	f = fault(FAULT_LATENCY, "latency", 1000);
	approx = 0;
	ck_assert_int_eq(fault_to_toxic(&f, 0, type, sizeof type, &a, &approx),
	    0);
	ck_assert_str_eq(type, "latency");
	ck_assert(json_is_integer(json_object_get(a, "latency")));
	ck_assert_int_eq(approx, 0);
	json_decref(a);
	f = fault(FAULT_DOWN, NULL, 0);
	ck_assert_int_eq(fault_to_toxic(&f, 0, type, sizeof type, &a, &approx),
	    -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scenario_ledger");
	TCase *tc = tcase_create("ledger");
	SRunner *sr;
	int failed;

	log_init("test_scenario_ledger", LOG_LVL_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ledger_roundtrip);
	tcase_add_test(tc, test_ledger_batch);
	tcase_add_test(tc, test_ledger_corrupt);
	tcase_add_test(tc, test_ledger_api);
	tcase_add_test(tc, test_proxy_set);
	tcase_add_test(tc, test_backend_lab);
	tcase_add_test(tc, test_journal);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_faultmap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
