/* The report pages (report/html.c) and their paths (daemon/web_path.c):
 * hostile names escaped in HTML and in the page's script data, a page
 * for every kind of missing data, the hypothesis table as the record
 * has it, the live page's refresh, the runs list, an asset that could
 * end its element refused, and request paths (../, too long, bad chars)
 * refused before any file name is made. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/html.h"
#include "web.h"

#define EVIL "</script><script>alert(1)</script><!--"

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static json_t *
record(void)
{
	json_t *r = json_loads("{\"id\":\"r-1\",\"scenario\":\"x\","
	    "\"status\":\"failed\",\"reason\":\"r\",\"started\":1796150878.0,"
	    "\"ended\":1796150928.0,\"checks\":[{\"check\":"
	    "\"throughput_min_ratio\",\"phase\":\"testing\",\"server\":null,"
	    "\"expected\":0.5,\"measured\":0.579735,\"unit\":\"ratio\","
	    "\"result\":\"passed\",\"why\":\"\"},{\"check\":\"recovers_within\","
	    "\"phase\":\"recovery\",\"server\":\"memcache1\",\"expected\":30,"
	    "\"measured\":null,\"unit\":\"s\",\"result\":\"not_judged\","
	    "\"why\":\"w\"}],\"faults\":[],\"figures\":{\"time_to_open_s\":"
	    "{\"memcache1\":1.5},\"time_to_recover_s\":0.8}}", 0, NULL);

	ck_assert_ptr_nonnull(r);
	return r;
}

static json_t *
series(void)
{
	json_t *s = json_loads("{\"meta\":{\"run\":\"r-1\",\"scenario\":\"x\","
	    "\"servers\":[\"memcache1\"]},\"samples\":[{\"t\":0.2,\"ops\":10,"
	    "\"err\":0,\"s\":{\"memcache1\":{\"p50\":1,\"p99\":2,\"br\":0,"
	    "\"pool\":4}}}],\"phases\":[{\"t\":0,\"phase\":\"stabilization\"}],"
	    "\"faults\":[{\"t\":0.1,\"action\":\"apply\",\"fault\":\"latency\","
	    "\"target\":\"memcache1\",\"detail\":\"1000 ms\"}],\"end\":null,"
	    "\"skipped\":0}", 0, NULL);

	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(escaped)
{
	json_t *r = record(), *s = series(), *h = json_array();
	struct report_page p = { .run_id = "r-1", .chart_js = "/*lib*/" };
	size_t len;
	char *html;

	json_object_set_new(r, "scenario", json_string(EVIL));
	json_object_set_new(r, "reason", json_string(EVIL "&\"'"));
	json_object_set_new(json_array_get(json_object_get(r, "checks"), 0),
	    "why", json_string(EVIL));
	json_object_set_new(json_array_get(json_object_get(s, "faults"), 0),
	    "detail", json_string(EVIL));
	json_array_append(h, r);
	p.record = r;
	p.series = s;
	p.history = h;
	html = report_html(&p, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_uint_eq(len, strlen(html));
	/* Three script elements end: the data, dygraphs, the glue. */
	ck_assert_uint_eq(count(html, "</script"), 3);
	ck_assert_uint_eq(count(html, "<script"), 3);
	ck_assert_uint_eq(count(html, "<!--"), 0);
	ck_assert_ptr_null(strstr(html, "alert(1)</"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;/script&gt;&lt;script&gt;"));
	/* In the data, as \u escapes that JSON.parse reads back. */
	ck_assert_ptr_nonnull(strstr(html, "\\u003c/script\\u003e"));
	ck_assert_ptr_nonnull(strstr(html, "&amp;&quot;&#39;"));
	/* The CSP, before anything else could load. */
	ck_assert_ptr_nonnull(strstr(html, "Content-Security-Policy"));
	ck_assert(strstr(html, "default-src 'none'") <
	    strstr(html, "<script"));
	free(html);
	json_decref(r);
	json_decref(s);
	json_decref(h);
}
END_TEST

START_TEST(checks_table)
{
	json_t *r = record();
	struct report_page p = { .run_id = "r-1", .record = r };
	size_t len;
	char *html = report_html(&p, &len);

	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(strstr(html, "<table id=\"checks\">"));
	ck_assert_ptr_nonnull(strstr(html, "data-check=\"throughput_min_ratio"
	    "\"><td>throughput_min_ratio</td><td>testing</td><td>all</td>"
	    "<td class=\"expected\">0.5</td><td class=\"measured\">0.579735"
	    "</td><td>ratio</td><td class=\"result\">passed</td>"));
	/* A measure the record does not have is "-", never 0. */
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"expected\">30</td>"
	    "<td class=\"measured\">-</td>"));
	ck_assert_ptr_nonnull(strstr(html, "data-status=\"failed\""));
	/* No refresh on a finished run's page. */
	ck_assert_ptr_null(strstr(html, "http-equiv=\"refresh\""));
	free(html);
	json_decref(r);
}
END_TEST

/* Several clients: their verdicts and figures a row each, one row a
 * check with each client's measured value and result (a check only one
 * client has shows "-" for the other), and a chart a client in every
 * panel but the history, named by the series' clients; a hostile client
 * name escaped everywhere. */
START_TEST(side_by_side)
{
	json_t *r = record(), *s = series(), *a, *b, *cl;
	struct report_page p = { .run_id = "r-1", .chart_js = "/*lib*/" };
	size_t len;
	char *html;

	a = json_deep_copy(r);
	b = json_deep_copy(r);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	json_object_set_new(a, "name", json_string("breaker"));
	json_object_set_new(b, "name", json_string(EVIL));
	json_object_set_new(b, "status", json_string("success"));
	json_object_set_new(json_object_get(b, "figures"), "throughput_ratio",
	    json_real(0.25));
	json_object_set_new(json_array_get(json_object_get(b, "checks"), 0),
	    "measured", json_real(0.125));
	json_object_set_new(json_array_get(json_object_get(b, "checks"), 0),
	    "result", json_string("failed"));
	json_array_remove(json_object_get(b, "checks"), 1);
	cl = json_pack("[o,o]", a, b);
	ck_assert_ptr_nonnull(cl);
	json_object_set_new(r, "clients", cl);
	json_object_set_new(json_object_get(s, "meta"), "clients",
	    json_pack("[s,s]", "breaker", EVIL));
	p.record = r;
	p.series = s;
	html = report_html(&p, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_uint_eq(count(html, "</script"), 3);
	ck_assert_uint_eq(count(html, "<!--"), 0);
	ck_assert_ptr_nonnull(strstr(html, "<table id=\"client-verdicts\">"));
	ck_assert_ptr_nonnull(strstr(html, "<tr class=\"failed\" "
	    "data-client=\"breaker\"><td>breaker</td><td class=\"result\">"
	    "failed</td><td>-</td>"));
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"result\">success"
	    "</td><td>0.25</td>"));
	/* Two checks, a row each, each client's figure in its columns. */
	ck_assert_uint_eq(count(html, "<tr class=\"check\" data-check="), 2);
	ck_assert_ptr_nonnull(strstr(html, "<td>ratio</td><td class=\"measured"
	    "\">0.579735</td><td class=\"result passed\" title=\"\">passed"
	    "</td><td class=\"measured\">0.125</td><td class=\"result failed"
	    "\" title=\"\">failed</td></tr>"));
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"measured\">-</td>"
	    "<td class=\"result \" title=\"\">-</td></tr>"));
	/* A chart a client, the history once. */
	ck_assert_ptr_null(strstr(html, "id=\"chart-ops\""));
	ck_assert_ptr_nonnull(strstr(html, "id=\"chart-ops-0\" "
	    "data-client=\"breaker\""));
	ck_assert_ptr_nonnull(strstr(html, "id=\"chart-latency-1\""));
	ck_assert_ptr_null(strstr(html, "id=\"chart-history-0\""));
	ck_assert_ptr_nonnull(strstr(html, "id=\"chart-history\""));
	ck_assert_ptr_null(strstr(html, "<script><script>"));
	free(html);
	/* Live (no record yet): a chart a client from the series, no
	 * verdicts to show. */
	p.record = NULL;
	html = report_html(&p, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(strstr(html, "id=\"chart-ops-1\""));
	ck_assert_ptr_null(strstr(html, "client-verdicts"));
	free(html);
	json_decref(r);
	json_decref(s);
}
END_TEST

START_TEST(missing)
{
	static const char *const charts[] = { "ops", "errkind", "latency",
		"breaker", "pool", "integrity", "history" };
	json_t *r = record();
	struct report_page p = { .run_id = "r-1", .record = r,
		.series_why = "no series recorded for this run" };
	char id[64], *html;
	size_t len;

	json_object_del(r, "checks");
	html = report_html(&p, &len);
	ck_assert_ptr_nonnull(html);
	/* Every panel is there to say why it has no chart. */
	for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		snprintf(id, sizeof(id), "id=\"chart-%s\"", charts[i]);
		ck_assert_ptr_nonnull(strstr(html, id));
	}
	ck_assert_ptr_nonnull(strstr(html, "has no checks"));
	ck_assert_ptr_nonnull(strstr(html, "\"series\":null"));
	ck_assert_ptr_nonnull(strstr(html, "no series recorded for this run"));
	/* No library: the page says so instead of charts. */
	ck_assert_ptr_nonnull(strstr(html, "id=\"nolib\""));
	ck_assert_uint_eq(count(html, "<script"), 2);
	free(html);
	json_decref(r);
}
END_TEST

START_TEST(live_page)
{
	json_t *s = series();
	struct report_page p = { .run_id = "r-1", .series = s,
		.refresh_s = 2 };
	size_t len;
	char *html = report_html(&p, &len);

	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(strstr(html,
	    "<meta http-equiv=\"refresh\" content=\"2\">"));
	ck_assert_ptr_nonnull(strstr(html, "data-status=\"running\""));
	ck_assert_ptr_nonnull(strstr(html, "judged when it ends"));
	/* The faults so far, from the series. */
	ck_assert_ptr_nonnull(strstr(html, "<td>latency</td>"));
	free(html);
	json_decref(s);
}
END_TEST

START_TEST(index_page)
{
	json_t *runs = json_array(), *inprog = json_array(), *r = record();
	size_t len;
	char *html;

	json_object_set_new(r, "id", json_string("new-2"));
	json_object_set_new(r, "scenario", json_string(EVIL));
	json_array_append_new(runs, r);
	json_object_set_new(r = record(), "id", json_string("old-1"));
	json_array_append_new(runs, r);
	json_array_append_new(inprog, json_string("live-3"));
	html = report_index_html(runs, inprog, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_ptr_nonnull(strstr(html, "href=\"/run/live-3\""));
	ck_assert(strstr(html, "href=\"/run/new-2\"") <
	    strstr(html, "href=\"/run/old-1\""));
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;/script&gt;"));
	free(html);
	json_decref(runs);
	json_decref(inprog);
}
END_TEST

static char *
asset_from(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/test_report_page.XXXXXX";
	int fd = mkstemp(path);
	char *out;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	out = report_asset(path, err, errlen);
	unlink(path);
	return out;
}

START_TEST(assets)
{
	char err[256], *a;

	a = asset_from("var a=1;\n//# sourceMappingURL=x.js.map\n", err,
	    sizeof(err));
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, "var a=1;\n");
	free(a);
	a = asset_from(".x{}\n/*# sourceMappingURL=x.css.map */", err,
	    sizeof(err));
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a, ".x{}\n");
	free(a);
	ck_assert_ptr_null(asset_from("var s='</SCRIPT>';", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot be inlined"));
	ck_assert_ptr_null(asset_from("a</style>", err, sizeof(err)));
	ck_assert_ptr_null(asset_from("", err, sizeof(err)));
	ck_assert_ptr_null(report_asset("/nonexistent/dygraph.js", err,
	    sizeof(err)));
}
END_TEST

START_TEST(paths)
{
	char id[65], lng[80];

	ck_assert_int_eq(web_path("/", id, sizeof(id)), WEB_INDEX);
	ck_assert_int_eq(web_path("/run/20261201T184758Z-78c1-1", id,
	    sizeof(id)), WEB_RUN);
	ck_assert_str_eq(id, "20261201T184758Z-78c1-1");
	ck_assert_int_eq(web_path("/runs/a.b_c", id, sizeof(id)), WEB_RUN);
	ck_assert_int_eq(web_path("/run/../../etc/passwd", id, sizeof(id)),
	    WEB_BAD);
	ck_assert_int_eq(web_path("/run/..", id, sizeof(id)), WEB_BAD);
	ck_assert_int_eq(web_path("/run/.hidden", id, sizeof(id)), WEB_BAD);
	ck_assert_int_eq(web_path("/run/", id, sizeof(id)), WEB_BAD);
	ck_assert_int_eq(web_path("/run/a/b", id, sizeof(id)), WEB_BAD);
	ck_assert_int_eq(web_path("/run/a b", id, sizeof(id)), WEB_BAD);
	memset(lng, 'a', sizeof(lng));
	memcpy(lng, "/run/", 5);
	lng[5 + 64] = '\0';
	ck_assert_int_eq(web_path(lng, id, sizeof(id)), WEB_RUN);
	lng[5 + 64] = 'a';
	lng[5 + 65] = '\0';
	ck_assert_int_eq(web_path(lng, id, sizeof(id)), WEB_BAD);
	ck_assert_int_eq(web_path("/runx", id, sizeof(id)), WEB_NOT_FOUND);
	ck_assert_int_eq(web_path("/etc/passwd", id, sizeof(id)),
	    WEB_NOT_FOUND);
	ck_assert_int_eq(web_path(NULL, id, sizeof(id)), WEB_NOT_FOUND);
	ck_assert_str_eq(web_route_text(WEB_BAD), "bad");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report_page");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escaped);
	tcase_add_test(tc, checks_table);
	tcase_add_test(tc, side_by_side);
	tcase_add_test(tc, missing);
	tcase_add_test(tc, live_page);
	tcase_add_test(tc, index_page);
	tcase_add_test(tc, assets);
	tcase_add_test(tc, paths);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
