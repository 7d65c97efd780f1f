/* A run's time series: the writer (daemon/scenario/series.c) fed fake
 * scrapes on a fake clock, read back by the reader (report/series.c);
 * damage the reader must skip; run ids it must refuse; the bound of a
 * 10-minute run; the directory kept with the journal
 * (series_prune.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "promtext.h"
#include "report/series.h"
#include "series.h"
#include "series_prune.h"

#define START 1800000000.0
#define RUN "20261201T210000Z-ab12-1"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_series.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/series/%s.jsonl", dir, RUN);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *const names[] = {
	"memcache1", "memcache2", "memcache3", "memcache4", "memcache5",
	"memcache6", "memcache7", "memcache8", "memcache9", "memcache10",
	"memcache11", "memcache12", "memcache13", "memcache14", "memcache15",
	"memcache16",
};

/* Scrape i of a client at a steady 5000 ops/s (10 % failed, half of
 * them timeouts), 1500 ops/s per server, half under 1 ms and all under
 * 10 ms; memcache1's breaker open; memcache3 exports no pool. */
static void
fake(struct lg_sample *s, int i, size_t nservers)
{
	sample_init(s);
	s->mono_ms = 5000000 + (uint64_t)i * 200;
	s->wall = START + i * 0.2;
	s->ops_total = i * 1000.0;
	s->failed_total = i * 100.0;
	s->have_err_kind = 1;
	s->err_kind[ERRK_TIMEOUT] = i * 50.0;
	s->err_kind[ERRK_CIRCUIT_OPEN] = i * 50.0;
	s->have_integrity = 1;
	s->integrity_total = i * 2.0;
	for (size_t k = 0; k < nservers; k++) {
		struct sample_server *sv = sample_server(s, names[k], 1);

		ck_assert_ptr_nonnull(sv);
		sv->breaker = k == 0 ? 2 : 0;
		sv->ops = i * 300.0;
		sv->errors = i * 20.0;
		sv->have_errors = 1;
		sv->pool_total = k == 2 ? -1 : 8;
		sv->pool_active = k == 2 ? -1 : 3;
		sv->nbuckets = 3;
		sv->le[0] = 0.001;
		sv->le[1] = 0.01;
		sv->le[2] = INFINITY;
		sv->cum[0] = i * 150.0;
		sv->cum[1] = i * 300.0;
		sv->cum[2] = i * 300.0;
	}
}

static struct series_writer *
open_writer(size_t nservers)
{
	struct series_meta m = {.state_dir = dir, .run = RUN,
		.scenario = "partition", .start = START, .servers = names,
		.nservers = nservers};
	struct series_writer *w = series_writer_open(&m);

	ck_assert_ptr_nonnull(w);
	return w;
}

static json_t *
load_json(size_t *samples)
{
	char err[256] = "";
	struct series *s = series_load(dir, RUN, err, sizeof err);
	json_t *j;

	ck_assert_msg(s != NULL, "series_load: %s", err);
	if (samples)
		*samples = series_samples(s);
	j = series_json(s);
	ck_assert_ptr_nonnull(j);
	series_free(s);
	return j;
}

static double
num(json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	ck_assert_msg(json_is_number(v), "%s.%s.%s is not a number", a,
	    b ? b : "", c ? c : "");
	return json_number_value(v);
}

static void
append_raw(const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, bytes, n), (ssize_t)n);
	close(fd);
}

static void
append_str(const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
}

START_TEST(test_rates_and_quantiles)
{
	struct series_writer *w = open_writer(3);
	struct lg_sample *s = malloc(sizeof *s);
	json_t *j, *smp, *sv;
	size_t n;

	ck_assert_ptr_nonnull(s);
	series_writer_phase(w, START + 0.01, "stabilization");
	for (int i = 0; i < 11; i++) {
		fake(s, i, 3);
		series_writer_sample(w, 0, s);
	}
	series_writer_fault(w, START + 2.05, "apply", "latency", "memcache1",
	    "downstream latency=1000", NULL);
	series_writer_phase(w, START + 2.0, "testing");
	series_writer_fault(w, START + 4.0, "remove", "latency", "memcache1",
	    "downstream latency=1000", "proxy busy");
	series_writer_phase(w, START + 4.0, "recovery");
	series_writer_phase(w, START + 6.0, "done");
	ck_assert_uint_eq(series_writer_nsamples(w), 10);
	series_writer_end(w, START + 6.0, "success");

	j = load_json(&n);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "skipped")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_object_get(j, "meta"), "run")), RUN);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(j,
	    "meta"), "servers")), 3);
	/* The last sample: every figure from the counters' deltas. */
	smp = json_array_get(json_object_get(j, "samples"), 9);
	ck_assert_double_eq_tol(num(smp, "t", NULL, NULL), 2.0, 1e-9);
	ck_assert_double_eq_tol(num(smp, "ops", NULL, NULL), 5000, 1e-6);
	ck_assert_double_eq_tol(num(smp, "err", NULL, NULL), 0.1, 1e-9);
	ck_assert_double_eq_tol(num(smp, "ek", "timeout", NULL), 250, 1e-6);
	ck_assert_double_eq_tol(num(smp, "ek", "circuit_open", NULL), 250,
	    1e-6);
	ck_assert_double_eq_tol(num(smp, "ek", "pool", NULL), 0, 1e-9);
	ck_assert_double_eq_tol(num(smp, "integ", NULL, NULL), 10, 1e-6);
	ck_assert_double_eq_tol(num(smp, "s", "memcache1", "ops"), 1500, 1e-6);
	ck_assert_double_eq_tol(num(smp, "s", "memcache1", "err"), 100, 1e-6);
	/* Half the operations under 1 ms, the rest under 10 ms:
	 * interpolated like histogram_quantile. */
	ck_assert_double_eq_tol(num(smp, "s", "memcache1", "p50"), 1.0, 1e-6);
	ck_assert_double_eq_tol(num(smp, "s", "memcache1", "p99"), 9.82,
	    1e-6);
	ck_assert_int_eq(num(smp, "s", "memcache1", "br"), 2);
	ck_assert_int_eq(num(smp, "s", "memcache2", "br"), 0);
	ck_assert_int_eq(num(smp, "s", "memcache1", "pool"), 8);
	ck_assert_int_eq(num(smp, "s", "memcache1", "active"), 3);
	sv = json_object_get(json_object_get(smp, "s"), "memcache3");
	ck_assert(json_is_null(json_object_get(sv, "pool")));
	ck_assert(json_is_null(json_object_get(sv, "active")));
	/* Phases, faults and the end. */
	ck_assert_uint_eq(json_array_size(json_object_get(j, "phases")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "phases"), 3), "phase")), "done");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "faults")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "faults"), 1), "error")), "proxy busy");
	ck_assert_double_eq_tol(json_number_value(json_object_get(
	    json_array_get(json_object_get(j, "faults"), 0), "t")), 2.05,
	    1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "end"), "status")), "success");
	json_decref(j);
	free(s);
}
END_TEST

/* A client restarted (counters went down), one without histograms,
 * and a scrape from before the run. */
START_TEST(test_unknowns)
{
	struct series_writer *w = open_writer(2);
	struct lg_sample *s = malloc(sizeof *s);
	json_t *j, *smp, *sv;

	ck_assert_ptr_nonnull(s);
	fake(s, -10, 2);
	s->ops_total = s->failed_total = 0;
	series_writer_sample(w, 0, s);     /* the last run's: ignored */
	fake(s, 5, 2);
	series_writer_sample(w, 0, s);     /* the baseline */
	fake(s, 6, 2);
	series_writer_sample(w, 0, s);
	fake(s, 7, 2);
	s->ops_total = 10;              /* restarted */
	s->failed_total = 0;
	s->have_integrity = 0;
	s->have_err_kind = 0;
	s->servers[1].nbuckets = 0;     /* no histogram */
	s->servers[1].breaker = -1;
	series_writer_sample(w, 0, s);
	series_writer_close(w);         /* no end: the worker died */

	j = load_json(NULL);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "samples")), 2);
	ck_assert(json_is_null(json_object_get(j, "end")));
	smp = json_array_get(json_object_get(j, "samples"), 0);
	ck_assert_double_eq_tol(num(smp, "t", NULL, NULL), 1.2, 1e-9);
	ck_assert_double_eq_tol(num(smp, "ops", NULL, NULL), 5000, 1e-6);
	smp = json_array_get(json_object_get(j, "samples"), 1);
	ck_assert(json_is_null(json_object_get(smp, "ops")));
	ck_assert(json_is_null(json_object_get(smp, "err")));
	ck_assert(json_is_null(json_object_get(smp, "integ")));
	ck_assert_ptr_null(json_object_get(smp, "ek"));
	sv = json_object_get(json_object_get(smp, "s"), "memcache2");
	ck_assert(json_is_null(json_object_get(sv, "p99")));
	ck_assert(json_is_null(json_object_get(sv, "ops")));
	ck_assert(json_is_null(json_object_get(sv, "br")));
	ck_assert_double_eq_tol(num(smp, "s", "memcache1", "p99"), 9.82,
	    1e-6);
	json_decref(j);
	free(s);
}
END_TEST

START_TEST(test_damage)
{
	struct series_writer *w = open_writer(3);
	struct lg_sample *s = malloc(sizeof *s);
	char *longline;
	json_t *j;
	size_t n;
	static const char nuls[4096];

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < 4; i++) {
		fake(s, i, 3);
		series_writer_sample(w, 0, s);
	}
	series_writer_close(w);
	/* A block of NULs (ext4 after a power cut), a line over 16 KiB,
	 * garbage, a line of a bad shape, a sample going back in time, then
	 * good lines, and a torn last one. */
	append_raw(nuls, sizeof nuls);
	longline = malloc(SERIES_LINE_MAX + 100);
	ck_assert_ptr_nonnull(longline);
	n = (size_t)snprintf(longline, SERIES_LINE_MAX + 100,
	    "{\"type\":\"phase\",\"t\":1,\"phase\":\"testing\",\"x\":\"");
	memset(longline + n, 'a', SERIES_LINE_MAX);
	memcpy(longline + n + SERIES_LINE_MAX - 3, "\"}\n", 3);
	append_raw(longline, n + SERIES_LINE_MAX);
	free(longline);
	append_raw("garbage\n", 8);
	append_raw("{\"type\":\"sample\",\"t\":5,\"err\":7}\n", 32);
	append_raw("{\"type\":\"sample\",\"t\":0.1}\n", 26);
	append_raw("{\"type\":\"phase\",\"t\":1,\"phase\":\"testing\"}\n", 41);
	append_raw("{\"type\":\"sample\",\"t\":9,\"s\":{\"memcache1\":"
	    "{\"br\":2,\"p99\":null}}}\n", 63);
	append_raw("{\"type\":\"end\",\"t\":9.5,\"status\":\"succ", 35);

	j = load_json(&n);
	ck_assert_uint_eq(n, 4);    /* three written, and the t=9 one */
	ck_assert_uint_eq(json_array_size(json_object_get(j, "phases")), 1);
	/* over-long, garbage, bad err, back in time, torn */
	ck_assert_int_eq(json_integer_value(json_object_get(j, "skipped")), 5);
	ck_assert(json_is_null(json_object_get(j, "end")));
	json_decref(j);
	free(s);
}
END_TEST

/* Two clients in one run: each on lines of its own, its rates from its
 * own counters, their samples interleaved; the reader keeps each
 * client's time order apart, fills in "client" and "clients" for a file
 * from before several clients, and skips a sample of a client the meta
 * does not name. */
START_TEST(test_two_clients)
{
	static const char *const cl[] = {"breaker", "plain"};
	struct series_meta m = {.state_dir = dir, .run = RUN,
		.scenario = "partition", .clients = cl, .nclients = 2,
		.start = START, .servers = names, .nservers = 2};
	struct series_writer *w = series_writer_open(&m);
	struct lg_sample *s = malloc(sizeof *s);
	size_t seen[2] = {0, 0}, i;
	json_t *j, *smp, *meta;
	const char *c;

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(s);
	for (int k = 0; k < 6; k++) {
		fake(s, k, 2);
		series_writer_sample(w, 0, s);
		/* The second client does half the work, scraped 50 ms
		 * earlier: its t is behind the first's. */
		fake(s, k, 2);
		s->ops_total /= 2;
		s->failed_total /= 2;
		s->wall -= 0.05;
		series_writer_sample(w, 1, s);
	}
	series_writer_sample(w, 2, s);  /* no such client: ignored */
	series_writer_end(w, START + 2, "success");
	/* A sample of a client the meta does not name. */
	append_str("{\"type\":\"sample\",\"t\":3,\"client\":\"x\"}\n");

	j = load_json(NULL);
	meta = json_object_get(j, "meta");
	ck_assert_str_eq(json_string_value(json_object_get(meta, "client")),
	    "breaker");
	ck_assert_uint_eq(json_array_size(json_object_get(meta, "clients")),
	    2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    meta, "clients"), 1)), "plain");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "skipped")), 1);
	json_array_foreach(json_object_get(j, "samples"), i, smp) {
		c = json_string_value(json_object_get(smp, "client"));
		ck_assert_ptr_nonnull(c);
		ck_assert_double_eq_tol(num(smp, "ops", NULL, NULL),
		    strcmp(c, "breaker") == 0 ? 5000 : 2500, 1e-6);
		seen[strcmp(c, "breaker") == 0 ? 0 : 1]++;
	}
	/* Each client's first scrape is only its baseline. */
	ck_assert_uint_eq(seen[0], 5);
	ck_assert_uint_eq(seen[1], 5);
	json_decref(j);

	/* A file from before several clients: its meta has no "clients",
	 * its samples no "client". */
	ck_assert_int_eq(unlink(path), 0);
	append_str("{\"type\":\"meta\",\"v\":1,\"run\":\"" RUN "\","
	    "\"scenario\":\"p\",\"start\":1}\n");
	append_str("{\"type\":\"sample\",\"t\":1,\"ops\":5}\n");
	j = load_json(NULL);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    json_object_get(j, "meta"), "clients"), 0)), "default");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "samples"), 0), "client")), "default");
	json_decref(j);
	free(s);
}
END_TEST

START_TEST(test_bad_run_ids)
{
	static const char *const bad[] = {
		"../x", "..", ".", ".hidden", "", "a/b", "a b", "x\n",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct series_meta m = {.scenario = "partition", .start = START,
		.servers = names, .nservers = 3};
	char err[256], other[192];
	struct series_writer *w;
	int fd;

	m.state_dir = dir;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(!series_run_id_ok(bad[i]), "%s accepted", bad[i]);
		ck_assert_ptr_null(series_load(dir, bad[i], err, sizeof err));
		ck_assert_str_eq(err, "not a run id");
		m.run = bad[i];
		ck_assert_ptr_null(series_writer_open(&m));
	}
	ck_assert(series_run_id_ok(RUN));
	ck_assert_ptr_null(series_load(dir, RUN, err, sizeof err));
	ck_assert_str_eq(err, "no series recorded for this run");
	/* A symlink to a file outside is never followed. */
	w = open_writer(1);
	series_writer_end(w, START, "success");
	snprintf(other, sizeof other, "%s/outside.jsonl", dir);
	ck_assert_int_eq(rename(path, other), 0);
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_ptr_null(series_load(dir, RUN, err, sizeof err));
	ck_assert_msg(strstr(err, "symlink") != NULL, "%s", err);
	/* A file of another run under this run's name. */
	ck_assert_int_eq(unlink(path), 0);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	dprintf(fd, "{\"type\":\"meta\",\"v\":1,\"run\":\"other-1\","
	    "\"scenario\":\"x\",\"start\":1}\n");
	close(fd);
	ck_assert_ptr_null(series_load(dir, RUN, err, sizeof err));
	ck_assert_msg(strstr(err, "other-1") != NULL, "%s", err);
	/* No meta line at all. */
	ck_assert_ptr_null(series_parse("{\"type\":\"end\",\"t\":1,"
	    "\"status\":\"success\"}\n", 38, err, sizeof err));
}
END_TEST

START_TEST(test_ten_minutes)
{
	struct stat st;
	struct timespec t0, t1;
	size_t written, samples;
	json_t *j;

	/* 10 minutes of 3 servers, a scrape every 200 ms: every one for
	 * 2 minutes (599 after the baseline), then one a second (480). */
	{
		struct series_writer *w = open_writer(3);
		struct lg_sample *s = malloc(sizeof *s);

		ck_assert_ptr_nonnull(s);
		series_writer_phase(w, START, "stabilization");
		for (int i = 0; i < 3000; i++) {
			fake(s, i, 3);
			series_writer_sample(w, 0, s);
		}
		written = series_writer_nsamples(w);
		series_writer_end(w, START + 600, "success");
		free(s);
	}
	ck_assert_int_eq(stat(path, &st), 0);
	fprintf(stderr, "10 min, 3 servers: %zu samples, %lld bytes\n",
	    written, (long long)st.st_size);
	ck_assert_uint_ge(written, 1075);
	ck_assert_uint_le(written, 1080);
	/* The stated bound (docs/METRICS.md, "Run series"): 4 MiB. */
	ck_assert_int_le(st.st_size, SERIES_WRITER_CAP);
	ck_assert_int_le(st.st_size, 1024 * 1024);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	j = load_json(&samples);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(samples, written);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "skipped")), 0);
	fprintf(stderr, "read back in %.1f ms\n",
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	json_decref(j);
}
END_TEST

/* The worst case: 16 servers for 3 hours stays under the bound, and
 * the end line is still written. */
START_TEST(test_long_run_capped)
{
	struct series_writer *w = open_writer(16);
	struct lg_sample *s = malloc(sizeof *s);
	struct stat st;
	json_t *j;

	ck_assert_ptr_nonnull(s);
	/* Past 10 minutes a scrape a second: the writer keeps one in five
	 * seconds either way, and the test stays short under ASan. */
	for (int i = 0; i < 3 * 3600 * 5; i += i < 3000 ? 1 : 5) {
		fake(s, i, 16);
		series_writer_sample(w, 0, s);
	}
	for (int i = 0; i < 2000; i++)
		series_writer_fault(w, START + 10, i % 2 ? "remove" : "apply",
		    "latency", "memcache1", "downstream latency=1000", NULL);
	series_writer_end(w, START + 3 * 3600, "success");
	ck_assert_int_eq(stat(path, &st), 0);
	fprintf(stderr, "3 h, 16 servers: %lld bytes\n", (long long)st.st_size);
	ck_assert_int_le(st.st_size, SERIES_WRITER_CAP);
	j = load_json(NULL);
	ck_assert(json_is_object(json_object_get(j, "end")));
	json_decref(j);
	free(s);
}
END_TEST

START_TEST(test_promtext_pool_integrity)
{
	static const char text[] =
	    "memcache_operations_total{op=\"get\",status=\"success\"} 10\n"
	    "memcache_pool_connections{server=\"memcache1\",state=\"total\"} 7\n"
	    "memcache_pool_connections{server=\"memcache1\",state=\"active\"} 2\n"
	    "memcache_pool_connections{server=\"memcache1\",state=\"idle\"} 5\n"
	    "memcache_circuit_breaker_state{server=\"memcache2\"} 1\n"
	    "memcache_data_integrity_errors_total{kind=\"corrupt\"} 3\n"
	    "memcache_data_integrity_errors_total{kind=\"stale\"} 4\n";
	struct lg_sample *s = malloc(sizeof *s);
	struct sample_server *sv;

	ck_assert_ptr_nonnull(s);
	sample_init(s);
	ck_assert_int_eq(sample_from_text(text, strlen(text), s), 0);
	ck_assert(s->have_integrity);
	ck_assert_double_eq(s->integrity_total, 7);
	ck_assert(!s->have_err_kind);
	sv = sample_server(s, "memcache1", 0);
	ck_assert_ptr_nonnull(sv);
	ck_assert_double_eq(sv->pool_total, 7);
	ck_assert_double_eq(sv->pool_active, 2);
	sv = sample_server(s, "memcache2", 0);
	ck_assert_double_eq(sv->pool_total, -1);
	ck_assert_double_eq(sv->pool_active, -1);
	ck_assert_double_eq(sv->breaker, 1);
	free(s);
}
END_TEST

static void
touch_series(const char *id, size_t size, time_t mtime)
{
	char p[256];
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	int fd;

	snprintf(p, sizeof p, "%s/series/%s.jsonl", dir, id);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
}

static int
series_exists(const char *name)
{
	char p[256];

	snprintf(p, sizeof p, "%s/series/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int rotations;

static void
on_rotated(const char *d)
{
	rotations++;
	ck_assert_int_ge(series_prune_unjournaled(d), 0);
}

START_TEST(test_prune_with_journal)
{
	char p[256];
	json_t *rec;
	int fd;

	snprintf(p, sizeof p, "%s/series", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	touch_series("old-1", 10, 1000);     /* in journal.jsonl.1 */
	touch_series("cur-1", 10, 1000);     /* in journal.jsonl */
	touch_series("gone-1", 10, 1000);    /* in neither */
	touch_series("new-1", 10, 1000);     /* the record that rotates */
	snprintf(p, sizeof p, "%s/series/notes.txt", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	/* journal.jsonl over the rotation size: it becomes .1 (old-1 is
	 * in the .1 it replaces, so it goes too). */
	snprintf(p, sizeof p, "%s/journal.jsonl.1", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	dprintf(fd, "{\"id\":\"old-1\"}\n");
	close(fd);
	snprintf(p, sizeof p, "%s/journal.jsonl", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	dprintf(fd, "{\"id\":\"cur-1\"}\n\n\n{\"id\":\"bad\n");
	ck_assert_int_eq(ftruncate(fd, JOURNAL_ROTATE_BYTES), 0);
	close(fd);
	journal_on_rotate(on_rotated);
	rec = json_pack("{s:s}", "id", "new-1");
	ck_assert_int_eq(journal_append(dir, rec), 0);
	json_decref(rec);
	journal_on_rotate(NULL);
	ck_assert_int_eq(rotations, 1);
	ck_assert(series_exists("cur-1.jsonl"));
	ck_assert(series_exists("new-1.jsonl"));
	ck_assert(!series_exists("old-1.jsonl"));
	ck_assert(!series_exists("gone-1.jsonl"));
	ck_assert(series_exists("notes.txt"));   /* not ours: left */
}
END_TEST

START_TEST(test_prune_cap)
{
	unsigned long long left;
	char p[256];

	snprintf(p, sizeof p, "%s/series", dir);
	ck_assert_int_eq(series_prune_cap(dir, 100, NULL, &left), 0);
	ck_assert_uint_eq(left, 0);        /* no directory yet */
	ck_assert_int_eq(mkdir(p, 0755), 0);
	touch_series("a-1", 400, 1000);
	touch_series("b-1", 400, 2000);
	touch_series("c-1", 400, 3000);
	touch_series("d-1", 400, 500);     /* the oldest, but kept */
	ck_assert_int_eq(series_prune_cap(dir, 2000, "d-1", &left), 0);
	ck_assert_uint_eq(left, 1600);
	ck_assert_int_eq(series_prune_cap(dir, 900, "d-1", &left), 2);
	ck_assert_uint_eq(left, 800);
	ck_assert(!series_exists("a-1.jsonl"));
	ck_assert(!series_exists("b-1.jsonl"));
	ck_assert(series_exists("c-1.jsonl"));
	ck_assert(series_exists("d-1.jsonl"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scenario_series");
	TCase *tc = tcase_create("series");
	SRunner *sr;
	int failed;

	log_init("test_scenario_series", LOG_LVL_ERROR);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rates_and_quantiles);
	tcase_add_test(tc, test_unknowns);
	tcase_add_test(tc, test_damage);
	tcase_add_test(tc, test_two_clients);
	tcase_add_test(tc, test_bad_run_ids);
	tcase_add_test(tc, test_ten_minutes);
	tcase_add_test(tc, test_long_run_capped);
	tcase_add_test(tc, test_promtext_pool_integrity);
	tcase_add_test(tc, test_prune_with_journal);
	tcase_add_test(tc, test_prune_cap);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
