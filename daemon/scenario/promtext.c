/* Prometheus text format 0.0.4, read back: only what a scrape needs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"
#include "util.h"

static int
name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && c >= '0' && c <= '9');
}

static int
parse_value(const char *p, const char *end, double *out)
{
	char buf[64];
	size_t n = (size_t)(end - p);
	char *e;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "Inf") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (strcmp(buf, "-Inf") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (strcmp(buf, "NaN") == 0) {
		*out = NAN;
		return 0;
	}
	*out = strtod(buf, &e);
	if (e == buf || *e != '\0')
		return -1;
	return 0;
}

/* One line, without its newline. 0 parsed, 1 skipped (comment or blank),
 * -1 not understood. */
static int
parse_line(const char *p, const char *end, struct prom_series *s)
{
	size_t n = 0;
	const char *v;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 1;
	if (!name_char(*p, 1))
		return -1;
	while (p < end && name_char(*p, n == 0)) {
		if (n + 1 >= PROM_NAME_MAX)
			return -1;
		s->name[n++] = *p++;
	}
	s->name[n] = '\0';
	s->nlabels = 0;
	if (p < end && *p == '{') {
		p++;
		for (;;) {
			struct prom_label *l;
			size_t ln = 0, vn = 0;

			while (p < end && (*p == ' ' || *p == ','))
				p++;
			if (p < end && *p == '}') {
				p++;
				break;
			}
			if (s->nlabels == PROM_LABEL_MAX)
				return -1;
			l = &s->labels[s->nlabels];
			if (p == end || !name_char(*p, 1))
				return -1;
			while (p < end && name_char(*p, ln == 0)) {
				if (ln + 1 >= PROM_NAME_MAX)
					return -1;
				l->name[ln++] = *p++;
			}
			l->name[ln] = '\0';
			if (p + 1 >= end || p[0] != '=' || p[1] != '"')
				return -1;
			p += 2;
			while (p < end && *p != '"') {
				char c = *p++;
				if (c == '\\') {
					if (p == end)
						return -1;
					c = *p++;
					if (c == 'n')
						c = '\n';
					else if (c != '\\' && c != '"')
						return -1;
				}
				if (vn + 1 >= PROM_VALUE_MAX)
					return -1;
				l->value[vn++] = c;
			}
			if (p == end)
				return -1;
			p++; /* closing quote */
			l->value[vn] = '\0';
			s->nlabels++;
		}
	}
	if (p == end || (*p != ' ' && *p != '\t'))
		return -1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	v = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	/* An optional timestamp may follow; it is ignored. */
	return parse_value(v, p, &s->value);
}

int
prom_parse(const char *text, size_t len, prom_series_fn fn, void *arg)
{
	const char *p = text, *end = text + len;
	struct prom_series *s;
	int bad = 0;

	if (len > PROM_INPUT_MAX)
		return -1;
	s = malloc(sizeof *s);
	if (!s)
		return -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int r;

		if (le - p > PROM_LINE_MAX)
			r = -1;
		else
			r = parse_line(p, le, s);
		if (r == 0)
			fn(s, arg);
		else if (r < 0)
			bad++;
		p = nl ? nl + 1 : end;
	}
	free(s);
	return bad;
}

const char *
prom_label(const struct prom_series *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

const char *
err_kind_text(enum err_kind k)
{
	switch (k) {
	case ERRK_TIMEOUT:
		return "timeout";
	case ERRK_CONNECTION:
		return "connection";
	case ERRK_SERVER:
		return "server";
	case ERRK_CIRCUIT_OPEN:
		return "circuit_open";
	case ERRK_POOL:
		return "pool";
	case ERRK_OTHER:
	case ERRK__COUNT:
		break;
	}
	return "other";
}

static enum err_kind
err_kind_parse(const char *s)
{
	for (int k = 0; k < ERRK_OTHER; k++)
		if (strcmp(s, err_kind_text((enum err_kind)k)) == 0)
			return (enum err_kind)k;
	return ERRK_OTHER;
}

void
sample_init(struct lg_sample *s)
{
	memset(s, 0, sizeof *s);
}

struct sample_server *
sample_server(struct lg_sample *s, const char *name, int create)
{
	struct sample_server *sv;

	for (size_t i = 0; i < s->nservers; i++)
		if (strcmp(s->servers[i].name, name) == 0)
			return &s->servers[i];
	if (!create || s->nservers == SAMPLE_MAX_SERVERS)
		return NULL;
	sv = &s->servers[s->nservers++];
	strlcpy_r(sv->name, name, sizeof sv->name);
	sv->breaker = -1;
	sv->open_timeout_s = -1;
	sv->pool_total = -1;
	sv->pool_active = -1;
	return sv;
}

struct collect {
	struct lg_sample *s;
	int seen_ops;
};

/* Adds v to the bucket `le` of a sorted, bounded bucket list. */
static void
add_bucket(double *les, double *cum, size_t *n, size_t cap, double le,
    double v)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (les[i] == le) {
			cum[i] += v;
			return;
		}
		if (les[i] > le)
			break;
	}
	if (*n == cap)
		return;
	memmove(&les[i + 1], &les[i], (*n - i) * sizeof les[0]);
	memmove(&cum[i + 1], &cum[i], (*n - i) * sizeof cum[0]);
	les[i] = le;
	cum[i] = v;
	(*n)++;
}

static void
on_series(const struct prom_series *ps, void *arg)
{
	struct collect *c = arg;
	struct lg_sample *s = c->s;
	const char *server = prom_label(ps, "server");
	struct sample_server *sv;
	double v = ps->value;

	if (!isfinite(v) || v < 0)
		return;
	if (strcmp(ps->name, "memcache_operations_total") == 0) {
		const char *st = prom_label(ps, "status");
		s->ops_total += v;
		if (st && strcmp(st, "failed") == 0)
			s->failed_total += v;
		if (st && (strcmp(st, "failed") == 0 ||
		    strcmp(st, "success") == 0))
			s->have_status = 1;
		c->seen_ops = 1;
	} else if (strcmp(ps->name, "memcache_error_rate") == 0) {
		s->error_rate = v;
		s->have_error_rate = 1;
	} else if (strcmp(ps->name, "memcache_operations_rate") == 0) {
		s->ops_rate = v;
	} else if (strcmp(ps->name, "memcache_circuit_breaker_state") == 0) {
		if (server && (sv = sample_server(s, server, 1)))
			sv->breaker = v;
	} else if (strcmp(ps->name,
	    "memcache_operation_duration_seconds_bucket") == 0) {
		const char *le = prom_label(ps, "le");
		double d;
		char *e;

		if (!le)
			return;
		if (strcmp(le, "+Inf") == 0)
			d = INFINITY;
		else {
			d = strtod(le, &e);
			if (e == le || *e || !(d >= 0) || isinf(d))
				return;
		}
		add_bucket(s->le, s->cum, &s->nbuckets, SAMPLE_MAX_BUCKETS, d,
		    v);
		if (server && (sv = sample_server(s, server, 1)))
			add_bucket(sv->le, sv->cum, &sv->nbuckets,
			    SAMPLE_SERVER_BUCKETS, d, v);
	} else if (strcmp(ps->name,
	    "memcache_operation_duration_seconds_count") == 0) {
		if (server && (sv = sample_server(s, server, 1)))
			sv->ops += v;
	} else if (strcmp(ps->name, "memcache_operation_errors_total") == 0) {
		const char *kind = prom_label(ps, "kind");
		enum err_kind k = kind ? err_kind_parse(kind) : ERRK_OTHER;

		s->err_kind[k] += v;
		s->have_err_kind = 1;
		if (server && (sv = sample_server(s, server, 1))) {
			sv->errors += v;
			sv->err_kind[k] += v;
			sv->have_errors = 1;
		}
	} else if (strcmp(ps->name, "memcache_pool_connections") == 0) {
		const char *st = prom_label(ps, "state");

		if (!st || !server || !(sv = sample_server(s, server, 1)))
			return;
		if (strcmp(st, "total") == 0)
			sv->pool_total = v;
		else if (strcmp(st, "active") == 0)
			sv->pool_active = v;
	} else if (strcmp(ps->name,
	    "memcache_data_integrity_errors_total") == 0) {
		s->integrity_total += v;
		s->have_integrity = 1;
	} else if (strcmp(ps->name,
	    "memcache_circuit_breaker_open_timeout_seconds") == 0) {
		if (server && (sv = sample_server(s, server, 1)))
			sv->open_timeout_s = v;
	}
}

int
sample_from_text(const char *text, size_t len, struct lg_sample *s)
{
	struct collect c = {s, 0};
	uint64_t mono = s->mono_ms;
	double wall = s->wall;

	sample_init(s);
	s->mono_ms = mono;
	s->wall = wall;
	if (prom_parse(text, len, on_series, &c) < 0)
		return -1;
	return c.seen_ops ? 0 : -1;
}
