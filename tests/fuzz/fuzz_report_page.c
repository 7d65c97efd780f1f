/* libFuzzer target: reliabd's page requests and pages. Input starting
 * with '/' is a request path (daemon/web_path.c): a run id it accepts is
 * a plain file name (no '/', not starting with '.', at most 64 bytes).
 * Any other input is a journal record (report/html.c renders any JSON a
 * journal line could hold, also as the history and the series): the page
 * must never end a script element early, whatever the strings hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
path(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), id[65];

	if (url == NULL)
		return;
	memcpy(url, data, size);
	url[size] = '\0';
	if (web_path(url, id, sizeof(id)) == WEB_RUN &&
	    (strchr(id, '/') != NULL || id[0] == '.' || id[0] == '\0' ||
		strlen(id) > 64))
		abort();
	free(url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_page p = { .run_id = "r", .chart_js = "/*lib*/",
		.refresh_s = 2 };
	json_t *v, *h;
	size_t len;
	char *html;

	if (size > 0 && data[0] == '/') {
		path(data, size);
		return 0;
	}
	v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		return 0;
	h = json_array();
	json_array_append(h, v);
	p.record = json_is_object(v) ? v : NULL;
	p.series = v;
	p.history = h;
	html = report_html(&p, &len);
	if (html != NULL && (count(html, "</script") != 3 ||
	    count(html, "<!--") != 0))
		abort();
	free(html);
	html = report_index_html(h, h, &len);
	if (html != NULL && strstr(html, "<script") != NULL)
		abort();
	free(html);
	json_decref(h);
	json_decref(v);
	return 0;
}
