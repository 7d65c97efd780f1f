/* lib/config.c and lib/config_argv.c: the DESIGN.md example, defaults,
 * every error class (named by file, line and key), worker options, -c. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static struct config *cfg;
static char err[512];

static const char design_conf[] =
    "[daemon]\n"
    "control_socket = /run/reliabd/control.sock\n"
    "state_dir      = /var/lib/reliabd\n"
    "metrics        = 127.0.0.1:9093\n"
    "\n"
    "[node memcache1]             ; optional: a memcached reliabd runs itself\n"
    "listen = 127.0.0.1:11211\n"
    "memory = 64\n"
    "\n"
    "[server memcache1]           ; what the client talks to, and what the\n"
    "address  = 127.0.0.1:21211   ; fault proxy forwards it to\n"
    "upstream = 127.0.0.1:11211\n"
    "\n"
    "[proxy]\n"
    "mode    = builtin            ; or external (a real Toxiproxy)\n"
    "api     = 127.0.0.1:8474\n"
    "metrics = 127.0.0.1:9092\n"
    "\n"
    "[loadgen]\n"
    "metrics  = 127.0.0.1:9090\n"
    "workers  = 16\n"
    "workload = mixed\n"
    "\n"
    "[scenario]\n"
    "metrics      = 127.0.0.1:9091\n"
    "scenario_dir = /etc/reliabd/scenarios.d\n"
    "playlist     =               ; e.g. \"all\" to loop from boot\n";

static int
load(const char *text)
{
	return config_load_string(text, strlen(text), "test.conf", cfg, err,
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

START_TEST(design_example)
{
	ck_assert_msg(load(design_conf) == 0, "%s", err);
	ck_assert_str_eq(cfg->path, "test.conf");
	ck_assert_str_eq(cfg->control_socket, "/run/reliabd/control.sock");
	ck_assert_str_eq(cfg->state_dir, "/var/lib/reliabd");
	ck_assert_str_eq(cfg->metrics, "127.0.0.1:9093");
	ck_assert_str_eq(cfg->file_sd, "/var/lib/reliabd/targets.json");
	ck_assert_uint_eq(cfg->nnodes, 1);
	ck_assert_str_eq(cfg->nodes[0].name, "memcache1");
	ck_assert_str_eq(cfg->nodes[0].listen, "127.0.0.1:11211");
	ck_assert_uint_eq(cfg->nodes[0].memory, 64);
	ck_assert_str_eq(cfg->nodes[0].binary, "memcached");
	ck_assert_str_eq(cfg->nodes[0].args, "");
	ck_assert_uint_eq(cfg->nservers, 1);
	ck_assert_str_eq(cfg->servers[0].name, "memcache1");
	ck_assert_str_eq(cfg->servers[0].address, "127.0.0.1:21211");
	ck_assert_str_eq(cfg->servers[0].upstream, "127.0.0.1:11211");
	ck_assert_int_eq(cfg->proxy_mode, PROXY_MODE_BUILTIN);
	ck_assert_str_eq(proxy_mode_text(cfg->proxy_mode), "builtin");
	ck_assert_str_eq(cfg->proxy_api, "127.0.0.1:8474");
	ck_assert_str_eq(cfg->proxy_metrics, "127.0.0.1:9092");
	ck_assert_uint_eq(cfg->proxy.nkv, 0);
	ck_assert_int_eq(cfg->loadgen_enabled, 1);
	ck_assert_str_eq(cfg->loadgen_metrics, "127.0.0.1:9090");
	ck_assert_uint_eq(cfg->loadgen.nkv, 2);
	ck_assert_str_eq(cfg->loadgen.kv[0].key, "workers");
	ck_assert_str_eq(cfg->loadgen.kv[0].value, "16");
	ck_assert_uint_eq(cfg->loadgen.kv[0].line, 21);
	ck_assert_str_eq(cfg->loadgen.kv[1].key, "workload");
	ck_assert_str_eq(cfg->loadgen.kv[1].value, "mixed");
	ck_assert_int_eq(cfg->scenario_enabled, 1);
	ck_assert_str_eq(cfg->scenario_metrics, "127.0.0.1:9091");
	ck_assert_str_eq(cfg->scenario_dir, "/etc/reliabd/scenarios.d");
	ck_assert_str_eq(cfg->playlist, "");
	ck_assert_ptr_eq(config_node_find(cfg, "memcache1"), &cfg->nodes[0]);
	ck_assert_ptr_eq(config_server_find(cfg, "memcache1"),
	    &cfg->servers[0]);
	ck_assert_ptr_null(config_server_find(cfg, "memcache2"));
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(load(""), 0);
	ck_assert_str_eq(cfg->control_socket, RUNSTATEDIR
	    "/reliabd/control.sock");
	ck_assert_str_eq(cfg->state_dir, LOCALSTATEDIR "/lib/reliabd");
	ck_assert_str_eq(cfg->file_sd, LOCALSTATEDIR
	    "/lib/reliabd/targets.json");
	ck_assert_str_eq(cfg->libexec_dir, SBINDIR);
	ck_assert_str_eq(cfg->metrics, "127.0.0.1:9093");
	ck_assert_str_eq(cfg->log_level, "info");
	ck_assert_uint_eq(cfg->stop_grace_ms, 5000);
	ck_assert_int_eq(cfg->proxy_mode, PROXY_MODE_BUILTIN);
	ck_assert_str_eq(cfg->proxy_api, "127.0.0.1:8474");
	ck_assert_str_eq(cfg->proxy_metrics, "127.0.0.1:9092");
	ck_assert_int_eq(cfg->loadgen_enabled, 1);
	ck_assert_str_eq(cfg->loadgen_metrics, "127.0.0.1:9090");
	ck_assert_int_eq(cfg->scenario_enabled, 1);
	ck_assert_str_eq(cfg->scenario_metrics, "127.0.0.1:9091");
	ck_assert_str_eq(cfg->scenario_dir, SYSCONFDIR
	    "/reliabd/scenarios.d");
	ck_assert_str_eq(cfg->playlist, "");
	ck_assert_uint_eq(cfg->nnodes, 0);
	ck_assert_uint_eq(cfg->nservers, 0);
}
END_TEST

START_TEST(every_key)
{
	ck_assert_msg(load(
	    "\xef\xbb\xbf# comment\n"
	    "[daemon]\r\n"
	    "  control_socket = /tmp/r/control.sock\r\n"
	    "\tstate_dir = /tmp/r\n"
	    "metrics = [::1]:0\n"
	    "worker_dir = /opt/reliabd\n"
	    "log_level = debug\n"
	    "stop_grace = 1.5s\n"
	    "[ node   a.b-c_1 ]\n"
	    "listen = 127.0.0.1:11211\n"
	    "  memory = 128\n"
	    "  binary = /usr/bin/memcached\n"
	    "  args = -t 2 -c 1024\n"
	    "[proxy]\n"
	    "mode = external\n"
	    "listen_backlog = 64\n"
	    "[loadgen]\n"
	    "enabled = no\n"
	    "key_space = 10000\n"
	    "[scenario]\n"
	    "enabled = off\n"
	    "playlist = all\n") == 0, "%s", err);
	ck_assert_str_eq(cfg->control_socket, "/tmp/r/control.sock");
	ck_assert_str_eq(cfg->state_dir, "/tmp/r");
	/* file_sd follows state_dir unless given. */
	ck_assert_str_eq(cfg->file_sd, "/tmp/r/targets.json");
	ck_assert_str_eq(cfg->metrics, "[::1]:0");
	ck_assert_str_eq(cfg->libexec_dir, "/opt/reliabd");
	ck_assert_str_eq(cfg->log_level, "debug");
	ck_assert_uint_eq(cfg->stop_grace_ms, 1500);
	ck_assert_str_eq(cfg->nodes[0].name, "a.b-c_1");
	ck_assert_uint_eq(cfg->nodes[0].memory, 128);
	ck_assert_str_eq(cfg->nodes[0].binary, "/usr/bin/memcached");
	ck_assert_str_eq(cfg->nodes[0].args, "-t 2 -c 1024");
	ck_assert_int_eq(cfg->proxy_mode, PROXY_MODE_EXTERNAL);
	ck_assert_uint_eq(cfg->proxy.nkv, 1);
	ck_assert_str_eq(cfg->proxy.kv[0].key, "listen_backlog");
	ck_assert_int_eq(cfg->loadgen_enabled, 0);
	ck_assert_int_eq(cfg->scenario_enabled, 0);
	ck_assert_str_eq(cfg->playlist, "all");
	ck_assert_int_eq(load("[daemon]\nfile_sd = /x/sd.json\n"
	    "state_dir = /y\n"), 0);
	ck_assert_str_eq(cfg->file_sd, "/x/sd.json");
}
END_TEST

static const struct {
	const char *text;
	const char *want; /* the start of the message */
} bad_configs[] = {
	{ "[bogus]\n", "test.conf:1: [bogus]: unknown section" },
	{ "\n\n[daemon]\nnope = 1\n", "test.conf:4: [daemon] nope: unknown key" },
	{ "[daemon]\nmetrics = 127.0.0.1\n",
	    "test.conf:2: [daemon] metrics: bad host:port" },
	{ "[daemon]\nmetrics = 127.0.0.1:70000\n",
	    "test.conf:2: [daemon] metrics: bad host:port" },
	{ "[daemon]\nstop_grace = 5 parsecs\n",
	    "test.conf:2: [daemon] stop_grace: bad duration" },
	{ "[daemon]\nstop_grace = -1s\n",
	    "test.conf:2: [daemon] stop_grace: bad duration" },
	{ "[daemon]\nlog_level = loud\n",
	    "test.conf:2: [daemon] log_level: bad log level" },
	{ "[daemon]\nstate_dir =\n",
	    "test.conf:2: [daemon] state_dir: empty" },
	{ "[daemon]\ncontrol_socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "test.conf:2: [daemon] control_socket: too long" },
	{ "[daemon]\nmetrics = 1.2.3.4:1\nmetrics = 1.2.3.4:2\n",
	    "test.conf:3: [daemon] metrics: given twice (first on line 2)" },
	{ "[daemon]\n[daemon]\n", "test.conf:2: [daemon]: section given twice" },
	{ "[node a]\nlisten = 127.0.0.1:1\nmemory = 0\n",
	    "test.conf:3: [node a] memory: expected MiB" },
	{ "[node a]\nlisten = 127.0.0.1:1\nmemory = 65537\n",
	    "test.conf:3: [node a] memory: expected MiB" },
	{ "[node a]\nlisten = 127.0.0.1:1\n[node a]\nlisten = 127.0.0.1:2\n",
	    "test.conf:3: [node a]: duplicate node name" },
	{ "[node a]\nmemory = 5\n[proxy]\n", "test.conf:1: [node a] listen: missing" },
	{ "[server s]\naddress = 1.2.3.4:5\n[server s]\n",
	    "test.conf:3: [server s]: duplicate server name" },
	{ "[server s]\nupstream = 1.2.3.4:5\n",
	    "test.conf:1: [server s] address: missing" },
	{ "[server s]\naddress = 1.2.3.4:0\n",
	    "test.conf:2: [server s] address: port 0 is not allowed here" },
	{ "[server s]\naddress = nohost\n",
	    "test.conf:2: [server s] address: bad host:port" },
	{ "[server s p]\n", "test.conf:1: [server s p]: a name is" },
	{ "[server]\n", "test.conf:1: [server]: needs a name" },
	{ "[daemon x]\n", "test.conf:1: [daemon]: takes no name" },
	{ "[server s/1]\n", "test.conf:1: [server s/1]: a name is" },
	{ "[server aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
	    "test.conf:1: [server aaaa" },
	{ "[proxy]\nmode = fancy\n",
	    "test.conf:2: [proxy] mode: expected builtin or external" },
	{ "[loadgen]\nenabled = maybe\n",
	    "test.conf:2: [loadgen] enabled: expected yes or no" },
	{ "[loadgen]\nWorkers = 3\n",
	    "test.conf:2: [loadgen] Workers: a worker option name is" },
	{ "[loadgen]\nworkers = 3\nworkers = 4\n",
	    "test.conf:3: [loadgen] workers: given twice (first on line 2)" },
	{ "metrics = 1.2.3.4:5\n", "test.conf:1: metrics: outside any section" },
	{ "[daemon]\njust words\n", "test.conf:2: [daemon]: expected key = value" },
	{ "[daemon\n", "test.conf:1: section header without ']'" },
	{ "[daemon] x\n", "test.conf:1: text after a section header" },
	{ "[daemon]\n= 5\n", "test.conf:2: [daemon]: missing key name" },
};

START_TEST(errors)
{
	for (size_t i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]);
	    i++) {
		const char *want = bad_configs[i].want;

		err[0] = '\0';
		ck_assert_msg(load(bad_configs[i].text) == -1,
		    "accepted: %s", bad_configs[i].text);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		    "config %zu: got \"%s\", want \"%s...\"", i, err, want);
	}
}
END_TEST

START_TEST(limits)
{
	size_t cap = CONFIG_FILE_MAX + 100, off = 0;
	char *big = malloc(cap);
	char line[400];

	ck_assert_ptr_nonnull(big);
	/* A line longer than inih can hold is an error, not two lines. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "[loadgen]\nk = ", 14);
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(load(line), -1);
	ck_assert_msg(strncmp(err, "test.conf:2: [loadgen]: line too long", 37) == 0,
	    "%s", err);
	/* NUL bytes. */
	ck_assert_int_eq(config_load_string("[daemon]\n\0x\n", 12, "n.conf",
	    cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "n.conf:2: [daemon]: NUL byte in line");
	/* Too many keys in a worker section. */
	off = (size_t)snprintf(big, cap, "[loadgen]\n");
	for (int i = 0; i <= CONFIG_MAX_KV; i++)
		off += (size_t)snprintf(big + off, cap - off, "k%d = %d\n", i,
		    i);
	ck_assert_int_eq(load(big), -1);
	ck_assert_msg(strstr(err, ":66: [loadgen] k64: too many keys") !=
	    NULL, "%s", err);
	/* Too many servers. */
	off = 0;
	for (int i = 0; i <= CONFIG_MAX_SERVERS; i++)
		off += (size_t)snprintf(big + off, cap - off,
		    "[server s%d]\naddress = 127.0.0.1:%d\n", i, 1000 + i);
	ck_assert_int_eq(load(big), -1);
	ck_assert_msg(strstr(err, ":33: [server s16]: too many [server]") !=
	    NULL, "%s", err);
	/* Larger than CONFIG_FILE_MAX, even if all comments. */
	memset(big, ';', cap);
	for (size_t i = 80; i < cap; i += 80)
		big[i] = '\n';
	ck_assert_int_eq(config_load_string(big, CONFIG_FILE_MAX + 1,
	    "big.conf", cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "big.conf: larger than 1048576 bytes");
	free(big);
}
END_TEST

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
}

static const char two_servers[] =
    "[daemon]\ncontrol_socket = /run/x.sock\nstate_dir = /var/x\n"
    "[node n1]\nlisten = 127.0.0.1:11211\n"
    "[server m1]\naddress = 127.0.0.1:21211\nupstream = 127.0.0.1:11211\n"
    "[server m2]\naddress = 10.0.0.2:11211\n"
    "[proxy]\napi = 127.0.0.1:18474\nmetrics = 127.0.0.1:0\n"
    "toxic_limit = 4\n"
    "[loadgen]\nmetrics = 127.0.0.1:19090\nkey_space = 100\n"
    "value_size_max = 4096\n"
    "[scenario]\nmetrics = 127.0.0.1:19091\nscenario_dir = /s.d\n"
    "phase_scale = 0.1\n";

START_TEST(worker_argv)
{
	char **argv;

	ck_assert_msg(load(two_servers) == 0, "%s", err);
	argv = config_worker_argv(cfg, KIND_LOADGEN);
	check_argv(argv, (const char *const[]){ "--metrics=127.0.0.1:19090",
	    "--server=m1=127.0.0.1:21211", "--server=m2=10.0.0.2:11211",
	    "--key-space=100", "--value-size-max=4096", NULL });
	config_argv_free(argv);
	argv = config_worker_argv(cfg, KIND_PROXY);
	check_argv(argv, (const char *const[]){ "--api=127.0.0.1:18474",
	    "--metrics=127.0.0.1:0",
	    "--proxy=m1=127.0.0.1:21211,127.0.0.1:11211",
	    "--toxic-limit=4", NULL });
	config_argv_free(argv);
	argv = config_worker_argv(cfg, KIND_SCENARIO);
	check_argv(argv, (const char *const[]){ "--metrics=127.0.0.1:19091",
	    "--proxy-api=127.0.0.1:18474", "--state-dir=/var/x",
	    "--scenario-dir=/s.d", "--loadgen-metrics=127.0.0.1:19090",
	    "--control-socket=/run/x.sock", "--server=m1", "--server=m2",
	    "--node=n1", "--phase-scale=0.1", NULL });
	config_argv_free(argv);
	ck_assert_str_eq(kind_text(KIND_SCENARIO), "scenario");
}
END_TEST

START_TEST(merge_argv)
{
	char path[] = "/tmp/test_lib_config.XXXXXX";
	int fd = mkstemp(path), n;
	char **out, opt[64];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, two_servers, strlen(two_servers)),
	    (ssize_t)strlen(two_servers));
	close(fd);

	/* -c FILE: argv[0], the config's options, then the rest. */
	n = config_merge_argv(4, (char *[]){ "loadgen", "-c", path,
	    "--key-space=5", NULL }, KIND_LOADGEN, &out, err, sizeof(err));
	ck_assert_msg(n == 7, "%d %s", n, err);
	check_argv(out, (const char *const[]){ "loadgen",
	    "--metrics=127.0.0.1:19090", "--server=m1=127.0.0.1:21211",
	    "--server=m2=10.0.0.2:11211", "--key-space=100",
	    "--value-size-max=4096", "--key-space=5", NULL });
	config_argv_free(out);

	snprintf(opt, sizeof(opt), "--config=%s", path);
	n = config_merge_argv(3, (char *[]){ "proxy", "--check", opt, NULL },
	    KIND_PROXY, &out, err, sizeof(err));
	ck_assert_int_eq(n, 6);
	check_argv(out, (const char *const[]){ "proxy",
	    "--api=127.0.0.1:18474", "--metrics=127.0.0.1:0",
	    "--proxy=m1=127.0.0.1:21211,127.0.0.1:11211", "--toxic-limit=4",
	    "--check", NULL });
	config_argv_free(out);

	n = config_merge_argv(3, (char *[]){ "proxy", "--config", path, NULL },
	    KIND_PROXY, &out, err, sizeof(err));
	ck_assert_int_eq(n, 5);
	config_argv_free(out);
	snprintf(opt, sizeof(opt), "-c%s", path);
	n = config_merge_argv(2, (char *[]){ "proxy", opt, NULL },
	    KIND_PROXY, &out, err, sizeof(err));
	ck_assert_int_eq(n, 5);
	config_argv_free(out);

	/* No -c: a copy; options after "--" are not looked at. */
	n = config_merge_argv(4, (char *[]){ "scenario", "--metrics=x", "--",
	    "-c", NULL }, KIND_SCENARIO, &out, err, sizeof(err));
	ck_assert_int_eq(n, 4);
	check_argv(out, (const char *const[]){ "scenario", "--metrics=x",
	    "--", "-c", NULL });
	config_argv_free(out);

	/* Errors. */
	ck_assert_int_eq(config_merge_argv(2, (char *[]){ "x", "-c", NULL },
	    KIND_LOADGEN, &out, err, sizeof(err)), -1);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err, "-c needs a FILE");
	ck_assert_int_eq(config_merge_argv(5, (char *[]){ "x", "-c", path,
	    "-c", path, NULL }, KIND_LOADGEN, &out, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "-c given more than once");
	ck_assert_int_eq(config_merge_argv(3, (char *[]){ "x", "-c",
	    "/nonexistent/reliabd.conf", NULL }, KIND_LOADGEN, &out, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "/nonexistent/reliabd.conf: No such file or directory");

	/* A bad config names the file and line. */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "[loadgen]\nx-y = 1\n", 18), 18);
	close(fd);
	ck_assert_int_eq(config_merge_argv(3, (char *[]){ "x", "-c", path,
	    NULL }, KIND_LOADGEN, &out, err, sizeof(err)), -1);
	snprintf(opt, sizeof(opt), "%s:2: [loadgen] x-y:", path);
	ck_assert_msg(strncmp(err, opt, strlen(opt)) == 0, "%s", err);
	unlink(path);
}
END_TEST

/* [server] api: a server behind a Toxiproxy API of its own is not on
 * reliabd-proxy, and the scenario worker gets its API and addresses (it
 * creates that proxy); with mode = external it creates them all. */
START_TEST(server_api)
{
	static const char conf[] =
	    "[server m1]\naddress = 127.0.0.1:21211\nupstream = 127.0.0.1:11211\n"
	    "[server m2]\naddress = 127.0.0.1:21212\nupstream = 127.0.0.1:11212\n"
	    "api = 127.0.0.1:28474\n"
	    "[server m3]\naddress = 10.0.0.3:11211\n"
	    "api = 127.0.0.1:18474\n"
	    "[proxy]\napi = 127.0.0.1:18474\nmode = %s\n"
	    "[scenario]\nmetrics = 127.0.0.1:19091\n";
	char text[512], **argv;
	size_t i;
	int m2 = 0, m2api = 0, m1 = 0;

	snprintf(text, sizeof(text), conf, "builtin");
	ck_assert_msg(load(text) == 0, "%s", err);
	ck_assert_str_eq(cfg->servers[1].api, "127.0.0.1:28474");
	ck_assert_str_eq(cfg->servers[0].api, "");
	argv = config_worker_argv(cfg, KIND_PROXY);
	check_argv(argv, (const char *const[]){ "--api=127.0.0.1:18474",
	    "--metrics=127.0.0.1:9092",
	    "--proxy=m1=127.0.0.1:21211,127.0.0.1:11211", NULL });
	config_argv_free(argv);
	argv = config_worker_argv(cfg, KIND_SCENARIO);
	for (i = 0; argv[i]; i++) {
		m1 |= strcmp(argv[i], "--server=m1") == 0;
		m2 |= strcmp(argv[i],
		    "--server=m2=127.0.0.1:21212,127.0.0.1:11212") == 0;
		m2api |= strcmp(argv[i], "--server-api=m2=127.0.0.1:28474") == 0;
		ck_assert_ptr_null(strstr(argv[i], "--proxy-mode"));
		ck_assert_ptr_null(strstr(argv[i], "--server-api=m3"));
	}
	ck_assert(m1 && m2 && m2api);
	config_argv_free(argv);

	snprintf(text, sizeof(text), conf, "external");
	ck_assert_msg(load(text) == 0, "%s", err);
	argv = config_worker_argv(cfg, KIND_SCENARIO);
	m1 = m2 = 0;
	for (i = 0; argv[i]; i++) {
		m1 |= strcmp(argv[i],
		    "--server=m1=127.0.0.1:21211,127.0.0.1:11211") == 0;
		m2 |= strcmp(argv[i], "--proxy-mode=external") == 0;
	}
	ck_assert(m1 && m2);
	config_argv_free(argv);

	ck_assert_int_eq(load("[server m]\naddress = 127.0.0.1:1\n"
	    "api = 127.0.0.1\n"), -1);
	ck_assert_msg(strstr(err, "test.conf:3: [server m] api:") != NULL,
	    "%s", err);
	ck_assert_int_eq(load("[server m]\naddress = 127.0.0.1:1\n"
	    "api = 127.0.0.1:0\n"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_init("test_lib_config", LOG_LVL_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, design_example);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, worker_argv);
	tcase_add_test(tc, merge_argv);
	tcase_add_test(tc, server_api);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
