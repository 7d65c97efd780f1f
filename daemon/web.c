/* reliabd's report pages (see web.h). Called on libmicrohttpd's thread:
 * it reads the journal (journal.c, bounded) and a run's series
 * (report/series.c, bounded, never through a symlink) and renders
 * (report/html.c); it touches nothing the event loop owns. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "reliabd.h"
#include "report/html.h"
#include "report/series.h"
#include "scenario/journal.h"
#include "util.h"
#include "web.h"

/* A live run's page reloads this often. */
#define WEB_REFRESH_S 2
/* `/` lists this many runs; a report's history looks this far back. */
#define WEB_INDEX_RUNS 100
#define WEB_HISTORY_SCAN 500
/* A series file written to this recently, with no record yet, is a run
 * in progress (the worker appends a sample every 200 ms to 1 s). */
#define WEB_LIVE_AGE_S 15
#define WEB_LIVE_SCAN 4096

static char web_state_dir[CONFIG_VALUE_MAX];
/* The last finished run's page, kept while its journal and series files
 * are unchanged: a burst of requests for a long run's page (500 at
 * once) costs one rendering, not one each. */
static struct {
	pthread_mutex_t lock;
	char id[SERIES_RUN_ID_MAX + 1];
	struct stat journal, series;
	char *body;
	size_t len;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };
static pthread_once_t js_once = PTHREAD_ONCE_INIT;
static char *js_code, *css_code;

int
web_init(const char *state_dir)
{
	if (strlcpy_r(web_state_dir, state_dir, sizeof(web_state_dir)) >=
	    sizeof(web_state_dir)) {
		log_error("state directory name too long");
		return -1;
	}
	return 0;
}

/* dygraphs is read once; without it the pages say there are no
 * charts. */
static void
js_load(void)
{
	char err[256];

	js_code = report_asset(DYGRAPHS_JS, err, sizeof(err));
	if (js_code == NULL)
		log_warn("report pages without charts: %s", err);
	css_code = report_asset(DYGRAPHS_CSS, err, sizeof(err));
	if (css_code == NULL)
		log_warn("report pages without dygraphs' style sheet: %s",
		    err);
}

static unsigned
text(char **body, size_t *len, const char **type, unsigned status,
    const char *msg)
{
	*body = strdup(msg);
	*len = *body ? strlen(*body) : 0;
	*type = "text/plain; charset=utf-8";
	return status;
}

static int
in_list(const json_t *runs, const char *id)
{
	const json_t *r;
	size_t i;

	json_array_foreach((json_t *)runs, i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")) ?
			json_string_value(json_object_get(r, "id")) : "",
			id) == 0)
			return 1;
	return 0;
}

/* Runs in progress: fresh series files the journal does not hold. */
static json_t *
live_runs(const json_t *runs)
{
	char path[CONFIG_VALUE_MAX + 128], id[SERIES_RUN_ID_MAX + 8];
	json_t *live = json_array();
	struct dirent *de;
	struct stat st;
	double now = now_wall();
	size_t seen = 0, n;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", web_state_dir, SERIES_DIR);
	dir = opendir(path);
	if (dir == NULL || live == NULL) {
		if (dir)
			closedir(dir);
		return live;
	}
	while ((de = readdir(dir)) != NULL && seen++ < WEB_LIVE_SCAN) {
		n = strlen(de->d_name);
		if (n <= strlen(SERIES_SUFFIX) ||
		    n - strlen(SERIES_SUFFIX) >= sizeof(id) ||
		    strcmp(de->d_name + n - strlen(SERIES_SUFFIX),
			SERIES_SUFFIX) != 0)
			continue;
		memcpy(id, de->d_name, n - strlen(SERIES_SUFFIX));
		id[n - strlen(SERIES_SUFFIX)] = '\0';
		if (!series_run_id_ok(id) ||
		    fstatat(dirfd(dir), de->d_name, &st,
			AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) ||
		    now - (double)st.st_mtime > WEB_LIVE_AGE_S ||
		    in_list(runs, id))
			continue;
		if (json_array_size(live) < 8)
			json_array_append_new(live, json_string(id));
	}
	closedir(dir);
	return live;
}

static unsigned
page_index(char **body, size_t *len, const char **type)
{
	char err[256] = "";
	json_t *runs, *newest, *live;
	size_t skipped, i;

	runs = journal_last(web_state_dir, WEB_INDEX_RUNS, &skipped, err,
	    sizeof(err));
	if (runs == NULL)
		return text(body, len, type, 500, err[0] ? err :
		    "cannot read the journal");
	newest = json_array();
	for (i = json_array_size(runs); newest && i > 0; i--)
		json_array_append(newest, json_array_get(runs, i - 1));
	live = live_runs(runs);
	*body = newest ? report_index_html(newest, live, len) : NULL;
	*type = "text/html; charset=utf-8";
	json_decref(runs);
	json_decref(newest);
	json_decref(live);
	return 200;
}

/* The scenario's last runs, oldest first. */
static json_t *
history_of(const char *scenario)
{
	char err[256];
	size_t skipped, i;
	json_t *all, *out = json_array(), *r;

	all = journal_last(web_state_dir, WEB_HISTORY_SCAN, &skipped, err,
	    sizeof(err));
	if (all == NULL || out == NULL) {
		json_decref(all);
		return out;
	}
	json_array_foreach(all, i, r) {
		const char *sc = json_string_value(json_object_get(r,
		    "scenario"));

		if (sc != NULL && strcmp(sc, scenario) == 0)
			json_array_append(out, r);
	}
	json_decref(all);
	while (json_array_size(out) > REPORT_HISTORY_MAX)
		json_array_remove(out, 0);
	return out;
}

/* What a finished run's page is made of, as it is now. */
static void
page_key(const char *rid, struct stat *journal, struct stat *series)
{
	char path[CONFIG_VALUE_MAX + 128];

	memset(journal, 0, sizeof(*journal));
	memset(series, 0, sizeof(*series));
	snprintf(path, sizeof(path), "%s/%s", web_state_dir, JOURNAL_FILE);
	(void)stat(path, journal);
	snprintf(path, sizeof(path), "%s/%s/%s%s", web_state_dir, SERIES_DIR,
	    rid, SERIES_SUFFIX);
	(void)lstat(path, series);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A copy of the cached page of rid if it is current, else NULL. */
static char *
cache_get(const char *rid, const struct stat *journal,
    const struct stat *series, size_t *len)
{
	char *out = NULL;

	pthread_mutex_lock(&cache.lock);
	if (cache.body != NULL && strcmp(cache.id, rid) == 0 &&
	    same_file(&cache.journal, journal) &&
	    same_file(&cache.series, series) &&
	    (out = malloc(cache.len + 1)) != NULL) {
		memcpy(out, cache.body, cache.len + 1);
		*len = cache.len;
	}
	pthread_mutex_unlock(&cache.lock);
	return out;
}

static void
cache_put(const char *rid, const struct stat *journal,
    const struct stat *series, const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return;
	memcpy(copy, body, len + 1);
	pthread_mutex_lock(&cache.lock);
	free(cache.body);
	cache.body = copy;
	cache.len = len;
	strlcpy_r(cache.id, rid, sizeof(cache.id));
	cache.journal = *journal;
	cache.series = *series;
	pthread_mutex_unlock(&cache.lock);
}

static unsigned
page_run(const char *id, char **body, size_t *len, const char **type)
{
	struct stat jst, sst;
	struct report_page p;
	struct series *s = NULL;
	json_t *record, *sj = NULL, *history = NULL;
	char err[256] = "", serr[256] = "";
	const char *rid = id, *scenario;

	memset(&p, 0, sizeof(p));
	record = journal_find(web_state_dir, id, err, sizeof(err));
	/* A prefix finds the record: its series is the whole id's. */
	if (record != NULL && json_is_string(json_object_get(record, "id")) &&
	    series_run_id_ok(json_string_value(json_object_get(record,
		"id"))))
		rid = json_string_value(json_object_get(record, "id"));
	if (record != NULL) {
		page_key(rid, &jst, &sst);
		*body = cache_get(rid, &jst, &sst, len);
		if (*body != NULL) {
			*type = "text/html; charset=utf-8";
			json_decref(record);
			return 200;
		}
	}
	s = series_load(web_state_dir, rid, serr, sizeof(serr));
	if (record == NULL && s == NULL)
		return text(body, len, type, 404, "no such run; / lists the "
		    "runs\n");
	if (s != NULL)
		sj = series_json(s);
	scenario = record ? json_string_value(json_object_get(record,
	    "scenario")) : json_string_value(json_object_get(
	    json_object_get(sj, "meta"), "scenario"));
	if (scenario != NULL)
		history = history_of(scenario);
	pthread_once(&js_once, js_load);
	p.run_id = rid;
	p.record = record;
	p.series = sj;
	p.series_why = s ? NULL : serr;
	p.history = history;
	p.chart_js = js_code;
	p.chart_css = css_code;
	p.refresh_s = record == NULL ? WEB_REFRESH_S : 0;
	*body = report_html(&p, len);
	*type = "text/html; charset=utf-8";
	if (record != NULL && *body != NULL)
		cache_put(rid, &jst, &sst, *body, *len);
	json_decref(record);
	json_decref(sj);
	json_decref(history);
	series_free(s);
	return 200;
}

unsigned
web_page(void *arg, const char *url, char **body, size_t *len,
    const char **type)
{
	char id[SERIES_RUN_ID_MAX + 1];

	(void)arg;
	switch (web_path(url, id, sizeof(id))) {
	case WEB_INDEX:
		return page_index(body, len, type);
	case WEB_RUN:
		return page_run(id, body, len, type);
	case WEB_BAD:
		return text(body, len, type, 400, "bad run id: letters, "
		    "digits, '.', '_' and '-', at most 64, not starting with "
		    "'.'\n");
	case WEB_NOT_FOUND:
		break;
	}
	return text(body, len, type, 404, "not found; try / (the runs), "
	    "/run/ID or /metrics\n");
}
