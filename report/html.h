/* A run's report as one self-contained HTML page: the verdict and its
 * hypothesis table, the faults, and charts drawn by dygraphs (inlined)
 * from the run's series; and the list of runs reliabd serves at `/`.
 * The pages make no network request (a Content-Security-Policy forbids
 * every one), so a report works mailed or attached to a ticket. */
#ifndef RELIABD_REPORT_HTML_H
#define RELIABD_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>

/* Where Debian's libjs-dygraphs puts the library (configure may say
 * otherwise). */
#ifndef DYGRAPHS_JS
#define DYGRAPHS_JS "/usr/share/javascript/dygraphs/dygraph.min.js"
#endif
#ifndef DYGRAPHS_CSS
#define DYGRAPHS_CSS "/usr/share/javascript/dygraphs/dygraph.min.css"
#endif
#define REPORT_JS_MAX (4 * 1024 * 1024)
/* The runs of the scenario the history chart shows. */
#define REPORT_HISTORY_MAX 30

struct report_page {
	const char *run_id;
	const json_t *record;   /* the journal's record; NULL: a live run */
	const json_t *series;   /* series_json(), or NULL */
	const char *series_why; /* when series is NULL: why */
	const json_t *history;  /* the scenario's last records, oldest first */
	const char *chart_js;   /* dygraphs' code; NULL: no charts, said so */
	const char *chart_css;  /* dygraphs' style sheet, or NULL */
	unsigned refresh_s;     /* a live page reloads itself; 0: never */
};

/* The page (malloc'd, NUL-terminated, *len its length), or NULL on no
 * memory. Every string from a record or series is escaped, in HTML and
 * in the page's script data alike. */
char *report_html(const struct report_page *p, size_t *len);

/* The list of runs: `runs` newest first (journal records), `live` the
 * run ids in progress (or NULL). Links are /run/ID. */
char *report_index_html(const json_t *runs, const json_t *live,
    size_t *len);

/* A file to inline (dygraphs' code or style sheet: DYGRAPHS_JS,
 * DYGRAPHS_CSS), at most REPORT_JS_MAX bytes, its source map comment
 * cut; malloc'd, or NULL with err (also when it could end its element
 * early: "</script", "</style", "<!--"). */
char *report_asset(const char *path, char *err, size_t errlen);

#endif
