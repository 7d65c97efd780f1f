/* A run of several clients on its report page, side by side: each
 * client's verdict and figures, the hypothesis with a measured value and
 * result per client, and the chart panels with one chart per client
 * (glue.js draws them). The record's "clients" entries
 * (daemon/scenario/record.c) hold what a one-client record has at its
 * top level; any member may be missing or of another type (a damaged
 * journal line) and shows as "-". */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "html_int.h"

/* A record holds at most 96 checks a client; a damaged one with more
 * shows the first ones, and matching its checks stays cheap. */
#define SIDE_CHECKS_MAX 256

const char *
html_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

size_t
html_clients(const json_t *series, const json_t *record,
    const char **names, size_t max)
{
	const json_t *list, *c;
	int meta;
	size_t i, n = 0;

	list = json_object_get(json_object_get(series, "meta"), "clients");
	meta = json_array_size(list) > 0;
	if (!meta)
		list = json_object_get(record, "clients");
	json_array_foreach(list, i, c) {
		const char *name = meta ? json_string_value(c) :
		    html_str(c, "name");

		if (n == max)
			break;
		names[n++] = name && name[0] ? name : "-";
	}
	return n;
}

void
html_put_check_key(FILE *f, const json_t *c)
{
	fputs(" data-check=\"", f);
	esc_html(f, html_str(c, "check"));
	fputs("\"><td>", f);
	esc_html(f, html_str(c, "check"));
	fputs("</td><td>", f);
	esc_html(f, html_str(c, "phase"));
	fputs("</td><td>", f);
	esc_html(f, json_is_string(json_object_get(c, "server")) ?
	    html_str(c, "server") : "all");
	fputs("</td><td class=\"expected\">", f);
	esc_number(f, json_object_get(c, "expected"));
	fputs("</td>", f);
}

void
html_put_outcome(FILE *f, const json_t *r)
{
	const json_t *fig = json_object_get(r, "figures");

	fputs("<td class=\"result\">", f);
	esc_html(f, html_str(r, "status"));
	fputs("</td><td>", f);
	esc_number(f, json_object_get(fig, "throughput_ratio"));
	fputs("</td><td>", f);
	esc_number(f, json_object_get(fig, "peak_error_rate"));
	fputs("</td><td>", f);
	esc_number(f, json_object_get(fig, "time_to_recover_s"));
	fputs("</td>", f);
}

/* The checks of one client entry (an array, or NULL). */
static const json_t *
checks_of(const json_t *cl)
{
	const json_t *a = json_object_get(cl, "checks");

	return json_is_array(a) ? a : NULL;
}

static int
same_check(const json_t *a, const json_t *b)
{
	const json_t *sa = json_object_get(a, "server");
	const json_t *sb = json_object_get(b, "server");

	return strcmp(html_str(a, "check"), html_str(b, "check")) == 0 &&
	    strcmp(html_str(a, "phase"), html_str(b, "phase")) == 0 &&
	    strcmp(json_is_string(sa) ? json_string_value(sa) : "",
	    json_is_string(sb) ? json_string_value(sb) : "") == 0;
}

/* Client `cl`'s check matching `key`, or NULL. */
static const json_t *
find_check(const json_t *cl, const json_t *key)
{
	const json_t *a = checks_of(cl), *c;
	size_t i;

	json_array_foreach(a, i, c) {
		if (i == SIDE_CHECKS_MAX)
			break;
		if (same_check(c, key))
			return c;
	}
	return NULL;
}

void
html_put_clients(FILE *f, const json_t *record)
{
	const json_t *list = json_object_get(record, "clients"), *c;
	size_t i;

	fputs("<section id=\"clients\"><h2>Clients side by side</h2>\n"
	    "<table id=\"client-verdicts\"><thead><tr><th>client</th>"
	    "<th>verdict</th><th>throughput ratio</th><th>peak error rate"
	    "</th><th>time to recover (s)</th><th>why</th></tr></thead>"
	    "<tbody>\n", f);
	json_array_foreach(list, i, c) {
		if (i == HTML_CLIENTS_MAX)
			break;
		fputs("<tr class=\"", f);
		esc_html(f, html_str(c, "status"));
		fputs("\" data-client=\"", f);
		esc_html(f, html_str(c, "name"));
		fputs("\"><td>", f);
		esc_html(f, html_str(c, "name"));
		fputs("</td>", f);
		html_put_outcome(f, c);
		fputs("<td>", f);
		esc_html(f, html_str(c, "reason"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

/* One row: the check, then each client's measured value and result. */
static void
check_row(FILE *f, const json_t *list, const json_t *key)
{
	const json_t *cl, *c;
	size_t i;

	fputs("<tr class=\"check\"", f);
	html_put_check_key(f, key);
	fputs("<td>", f);
	esc_html(f, html_str(key, "unit"));
	fputs("</td>", f);
	json_array_foreach(list, i, cl) {
		if (i == HTML_CLIENTS_MAX)
			break;
		c = find_check(cl, key);
		fputs("<td class=\"measured\">", f);
		esc_number(f, c ? json_object_get(c, "measured") : NULL);
		fputs("</td><td class=\"result ", f);
		esc_html(f, c ? html_str(c, "result") : "");
		fputs("\" title=\"", f);
		esc_html(f, c ? html_str(c, "why") : "");
		fputs("\">", f);
		esc_html(f, c ? html_str(c, "result") : "-");
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

void
html_put_checks_side(FILE *f, const json_t *record)
{
	const json_t *list = json_object_get(record, "clients"), *cl, *c;
	size_t i, j, k;

	fputs("<table id=\"checks\" class=\"by-client\"><thead><tr><th>check</th>"
	    "<th>phase</th><th>server</th><th>expected</th><th>unit</th>", f);
	json_array_foreach(list, i, cl) {
		if (i == HTML_CLIENTS_MAX)
			break;
		fputs("<th colspan=\"2\" data-client=\"", f);
		esc_html(f, html_str(cl, "name"));
		fputs("\">", f);
		esc_html(f, html_str(cl, "name"));
		fputs(": measured, result</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	/* Every check once, in the order the clients first have it: the
	 * clients are judged on the same expect, and an older or damaged
	 * entry may lack some. */
	json_array_foreach(list, i, cl) {
		if (i == HTML_CLIENTS_MAX)
			break;
		json_array_foreach(checks_of(cl), j, c) {
			int seen = 0;

			if (j == SIDE_CHECKS_MAX)
				break;
			for (k = 0; k < i && !seen; k++)
				seen = find_check(json_array_get(list, k), c) !=
				    NULL;
			for (k = 0; k < j && !seen; k++)
				seen = same_check(json_array_get(checks_of(cl),
				    k), c);
			if (!seen)
				check_row(f, list, c);
		}
	}
	fputs("</tbody></table>\n", f);
}
