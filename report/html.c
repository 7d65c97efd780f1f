/* A run's report page (see html.h): the parts written here in HTML (the
 * header, the verdict's hypothesis table, the faults), the panels the
 * charts go in, and the data they are drawn from, as JSON in the page;
 * glue.js draws them with dygraphs' own options. */
#include "html.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "html_int.h"
#include "util.h"

extern const char report_glue_js[];
extern const char report_css[];

/* Nothing leaves the page: no fetch, no image, no font, no form. */
#define REPORT_CSP "default-src 'none'; script-src 'unsafe-inline'; " \
	"style-src 'unsafe-inline'; img-src data:; base-uri 'none'; " \
	"form-action 'none'"

static void
put_time(FILE *f, const json_t *v)
{
	char buf[64];
	struct tm tm;
	double d = json_number_value(v);
	time_t t;

	if (!json_is_number(v) || !(d > 0 && d < 1e11)) {
		fputs("-", f);
		return;
	}
	t = (time_t)d;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		fputs("-", f);
		return;
	}
	fputs(buf, f);
}

static void
put_head(FILE *f, const struct report_page *p, const char *scenario)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<meta http-equiv=\"Content-Security-Policy\" content=\""
	    REPORT_CSP "\">\n", f);
	if (p->refresh_s > 0)
		fprintf(f, "<meta http-equiv=\"refresh\" content=\"%u\">\n",
		    p->refresh_s);
	fputs("<title>reliabd report: ", f);
	esc_html(f, scenario);
	fputs(" ", f);
	esc_html(f, p->run_id);
	fputs("</title>\n<style>", f);
	/* dygraphs' first, so the page's own rules win. */
	if (p->chart_css != NULL)
		fputs(p->chart_css, f);
	fputs(report_css, f);
	fputs("</style></head>\n<body>\n", f);
}

static void
put_summary(FILE *f, const struct report_page *p, const char *scenario)
{
	const json_t *r = p->record;
	const char *status = r ? html_str(r, "status") : "running";

	fputs("<header><h1>", f);
	esc_html(f, scenario[0] ? scenario : "(unknown scenario)");
	fputs(" <small>run ", f);
	esc_html(f, p->run_id);
	fputs("</small></h1>\n<p class=\"verdict\" id=\"verdict\" "
	    "data-status=\"", f);
	esc_html(f, status);
	fputs("\">", f);
	if (r == NULL) {
		fputs("In progress: the run so far.", f);
		if (p->refresh_s > 0)
			fprintf(f, " This page reloads every %u s.",
			    p->refresh_s);
	} else {
		fputs("Verdict: <b>", f);
		esc_html(f, status);
		fputs("</b>", f);
		if (html_str(r, "reason")[0] != '\0') {
			fputs(" &mdash; ", f);
			esc_html(f, html_str(r, "reason"));
		}
	}
	fputs("</p>\n", f);
	if (r != NULL) {
		fputs("<p>Started ", f);
		put_time(f, json_object_get(r, "started"));
		fputs(", ended ", f);
		put_time(f, json_object_get(r, "ended"));
		fputs(".</p>\n", f);
	}
	fputs("</header>\n", f);
}

/* The hypothesis: each check of the record, as the journal has it;
 * several clients' side by side. */
static void
put_checks(FILE *f, const json_t *r, int side)
{
	const json_t *checks = json_object_get(r, "checks"), *c;
	size_t i;

	fputs("<section id=\"hypothesis\"><h2>Hypothesis</h2>\n", f);
	if (r == NULL) {
		fputs("<p class=\"missing\">The run is not over: it is judged "
		    "when it ends.</p></section>\n", f);
		return;
	}
	if (!json_is_array(checks) || json_array_size(checks) == 0) {
		fputs("<p class=\"missing\">This run's record has no checks "
		    "(a run from before checks were recorded, or one that "
		    "ended before any).</p></section>\n", f);
		return;
	}
	if (side) {
		html_put_checks_side(f, r);
		fputs("</section>\n", f);
		return;
	}
	fputs("<table id=\"checks\"><thead><tr><th>check</th><th>phase</th>"
	    "<th>server</th><th>expected</th><th>measured</th><th>unit</th>"
	    "<th>result</th><th>why</th></tr></thead><tbody>\n", f);
	json_array_foreach(checks, i, c) {
		const char *res = html_str(c, "result");

		fputs("<tr class=\"check ", f);
		esc_html(f, res);
		fputs("\"", f);
		html_put_check_key(f, c);
		fputs("<td class=\"measured\">", f);
		esc_number(f, json_object_get(c, "measured"));
		fputs("</td><td>", f);
		esc_html(f, html_str(c, "unit"));
		fputs("</td><td class=\"result\">", f);
		esc_html(f, res);
		fputs("</td><td>", f);
		esc_html(f, html_str(c, "why"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void
put_attrs(FILE *f, const json_t *attrs)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)attrs, k, v) {
		fputs(first ? "" : ", ", f);
		first = 0;
		esc_html(f, k);
		fputs(" ", f);
		if (json_is_string(v))
			esc_html(f, json_string_value(v));
		else
			esc_number(f, v);
	}
}

/* The faults: the record's (first applied, last removed), or for a
 * live run the series' events. */
static void
put_faults(FILE *f, const struct report_page *p)
{
	const json_t *list, *x;
	double t0;
	size_t i;

	fputs("<section id=\"faults\"><h2>Faults</h2>\n", f);
	if (p->record != NULL) {
		list = json_object_get(p->record, "faults");
		t0 = json_number_value(json_object_get(p->record, "started"));
		if (json_array_size(list) == 0) {
			fputs("<p class=\"missing\">No fault was applied.</p>"
			    "</section>\n", f);
			return;
		}
		fputs("<table><thead><tr><th>server</th><th>fault</th>"
		    "<th>stream</th><th>settings</th><th>applied</th>"
		    "<th>removed</th><th>times</th></tr></thead><tbody>\n", f);
		json_array_foreach(list, i, x) {
			const json_t *a = json_object_get(x, "applied");
			const json_t *rm = json_object_get(x, "removed");

			fputs("<tr><td>", f);
			esc_html(f, html_str(x, "server"));
			fputs("</td><td>", f);
			esc_html(f, html_str(x, "type"));
			fputs("</td><td>", f);
			esc_html(f, html_str(x, "stream"));
			fputs("</td><td>", f);
			put_attrs(f, json_object_get(x, "attributes"));
			fputs("</td><td>", f);
			if (json_is_number(a))
				fprintf(f, "%.3f s", json_number_value(a) - t0);
			else
				fputs("-", f);
			fputs("</td><td>", f);
			if (json_is_number(rm))
				fprintf(f, "%.3f s",
				    json_number_value(rm) - t0);
			else
				fputs("-", f);
			fputs("</td><td>", f);
			esc_number(f, json_object_get(x, "applied_count"));
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table></section>\n", f);
		return;
	}
	list = p->series ? json_object_get(p->series, "faults") : NULL;
	if (json_array_size(list) == 0) {
		fputs("<p class=\"missing\">No fault applied so far.</p>"
		    "</section>\n", f);
		return;
	}
	fputs("<table><thead><tr><th>time</th><th>action</th><th>fault</th>"
	    "<th>target</th><th>detail</th></tr></thead><tbody>\n", f);
	json_array_foreach(list, i, x) {
		fputs("<tr><td>", f);
		esc_number(f, json_object_get(x, "t"));
		fputs(" s</td><td>", f);
		esc_html(f, html_str(x, "action"));
		fputs("</td><td>", f);
		esc_html(f, html_str(x, "fault"));
		fputs("</td><td>", f);
		esc_html(f, html_str(x, "target"));
		fputs("</td><td>", f);
		esc_html(f, html_str(x, "detail"));
		if (json_object_get(x, "error") != NULL) {
			fputs(" (failed: ", f);
			esc_html(f, html_str(x, "error"));
			fputs(")", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static const struct {
	const char *id, *title, *what;
} panels[] = {
	{ "ops", "Throughput and errors",
	    "Operations per second (left axis) and the error rate in % "
	    "(right axis), for the whole client." },
	{ "errkind", "Errors by kind",
	    "Errors per second, by what went wrong." },
	{ "latency", "Latency per server",
	    "p50 and p99 in ms over the last second, per server." },
	{ "breaker", "Circuit breakers",
	    "Each server's breaker: closed, half-open or open." },
	{ "pool", "Connection pools",
	    "Connections each server's pool holds." },
	{ "integrity", "Data integrity",
	    "Integrity errors per second (a value read back is not the one "
	    "written)." },
	{ "history", "This scenario's history",
	    "Time to open and time to recover over the scenario's last "
	    "runs." },
};

/* A chart a panel; with several clients, a chart a client side by side
 * (chart-ID-K, K the client's place in the series), the history apart:
 * it is the scenario's. */
static void
put_panels(FILE *f, const char **clients, size_t nclients)
{
	for (size_t i = 0; i < sizeof(panels) / sizeof(panels[0]); i++) {
		int one = nclients < 2 || strcmp(panels[i].id, "history") == 0;

		fprintf(f, "<section class=\"panel\" id=\"panel-%s\"><h2>%s"
		    "</h2><p class=\"what\">%s</p>", panels[i].id,
		    panels[i].title, panels[i].what);
		if (one) {
			fprintf(f, "<div class=\"chart\" id=\"chart-%s\">"
			    "</div></section>\n", panels[i].id);
			continue;
		}
		fputs("<div class=\"side\">", f);
		for (size_t k = 0; k < nclients; k++) {
			fputs("<figure class=\"client\"><figcaption>", f);
			esc_html(f, clients[k]);
			fprintf(f, "</figcaption><div class=\"chart\" "
			    "id=\"chart-%s-%zu\" data-client=\"",
			    panels[i].id, k);
			esc_html(f, clients[k]);
			fputs("\"></div></figure>", f);
		}
		fputs("</div></section>\n", f);
	}
}

/* A history record as the chart needs it. */
static json_t *
history_slim(const json_t *history)
{
	json_t *out = json_array(), *r;
	size_t i;

	if (out == NULL)
		return NULL;
	json_array_foreach((json_t *)history, i, r) {
		const json_t *fig = json_object_get(r, "figures");
		json_t *o = json_pack("{s:s, s:O, s:s, s:O, s:O}", "id",
		    html_str(r, "id"), "started", json_object_get(r, "started") ?
			json_object_get(r, "started") : json_null(),
		    "status", html_str(r, "status"), "time_to_open_s",
		    json_object_get(fig, "time_to_open_s") ?
			json_object_get(fig, "time_to_open_s") : json_null(),
		    "time_to_recover_s",
		    json_object_get(fig, "time_to_recover_s") ?
			json_object_get(fig, "time_to_recover_s") :
			json_null());

		if (o == NULL || json_array_append_new(out, o) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int
put_data(FILE *f, const struct report_page *p)
{
	json_t *d;
	int rc;

	d = json_pack("{s:s, s:O?, s:O?, s:s, s:o?}", "run", p->run_id,
	    "record", p->record, "series", p->series, "series_why",
	    p->series_why ? p->series_why : "",
	    "history", p->history ? history_slim(p->history) : NULL);
	if (d == NULL)
		return -1;
	fputs("<script type=\"application/json\" id=\"report-data\">", f);
	rc = esc_json(f, d);
	fputs("</script>\n", f);
	json_decref(d);
	return rc;
}

/* Closes the stream; the buffer is only valid after fclose. */
static char *
finish(FILE *f, char **buf, size_t *n, size_t *len, int failed)
{
	if (ferror(f))
		failed = 1;
	if (fclose(f) != 0)
		failed = 1;
	if (failed) {
		free(*buf);
		return NULL;
	}
	*len = *n;
	return *buf;
}

char *
report_html(const struct report_page *p, size_t *len)
{
	const char *scenario, *clients[HTML_CLIENTS_MAX];
	char *buf = NULL;
	size_t n = 0, nclients;
	FILE *f;
	int failed = 0, side;

	f = open_memstream(&buf, &n);
	if (f == NULL)
		return NULL;
	scenario = p->record ? html_str(p->record, "scenario") :
	    html_str(json_object_get(p->series, "meta"), "scenario");
	nclients = html_clients(p->series, p->record, clients,
	    sizeof(clients) / sizeof(clients[0]));
	side = json_array_size(json_object_get(p->record, "clients")) > 1;
	put_head(f, p, scenario);
	put_summary(f, p, scenario);
	if (side)
		html_put_clients(f, p->record);
	put_checks(f, p->record, side);
	put_faults(f, p);
	put_panels(f, clients, nclients);
	if (p->chart_js == NULL)
		fputs("<p class=\"missing\" id=\"nolib\">The charting library "
		    "(dygraphs, Debian's libjs-dygraphs) was not installed "
		    "where this page was written: no charts.</p>\n", f);
	if (put_data(f, p) < 0)
		failed = 1;
	if (p->chart_js != NULL) {
		fputs("<script>", f);
		fputs(p->chart_js, f);
		fputs("</script>\n", f);
	}
	fputs("<script>", f);
	fputs(report_glue_js, f);
	fputs("</script>\n<footer>Written by reliabd; this page needs no "
	    "network.</footer>\n</body></html>\n", f);
	return finish(f, &buf, &n, len, failed);
}

char *
report_index_html(const json_t *runs, const json_t *live, size_t *len)
{
	const json_t *r, *v;
	char *buf = NULL;
	size_t n = 0, i;
	FILE *f;

	f = open_memstream(&buf, &n);
	if (f == NULL)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<meta http-equiv=\"Content-Security-Policy\" content=\""
	    REPORT_CSP "\">\n", f);
	if (json_array_size(live) > 0)
		fputs("<meta http-equiv=\"refresh\" content=\"5\">\n", f);
	fputs("<title>reliabd runs</title>\n<style>", f);
	fputs(report_css, f);
	fputs("</style></head>\n<body>\n<h1>reliabd runs</h1>\n", f);
	if (json_array_size(live) > 0) {
		fputs("<h2>In progress</h2><ul id=\"live\">\n", f);
		json_array_foreach((json_t *)live, i, v) {
			fputs("<li><a href=\"/run/", f);
			esc_html(f, json_string_value(v));
			fputs("\">", f);
			esc_html(f, json_string_value(v));
			fputs("</a></li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	if (json_array_size(runs) == 0) {
		fputs("<p class=\"missing\">No run in the journal yet.</p>\n",
		    f);
		return finish(f, &buf, &n, len, 0);
	}
	fputs("<table id=\"runs\"><thead><tr><th>run</th><th>scenario</th>"
	    "<th>started</th><th>verdict</th><th>throughput ratio</th>"
	    "<th>peak error rate</th><th>time to recover (s)</th></tr>"
	    "</thead><tbody>\n", f);
	json_array_foreach((json_t *)runs, i, r) {
		fputs("<tr class=\"", f);
		esc_html(f, html_str(r, "status"));
		fputs("\"><td><a href=\"/run/", f);
		esc_html(f, html_str(r, "id"));
		fputs("\">", f);
		esc_html(f, html_str(r, "id"));
		fputs("</a></td><td>", f);
		esc_html(f, html_str(r, "scenario"));
		fputs("</td><td>", f);
		put_time(f, json_object_get(r, "started"));
		fputs("</td>", f);
		html_put_outcome(f, r);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n</body></html>\n", f);
	return finish(f, &buf, &n, len, 0);
}

char *
report_asset(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf, *cut;
	ssize_t got;
	size_t off = 0;
	int fd;

	fd = open_regular(path, O_RDONLY, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, file_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size > REPORT_JS_MAX) {
		snprintf(err, errlen, "%s: empty or over %d bytes", path,
		    REPORT_JS_MAX);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, (size_t)st.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		off += (size_t)got;
	}
	close(fd);
	buf[off] = '\0';
	if (off == 0 || strlen(buf) != off) {
		snprintf(err, errlen, "%s: short read or a NUL byte", path);
		free(buf);
		return NULL;
	}
	/* A source map is a file the browser would ask for. */
	/* A source map comment (a // or a block comment) goes. */
	cut = strstr(buf, "# sourceMappingURL=");
	if (cut != NULL && cut - buf >= 2 && cut[-2] == '/' &&
	    (cut[-1] == '/' || cut[-1] == '*'))
		cut[-2] = '\0';
	if (strcasestr(buf, "</script") != NULL ||
	    strcasestr(buf, "</style") != NULL ||
	    strstr(buf, "<!--") != NULL) {
		snprintf(err, errlen, "%s: cannot be inlined in a page", path);
		free(buf);
		return NULL;
	}
	return buf;
}
