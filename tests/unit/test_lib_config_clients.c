/* Several clients in reliabd.conf (issue 14): [loadgen NAME] sections
 * beside [loadgen], their options, metrics addresses, the cap, the
 * client the scenario worker samples, and every error named by line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static struct config *cfg;
static char err[512];

static int
load(const char *text)
{
	return config_load_string(text, strlen(text), "c.conf", cfg, err,
	    sizeof(err));
}

static void
setup(void)
{
	cfg = malloc(sizeof(*cfg));
	ck_assert_ptr_nonnull(cfg);
	err[0] = '\0';
}

static void
teardown(void)
{
	free(cfg);
}

/* The value of --NAME= in argv, or NULL. */
static const char *
opt(char **argv, const char *name)
{
	size_t len = strlen(name);

	for (; argv != NULL && *argv != NULL; argv++)
		if (strncmp(*argv, name, len) == 0 && (*argv)[len] == '=')
			return *argv + len + 1;
	return NULL;
}

static int
argv_has(char **argv, const char *s)
{
	for (; argv != NULL && *argv != NULL; argv++)
		if (strcmp(*argv, s) == 0)
			return 1;
	return 0;
}

static void
check_argv(char **argv, const char *const *want)
{
	size_t i;

	ck_assert_ptr_nonnull(argv);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(argv[i] != NULL, "missing %s", want[i]);
		ck_assert_str_eq(argv[i], want[i]);
	}
	ck_assert_msg(argv[i] == NULL, "extra %s", argv[i]);
	config_argv_free(argv);
}

/* The plain [loadgen], or none at all, is the one client "default". */
START_TEST(plain_is_default)
{
	struct config_client_ref cl[CONFIG_MAX_CLIENTS];

	ck_assert_msg(load("[daemon]\n") == 0, "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 1);
	ck_assert_str_eq(cl[0].name, "default");
	ck_assert_str_eq(cl[0].metrics, "127.0.0.1:9090");
	ck_assert_ptr_eq(cl[0].opts, &cfg->loadgen);
	ck_assert_str_eq(config_sampled_metrics(cfg), "127.0.0.1:9090");

	ck_assert_msg(load("[loadgen default]\nmetrics = 127.0.0.1:7\n"
	    "workers = 3\n") == 0, "%s", err);
	ck_assert_uint_eq(cfg->nclients, 0);
	ck_assert_uint_eq(config_clients(cfg, cl), 1);
	ck_assert_str_eq(cl[0].metrics, "127.0.0.1:7");
	ck_assert_str_eq(cfg->loadgen.kv[0].key, "workers");

	/* enabled = no with no other client: none, and the scenario
	 * worker still gets [loadgen]'s address, as before. */
	ck_assert_msg(load("[loadgen]\nenabled = no\n") == 0, "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 0);
	ck_assert_str_eq(config_sampled_metrics(cfg), "127.0.0.1:9090");
}
END_TEST

static const char three[] =
    "[server m1]\naddress = 127.0.0.1:21211\n"
    "[loadgen]\nmetrics = 127.0.0.1:19090\nworkers = 4\n"
    "[loadgen nobreaker]\n"
    "metrics = 127.0.0.1:19094\n"
    "breaker_consecutive_failures = 0\n"
    "[loadgen libmc]\n"
    "kind = libmemcached\n"
    "workers = 8\n"
    "[loadgen off]\nenabled = no\nmetrics = 127.0.0.1:19090\n";

START_TEST(named_clients)
{
	struct config_client_ref cl[CONFIG_MAX_CLIENTS];
	char **argv, **scen;

	ck_assert_msg(load(three) == 0, "%s", err);
	ck_assert_uint_eq(cfg->nclients, 3);
	ck_assert_int_eq(cfg->loadgen_enabled, 1);
	ck_assert_str_eq(cfg->clients[1].name, "libmc");
	ck_assert_uint_eq(cfg->clients[1].line, 9);
	/* A disabled client is no client (its clashing port neither). */
	ck_assert_uint_eq(config_clients(cfg, cl), 3);
	ck_assert_str_eq(cl[0].name, "default");
	ck_assert_str_eq(cl[1].name, "nobreaker");
	ck_assert_str_eq(cl[2].name, "libmc");
	/* No metrics key: port 0, a free port the loadgen picks. */
	ck_assert_str_eq(cl[2].metrics, "127.0.0.1:0");
	check_argv(config_client_argv(cfg, &cl[1]), (const char *const[]){
	    "--metrics=127.0.0.1:19094", "--server=m1=127.0.0.1:21211",
	    "--breaker-consecutive-failures=0", NULL });
	check_argv(config_client_argv(cfg, &cl[2]), (const char *const[]){
	    "--metrics=127.0.0.1:0", "--server=m1=127.0.0.1:21211",
	    "--kind=libmemcached", "--workers=8", NULL });
	/* The default client's options are unchanged by the others. */
	argv = config_worker_argv(cfg, KIND_LOADGEN);
	check_argv(argv, (const char *const[]){ "--metrics=127.0.0.1:19090",
	    "--server=m1=127.0.0.1:21211", "--workers=4", NULL });
	/* The scenario worker samples the client "default". */
	scen = config_worker_argv(cfg, KIND_SCENARIO);
	ck_assert_ptr_nonnull(scen);
	ck_assert_str_eq(opt(scen, "--loadgen-metrics"), "127.0.0.1:19090");
	config_argv_free(scen);
}
END_TEST

/* Named clients only: no client "default"; the scenario worker samples
 * the first enabled one. */
START_TEST(named_only)
{
	struct config_client_ref cl[CONFIG_MAX_CLIENTS];
	char **scen;

	ck_assert_msg(load("[loadgen a]\nenabled = no\n"
	    "[loadgen b]\nmetrics = 127.0.0.1:5001\n"
	    "[loadgen c]\n") == 0, "%s", err);
	ck_assert_int_eq(cfg->loadgen_enabled, 0);
	ck_assert_uint_eq(config_clients(cfg, cl), 2);
	ck_assert_str_eq(cl[0].name, "b");
	ck_assert_str_eq(cl[1].name, "c");
	ck_assert_str_eq(config_sampled_metrics(cfg), "127.0.0.1:5001");
	scen = config_worker_argv(cfg, KIND_SCENARIO);
	ck_assert_ptr_nonnull(scen);
	ck_assert_str_eq(opt(scen, "--loadgen-metrics"), "127.0.0.1:5001");
	config_argv_free(scen);
	/* With the scenario worker off, a port-0 first client is fine. */
	ck_assert_msg(load("[scenario]\nenabled = no\n[loadgen a]\n") == 0,
	    "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 1);
}
END_TEST

/* The cap: eight clients in all, [loadgen] counted. */
START_TEST(cap)
{
	char text[2048];
	size_t off = 0;

	for (int i = 0; i < CONFIG_MAX_CLIENTS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[loadgen c%d]\nmetrics = 127.0.0.1:%d\n", i, 6000 + i);
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert_uint_eq(cfg->nclients, CONFIG_MAX_CLIENTS);
	snprintf(text + off, sizeof(text) - off, "[loadgen]\n");
	ck_assert_int_eq(load(text), -1);
	ck_assert_str_eq(err, "c.conf:17: [loadgen]: too many clients "
	    "(at most 8 [loadgen] sections in all)");
	snprintf(text + off, sizeof(text) - off, "[loadgen c8]\n");
	ck_assert_int_eq(load(text), -1);
	ck_assert_str_eq(err, "c.conf:17: [loadgen c8]: too many clients "
	    "(at most 8 [loadgen] sections in all)");
	/* [loadgen] first, then eight named: the eighth is one too many. */
	off = (size_t)snprintf(text, sizeof(text), "[loadgen]\n");
	for (int i = 0; i < CONFIG_MAX_CLIENTS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[loadgen c%d]\nmetrics = 127.0.0.1:%d\n", i, 6000 + i);
	ck_assert_int_eq(load(text), -1);
	ck_assert_str_eq(err, "c.conf:16: [loadgen c7]: too many clients "
	    "(at most 8 [loadgen] sections in all)");
}
END_TEST

/* kind = external: a command reliabd runs, or a URL it only scrapes;
 * either goes to the scenario worker as the client's address. */
START_TEST(external)
{
	struct config_client_ref cl[CONFIG_MAX_CLIENTS];
	char **scen;

	ck_assert_msg(load("[loadgen]\n"
	    "[loadgen py]\nkind = external\nmetrics = 127.0.0.1:9301\n"
	    "command = python3 client.py --metrics={metrics}\n"
	    "[loadgen far]\nkind = external\n"
	    "url = http://10.0.0.5:9200/stats/metrics\n") == 0, "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 3);
	ck_assert_int_eq(cl[0].external, 0);
	ck_assert_str_eq(cl[0].command, "");
	ck_assert_int_eq(cl[1].external, 1);
	ck_assert_str_eq(cl[1].command,
	    "python3 client.py --metrics={metrics}");
	ck_assert_str_eq(cl[1].metrics, "127.0.0.1:9301");
	/* Nothing of ours reads its options: none are kept. */
	ck_assert_uint_eq(cl[1].opts->nkv, 0);
	ck_assert_int_eq(cl[2].external, 1);
	ck_assert_str_eq(cl[2].command, "");
	ck_assert_str_eq(cl[2].metrics, "http://10.0.0.5:9200/stats/metrics");
	scen = config_worker_argv(cfg, KIND_SCENARIO);
	ck_assert_ptr_nonnull(scen);
	ck_assert_int_eq(argv_has(scen, "--client=far="
	    "http://10.0.0.5:9200/stats/metrics"), 1);
	ck_assert_int_eq(argv_has(scen, "--client=py=127.0.0.1:9301"), 1);
	config_argv_free(scen);
	/* HOST:PORT is a URL too (path /metrics), written back whole. */
	ck_assert_msg(load("[loadgen]\n[loadgen far]\nkind = external\n"
	    "url = [::1]:9200\n") == 0, "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 2);
	ck_assert_str_eq(cl[1].metrics, "http://[::1]:9200/metrics");
	/* The other kinds pass kind on to the loadgen, as before. */
	ck_assert_msg(load("[loadgen]\n[loadgen lm]\nkind = libmemcached\n"
	    "metrics = 127.0.0.1:9302\n") == 0, "%s", err);
	ck_assert_uint_eq(config_clients(cfg, cl), 2);
	ck_assert_int_eq(cl[1].external, 0);
	ck_assert_uint_eq(cl[1].opts->nkv, 1);
}
END_TEST

static const struct {
	const char *text;
	const char *want; /* the whole message */
} bad[] = {
	/* External clients. */
	{ "[loadgen]\n[loadgen x]\nkind = external\n",
	    "c.conf:2: [loadgen x]: an external client has a command "
	    "(reliabd runs it) or a url (reliabd only scrapes it): one of "
	    "the two" },
	{ "[loadgen]\n[loadgen x]\nkind = external\nurl = 127.0.0.1:1\n"
	  "command = a\nmetrics = 127.0.0.1:2\n",
	    "c.conf:2: [loadgen x]: an external client has a command" },
	{ "[loadgen]\n[loadgen x]\nkind = external\ncommand = a\n",
	    "c.conf:2: [loadgen x] metrics: an external command's metrics "
	    "address, with its real port" },
	{ "[loadgen]\n[loadgen x]\nkind = external\nurl = https://a:1/m\n",
	    "c.conf:4: [loadgen x] url: only http:// URLs are scraped" },
	{ "[loadgen]\n[loadgen x]\nkind = external\nurl = http://a:1/m?x\n",
	    "c.conf:4: [loadgen x] url: the path: at most 127 characters" },
	{ "[loadgen]\n[loadgen x]\nkind = external\nurl = 127.0.0.1:0\n",
	    "c.conf:4: [loadgen x] url: give the port" },
	{ "[loadgen]\n[loadgen x]\nkind = external\nurl = a:1\n"
	  "workers = 3\n",
	    "c.conf:5: [loadgen x] workers: not a key of an external client "
	    "(command or url, metrics, enabled)" },
	{ "[loadgen]\n[loadgen x]\ncommand = a\n",
	    "c.conf:3: [loadgen x] command: only for kind = external" },
	{ "[loadgen]\nurl = a:1\n",
	    "c.conf:2: [loadgen] url: only for kind = external" },
	{ "[loadgen]\nkind = external\n",
	    "c.conf:2: [loadgen] kind: an external client is a [loadgen "
	    "NAME] section of its own" },
	{ "[loadgen a]\n[loadgen a]\n",
	    "c.conf:2: [loadgen a]: duplicate client name" },
	{ "[loadgen]\n[loadgen default]\n",
	    "c.conf:2: [loadgen default]: section given twice" },
	{ "[loadgen a/b]\n",
	    "c.conf:1: [loadgen a/b]: a name is 1 to 63 of A-Z a-z 0-9 _ . -" },
	{ "[loadgen a]\nenabled = perhaps\n",
	    "c.conf:2: [loadgen a] enabled: expected yes or no, not "
	    "\"perhaps\"" },
	{ "[loadgen a]\nmetrics = 127.0.0.1\n",
	    "c.conf:2: [loadgen a] metrics: bad host:port " },
	{ "[loadgen a]\nmetrics = 127.0.0.1:1\nmetrics = 127.0.0.1:2\n",
	    "c.conf:3: [loadgen a] metrics: given twice (first on line 2)" },
	{ "[loadgen a]\nWorkers = 2\n",
	    "c.conf:2: [loadgen a] Workers: a worker option name is "
	    "[a-z][a-z0-9_]*" },
	{ "[loadgen a]\nworkers = 2\nworkers = 3\n",
	    "c.conf:3: [loadgen a] workers: given twice (first on line 2)" },
	/* Two clients on one metrics port, or one and a wildcard. */
	{ "[loadgen]\n[loadgen a]\nmetrics = 127.0.0.1:9090\n",
	    "c.conf:2: [loadgen a] metrics: 127.0.0.1:9090: the client "
	    "\"default\" listens there too" },
	{ "[loadgen a]\nmetrics = 0.0.0.0:7000\n"
	  "[loadgen b]\nmetrics = 127.0.0.1:7000\n",
	    "c.conf:3: [loadgen b] metrics: 127.0.0.1:7000: the client "
	    "\"a\" listens there too" },
	/* The client the scenario worker samples needs a fixed port. */
	{ "[loadgen a]\n",
	    "c.conf:1: [loadgen a] metrics: the scenario worker samples this "
	    "client (there is no [loadgen]): give it a port of its own, "
	    "not 0" },
	{ "[loadgen off]\nenabled = no\n[loadgen a]\nmetrics = "
	  "127.0.0.1:0\n",
	    "c.conf:3: [loadgen a] metrics: the scenario worker samples this "
	    "client (there is no [loadgen]): give it a port of its own, "
	    "not 0" },
};

START_TEST(errors)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(load(bad[i].text) == -1, "accepted: %s",
		    bad[i].text);
		ck_assert_msg(strncmp(err, bad[i].want,
		    strlen(bad[i].want)) == 0, "config %zu: got \"%s\", "
		    "want \"%s\"", i, err, bad[i].want);
	}
	/* Distinct hosts on one port, and port 0 twice, are fine. */
	ck_assert_msg(load("[loadgen]\nmetrics = 127.0.0.1:7000\n"
	    "[loadgen a]\nmetrics = 127.0.0.2:7000\n[loadgen b]\n"
	    "[loadgen c]\n") == 0, "%s", err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_clients");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_init("test_lib_config_clients", LOG_LVL_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, plain_is_default);
	tcase_add_test(tc, named_clients);
	tcase_add_test(tc, named_only);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, external);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
