/* A run's time series written live (see series.h). */
#include "series.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "report/series.h"
#include "sampler.h"
#include "util.h"
#include "verdict.h"

/* Scrapes kept for the quantile window: 1 s at 200 ms, and some slack. */
#define SERIES_HISTORY 8

/* Each client's rates and quantiles are its own: its last sample
 * written and its recent scrapes. */
struct series_client {
	char name[SERIES_NAME_MAX + 1];
	int have_base;
	struct lg_sample base;      /* the last sample written: rates */
	struct lg_sample hist[SERIES_HISTORY]; /* recent scrapes: quantiles */
	size_t hhead, hcount;
};

struct series_writer {
	int fd;                     /* -1 once a write failed */
	char path[PATH_MAX];
	char run[SERIES_RUN_ID_MAX + 1];
	double start;
	size_t bytes, nsamples;
	int full;                   /* samples stopped at the cap */
	size_t nclients;
	struct series_client *clients;
};

/* Rounded so the lines stay short: figures to 1/1000. */
static double
round3(double v)
{
	return round(v * 1000.0) / 1000.0;
}

/* The change of a counter per second; NULL when it went down (the
 * client restarted) or is not known. */
static json_t *
rate(double now, double then, double dt)
{
	if (!(now >= then) || !(dt > 0))
		return json_null();
	return json_real(round3((now - then) / dt));
}

static int
write_line(struct series_writer *w, json_t *o, size_t limit)
{
	char *text;
	size_t n;
	ssize_t r;

	if (!o) {
		log_warn("%s: out of memory: a line is missing", w->run);
		return -1;
	}
	if (w->fd < 0) {
		json_decref(o);
		return -1;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(o);
	if (!text) {
		log_warn("%s: out of memory: a line is missing", w->run);
		return -1;
	}
	n = strlen(text);
	if (n + 1 > SERIES_LINE_MAX || w->bytes + n + 1 > limit) {
		free(text);
		return 1;
	}
	/* The line and its newline in one write: readers see whole
	 * lines. */
	text[n] = '\n';
	do
		r = write(w->fd, text, n + 1);
	while (r < 0 && errno == EINTR);
	free(text);
	if (r != (ssize_t)(n + 1)) {
		log_warn("%s: %s; the series stops here", w->path,
		    r < 0 ? strerror(errno) : "short write");
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	w->bytes += n + 1;
	return 0;
}

struct series_writer *
series_writer_open(const struct series_meta *m)
{
	struct series_writer *w;
	char dir[PATH_MAX];
	json_t *meta, *servers, *clients;

	if (!series_run_id_ok(m->run)) {
		log_warn("%s: not a run id; no series", m->run);
		return NULL;
	}
	if ((size_t)snprintf(dir, sizeof dir, "%s/%s", m->state_dir,
	    SERIES_DIR) >= sizeof dir) {
		log_warn("%s: state directory path too long", m->state_dir);
		return NULL;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		log_warn("%s: %s; no series for %s", dir, strerror(errno),
		    m->run);
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (!w) {
		log_warn("out of memory; no series for %s", m->run);
		return NULL;
	}
	if ((size_t)snprintf(w->path, sizeof w->path, "%s/%s%s", dir, m->run,
	    SERIES_SUFFIX) >= sizeof w->path) {
		log_warn("%s: state directory path too long", m->state_dir);
		free(w);
		return NULL;
	}
	strlcpy_r(w->run, m->run, sizeof w->run);
	w->nclients = m->nclients ? m->nclients : 1;
	if (w->nclients > SERIES_CLIENTS_MAX)
		w->nclients = SERIES_CLIENTS_MAX;
	if (!(w->clients = calloc(w->nclients, sizeof *w->clients))) {
		log_warn("out of memory; no series for %s", m->run);
		free(w);
		return NULL;
	}
	for (size_t i = 0; i < w->nclients; i++)
		strlcpy_r(w->clients[i].name, m->nclients ? m->clients[i] :
		    "default", sizeof w->clients[i].name);
	w->start = m->start;
	w->fd = open_regular(w->path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW, 0644);
	if (w->fd < 0) {
		log_warn("%s: %s; no series for this run", w->path,
		    file_strerror(errno));
		free(w->clients);
		free(w);
		return NULL;
	}
	clients = json_array();
	for (size_t i = 0; clients && i < w->nclients; i++)
		json_array_append_new(clients,
		    json_string(w->clients[i].name));
	servers = json_array();
	for (size_t i = 0; servers && i < m->nservers &&
	    i < SERIES_SERVERS_MAX; i++)
		json_array_append_new(servers, json_string(m->servers[i]));
	/* "client", the first, as before several clients were sampled. */
	meta = json_pack("{s:s,s:i,s:s,s:s,s:f,s:i,s:o,s:s,s:o}", "type",
	    "meta", "v", 1, "run", w->run, "scenario", m->scenario, "start",
	    m->start, "interval_ms", SAMPLER_INTERVAL_MS, "servers", servers,
	    "client", w->clients[0].name, "clients", clients);
	if (write_line(w, meta, SERIES_WRITER_CAP) != 0) {
		series_writer_close(w);
		return NULL;
	}
	return w;
}

const char *
series_writer_run(const struct series_writer *w)
{
	return w->run;
}

size_t
series_writer_bytes(const struct series_writer *w)
{
	return w->bytes;
}

size_t
series_writer_nsamples(const struct series_writer *w)
{
	return w->nsamples;
}

/* The scrape the quantiles are taken from: the newest one at least the
 * window older than `s`, else the oldest kept; NULL if none is older. */
static struct lg_sample *
quantile_base(struct series_client *c, const struct lg_sample *s)
{
	struct lg_sample *oldest = NULL;

	for (size_t k = c->hcount; k-- > 0;) {
		struct lg_sample *h =
		    &c->hist[(c->hhead + k) % SERIES_HISTORY];

		if (h->mono_ms >= s->mono_ms)
			continue;
		if (h->mono_ms + SERIES_QUANTILE_WINDOW_MS <= s->mono_ms)
			return h;
		oldest = h;
	}
	return oldest;
}

static json_t *
quantile_ms(const struct sample_server *base, const struct sample_server *sv,
    double q)
{
	double v = server_quantile(base, sv, q);

	return v < 0 ? json_null() : json_real(round3(v * 1000.0));
}

static json_t *
gauge(double v)
{
	return v < 0 ? json_null() : json_real(round3(v));
}

static json_t *
server_json(struct series_client *c, struct lg_sample *qb,
    struct sample_server *sv, double dt)
{
	struct sample_server *b = sample_server(&c->base, sv->name, 0);
	struct sample_server *q = qb ? sample_server(qb, sv->name, 0) : NULL;
	int hist = sv->nbuckets > 0;

	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "ops", hist && b ? rate(sv->ops, b->ops, dt) : json_null(),
	    "err", sv->have_errors && b ? rate(sv->errors, b->errors, dt) :
	    json_null(),
	    "p50", hist && qb ? quantile_ms(q, sv, 0.5) : json_null(),
	    "p99", hist && qb ? quantile_ms(q, sv, 0.99) : json_null(),
	    "br", sv->breaker < 0 ? json_null() :
	    json_integer((json_int_t)sv->breaker),
	    "pool", gauge(sv->pool_total), "active", gauge(sv->pool_active));
}

static json_t *
sample_json(struct series_client *c, const struct lg_sample *s,
    struct lg_sample *qb, double t)
{
	const struct lg_sample *b = &c->base;
	double dt = (double)(s->mono_ms - b->mono_ms) / 1000.0;
	double dops = s->ops_total - b->ops_total;
	double dfail = s->failed_total - b->failed_total;
	json_t *o, *ek, *sv;

	o = json_pack("{s:s,s:f,s:s,s:o,s:o,s:o}", "type", "sample", "t", t,
	    "client", c->name, "ops", rate(s->ops_total, b->ops_total, dt),
	    "err", dops > 0 && dfail >= 0 && dfail <= dops ?
	    json_real(round(dfail / dops * 1e6) / 1e6) : json_null(),
	    "integ", s->have_integrity ? rate(s->integrity_total,
	    b->integrity_total, dt) : json_null());
	if (!o)
		return NULL;
	if (s->have_err_kind) {
		if (!(ek = json_object()) || json_object_set_new(o, "ek", ek))
			goto nomem;
		for (int k = 0; k < ERRK__COUNT; k++)
			if (json_object_set_new(ek,
			    err_kind_text((enum err_kind)k),
			    rate(s->err_kind[k], b->err_kind[k], dt)))
				goto nomem;
	}
	if (!(sv = json_object()) || json_object_set_new(o, "s", sv))
		goto nomem;
	for (size_t i = 0; i < s->nservers && i < SERIES_SERVERS_MAX; i++) {
		/* sample_server() finds by name without changing a sample
		 * when told not to create: the const is kept. */
		struct sample_server cur = s->servers[i];

		if (json_object_set_new(sv, cur.name,
		    server_json(c, qb, &cur, dt)))
			goto nomem;
	}
	return o;
nomem:
	json_decref(o);
	return NULL;
}

void
series_writer_sample(struct series_writer *w, size_t client,
    const struct lg_sample *s)
{
	struct series_client *c;
	double t = s->wall - w->start;
	uint64_t since, pace;
	struct lg_sample *qb;
	int r;

	/* A scrape queued before this run began is the last run's. */
	if (w->fd < 0 || client >= w->nclients || t < -0.5)
		return;
	if (t < 0)
		t = 0;
	c = &w->clients[client];
	qb = quantile_base(c, s);
	if (!c->have_base) {
		c->base = *s;
		c->have_base = 1;
		goto keep;
	}
	since = s->mono_ms > c->base.mono_ms ? s->mono_ms - c->base.mono_ms :
	    0;
	pace = t * 1000.0 < SERIES_THIN1_AFTER_MS ? 0 :
	    t * 1000.0 < SERIES_THIN2_AFTER_MS ? SERIES_THIN1_MS :
	    SERIES_THIN2_MS;
	/* Half an interval of slack: scrapes are not exactly on time. */
	if (since == 0 || (pace && since + SAMPLER_INTERVAL_MS / 2 < pace) ||
	    w->full)
		goto keep;
	/* The cap is the file's, whatever the clients: several share it. */
	r = write_line(w, sample_json(c, s, qb, round3(t)),
	    SERIES_WRITER_CAP - SERIES_WRITER_RESERVE);
	if (r == 0) {
		w->nsamples++;
		c->base = *s;
	} else if (r > 0) {
		log_warn("%s: the series reached its bound (%d bytes); no "
		    "more samples", w->run,
		    SERIES_WRITER_CAP - SERIES_WRITER_RESERVE);
		w->full = 1;
	}
keep:
	if (c->hcount == SERIES_HISTORY) {
		c->hhead = (c->hhead + 1) % SERIES_HISTORY;
		c->hcount--;
	}
	c->hist[(c->hhead + c->hcount) % SERIES_HISTORY] = *s;
	c->hcount++;
}

static double
since_start(const struct series_writer *w, double wall)
{
	double t = wall - w->start;

	return t < 0 ? 0 : round3(t);
}

void
series_writer_phase(struct series_writer *w, double wall, const char *phase)
{
	write_line(w, json_pack("{s:s,s:f,s:s}", "type", "phase", "t",
	    since_start(w, wall), "phase", phase), SERIES_WRITER_CAP -
	    SERIES_LINE_MAX);
}

void
series_writer_fault(struct series_writer *w, double wall,
    const char *action, const char *fault, const char *target,
    const char *detail, const char *error)
{
	json_t *o = json_pack("{s:s,s:f,s:s,s:s,s:s}", "type", "fault", "t",
	    since_start(w, wall), "action", action, "fault", fault, "target",
	    target);

	if (o && detail && *detail)
		json_object_set_new(o, "detail", json_string(detail));
	if (o && error && *error)
		json_object_set_new(o, "error", json_string(error));
	write_line(w, o, SERIES_WRITER_CAP - SERIES_LINE_MAX);
}

void
series_writer_end(struct series_writer *w, double wall, const char *status)
{
	if (!w)
		return;
	write_line(w, json_pack("{s:s,s:f,s:s}", "type", "end", "t",
	    since_start(w, wall), "status", status), SERIES_WRITER_CAP);
	/* The run is over: its picture survives a power cut, like its
	 * journal record. */
	if (w->fd >= 0 && fdatasync(w->fd) != 0)
		log_warn("%s: fdatasync: %s", w->path, strerror(errno));
	series_writer_close(w);
}

void
series_writer_close(struct series_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->clients);
	free(w);
}
