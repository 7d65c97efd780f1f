/* A client's /metrics read as the scenario worker reads it, summed up for
 * `reliabctl check-client`. The samples go through the worker's own
 * parser (daemon/scenario/promtext.c: what it cannot read, the worker
 * cannot either); the # TYPE lines, which that parser skips, are read
 * here. Bounded: the worker's input limit, a fixed number of families,
 * servers and counted series. */
#include "scrape_check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MEMCACHE_PREFIX "memcache_"

/* docs/METRICS.md's reliabd-loadgen table: what every client exports
 * (those it has). tests/integration/ctl_check_client.sh holds the two
 * in step. */
static const struct known {
	const char *name;
	enum scrape_type type;
} known[] = {
	{ "memcache_operations_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_operations_rate", SCRAPE_TYPE_GAUGE },
	{ "memcache_error_rate", SCRAPE_TYPE_GAUGE },
	{ "memcache_circuit_breaker_state", SCRAPE_TYPE_GAUGE },
	{ "memcache_circuit_breaker_open_timeout_seconds", SCRAPE_TYPE_GAUGE },
	{ "memcache_circuit_breaker_transitions_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_circuit_breaker_requests", SCRAPE_TYPE_GAUGE },
	{ "memcache_circuit_breaker_failures", SCRAPE_TYPE_GAUGE },
	{ "memcache_pool_connections", SCRAPE_TYPE_GAUGE },
	{ "memcache_pool_created_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_pool_acquire_errors_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_operation_duration_seconds", SCRAPE_TYPE_HISTOGRAM },
	{ "memcache_operation_errors_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_data_integrity_errors_total", SCRAPE_TYPE_COUNTER },
	{ "memcache_arrivals_dropped_total", SCRAPE_TYPE_COUNTER },
};

/* The samples the checks read (promtext.c's sample_from_text matches
 * them by sample name, whatever their # TYPE), and the labels it
 * needs on them. */
enum watched {
	W_OPS,          /* memcache_operations_total */
	W_BREAKER,      /* memcache_circuit_breaker_state */
	W_OPEN_TIMEOUT, /* memcache_circuit_breaker_open_timeout_seconds */
	W_BUCKET,       /* memcache_operation_duration_seconds_bucket */
	W_COUNT,        /* memcache_operation_duration_seconds_count */
	W_ERRORS,       /* memcache_operation_errors_total */
	W__COUNT,
};

static const char *const watched_name[W__COUNT] = {
	[W_OPS] = "memcache_operations_total",
	[W_BREAKER] = "memcache_circuit_breaker_state",
	[W_OPEN_TIMEOUT] = "memcache_circuit_breaker_open_timeout_seconds",
	[W_BUCKET] = "memcache_operation_duration_seconds_bucket",
	[W_COUNT] = "memcache_operation_duration_seconds_count",
	[W_ERRORS] = "memcache_operation_errors_total",
};

/* Labels a check needs on one sample. */
#define L_SERVER 1u
#define L_LE 2u     /* a bucket bound the worker can read */
#define L_STATUS 4u /* without it no operation counts as failed */
#define L__ALL 8u

struct need {
	enum watched w;
	unsigned labels;
	int set;         /* 0: the end of a rule's list */
};

#define NEED(w, l) { (w), (l), 1 }
/* A rule's needs; memcache_operations_total may come first. */
#define RULE_NEEDS_MAX (SCRAPE_NEEDS_MAX - 1)

/* What each check of daemon/scenario/checks.c reads, in its order
 * (verdict_judge). An error rate needs the status label: without it
 * the failed operations cannot be told apart, and a rate of 0 would
 * pass a check nobody observed. */
static const struct rule {
	const char *check;
	struct need needs[RULE_NEEDS_MAX];
} rules[SCRAPE_CHECKS] = {
	{ "baseline_error_rate_max", { NEED(W_OPS, L_STATUS) } },
	{ "breaker_opens_within", { NEED(W_BREAKER, L_SERVER) } },
	{ "testing_error_rate_min", { NEED(W_OPS, L_STATUS) } },
	{ "other_error_rate_max", { NEED(W_COUNT, L_SERVER),
	    NEED(W_ERRORS, L_SERVER) } },
	{ "throughput_min_ratio", { NEED(W_OPS, 0) } },
	{ "p99_max", { NEED(W_BUCKET, L_LE) } },
	{ "others_p99_max_ratio", { NEED(W_BUCKET, L_SERVER | L_LE) } },
	{ "recovers_within", { NEED(W_OPS, L_STATUS) } },
	{ "recover_throughput_ratio", { NEED(W_OPS, 0) } },
};

struct series_set {
	uint64_t *slot;  /* 0: empty */
	size_t cap, n;
};

struct state {
	struct scrape_check *out;
	struct series_set set;
	/* Per watched sample, a bit per label set seen on a usable one. */
	unsigned char seen[W__COUNT];
	int no_memory;
};

const char *
scrape_type_text(enum scrape_type t)
{
	switch (t) {
	case SCRAPE_TYPE_COUNTER:
		return "counter";
	case SCRAPE_TYPE_GAUGE:
		return "gauge";
	case SCRAPE_TYPE_HISTOGRAM:
		return "histogram";
	case SCRAPE_TYPE_SUMMARY:
		return "summary";
	case SCRAPE_TYPE_UNTYPED:
		return "untyped";
	case SCRAPE_TYPE_NONE:
		break;
	}
	return NULL;
}

static enum scrape_type
known_type(const char *name)
{
	for (size_t i = 0; i < NELEM(known); i++)
		if (strcmp(known[i].name, name) == 0)
			return known[i].type;
	return SCRAPE_TYPE_NONE;
}

static struct scrape_family *
find_family(struct scrape_check *out, const char *name)
{
	for (size_t i = 0; i < out->nfam; i++)
		if (strcmp(out->fam[i].name, name) == 0)
			return &out->fam[i];
	return NULL;
}

/* NULL when the table is full. */
static struct scrape_family *
add_family(struct scrape_check *out, const char *name)
{
	struct scrape_family *f;

	if (out->nfam == SCRAPE_FAMILIES_MAX)
		return NULL;
	f = &out->fam[out->nfam++];
	strlcpy_r(f->name, name, sizeof f->name);
	f->documented = known_type(name);
	return f;
}

static int
is_memcache(const char *name)
{
	return strncmp(name, MEMCACHE_PREFIX, strlen(MEMCACHE_PREFIX)) == 0;
}

/* ---- # TYPE lines ---- */

static int
name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (!first && c >= '0' && c <= '9');
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static enum scrape_type
type_parse(const char *p, size_t n)
{
	static const enum scrape_type all[] = { SCRAPE_TYPE_COUNTER,
		SCRAPE_TYPE_GAUGE, SCRAPE_TYPE_HISTOGRAM, SCRAPE_TYPE_SUMMARY,
		SCRAPE_TYPE_UNTYPED };

	for (size_t i = 0; i < NELEM(all); i++) {
		const char *t = scrape_type_text(all[i]);

		if (strlen(t) == n && memcmp(t, p, n) == 0)
			return all[i];
	}
	return SCRAPE_TYPE_NONE;
}

/* One comment line, without its newline: a memcache_* family's # TYPE
 * is kept; 0, or -1 for a # TYPE line that is not understood. */
static int
type_line(struct scrape_check *out, const char *p, const char *end)
{
	char name[PROM_NAME_MAX];
	const char *t;
	struct scrape_family *f;
	enum scrape_type type;
	size_t n = 0;

	p = skip_blanks(p + 1, end); /* past '#' */
	if (end - p < 4 || memcmp(p, "TYPE", 4) != 0)
		return 0; /* HELP, or a comment */
	p += 4;
	if (p == end || (*p != ' ' && *p != '\t'))
		return 0; /* "# TYPEWRITER": a comment */
	p = skip_blanks(p, end);
	while (p < end && name_char(*p, n == 0)) {
		if (n + 1 >= sizeof name)
			return -1;
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (n == 0 || p == end || (*p != ' ' && *p != '\t'))
		return -1;
	if (!is_memcache(name))
		return 0; /* not ours to judge */
	t = p = skip_blanks(p, end);
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
		p++;
	type = type_parse(t, (size_t)(p - t));
	p = skip_blanks(p, end);
	if (p < end && *p == '\r')
		p++;
	if (type == SCRAPE_TYPE_NONE || p != end)
		return -1;
	f = find_family(out, name);
	if (f != NULL && f->type != SCRAPE_TYPE_NONE)
		return -1; /* a second # TYPE of one family */
	if (f == NULL && (f = add_family(out, name)) == NULL) {
		out->dropped++;
		return 0;
	}
	f->type = type;
	return 0;
}

/* The # TYPE lines, before the samples: a type names the family that
 * _bucket, _count and _sum samples belong to. Lines too long for the
 * sample parser are left to it to count. */
static void
read_types(struct scrape_check *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = skip_blanks(p, le);

		if (le - p <= PROM_LINE_MAX && q < le && *q == '#' &&
		    type_line(out, q, le) < 0)
			out->unreadable++;
		p = nl ? nl + 1 : end;
	}
}

/* ---- the samples ---- */

/* The family a sample belongs to, and which of its parts it is; NULL
 * when the family table is full. */
static struct scrape_family *
resolve(struct scrape_check *out, const char *name, enum scrape_part *part)
{
	static const struct {
		const char *suffix;
		enum scrape_part part;
	} parts[] = {
		{ "_bucket", SCRAPE_PART_BUCKET },
		{ "_count", SCRAPE_PART_COUNT },
		{ "_sum", SCRAPE_PART_SUM },
	};
	struct scrape_family *f = find_family(out, name);
	size_t n = strlen(name);

	*part = SCRAPE_PART_SAMPLE;
	if (f != NULL)
		return f;
	for (size_t i = 0; i < NELEM(parts); i++) {
		size_t sn = strlen(parts[i].suffix);
		char base[PROM_NAME_MAX];
		enum scrape_type t;

		if (n <= sn || strcmp(name + n - sn, parts[i].suffix) != 0)
			continue;
		memcpy(base, name, n - sn);
		base[n - sn] = '\0';
		f = find_family(out, base);
		/* Untyped, a documented histogram's parts still group. */
		t = f == NULL || f->type == SCRAPE_TYPE_NONE ?
		    known_type(base) : f->type;
		if (t != SCRAPE_TYPE_HISTOGRAM && (t != SCRAPE_TYPE_SUMMARY ||
		    parts[i].part == SCRAPE_PART_BUCKET))
			break;
		if (f == NULL && (f = add_family(out, base)) == NULL)
			return NULL;
		*part = parts[i].part;
		return f;
	}
	return add_family(out, name);
}

/* A bucket's bound as the worker reads it: "+Inf", or a finite number
 * of 0 or more. */
static int
le_ok(const char *le)
{
	char *e;
	double d;

	if (strcmp(le, "+Inf") == 0)
		return 1;
	d = strtod(le, &e);
	return e != le && *e == '\0' && d >= 0 && !isinf(d);
}

static void
add_server(struct scrape_family *f, const char *server)
{
	for (size_t i = 0; i < f->nservers; i++)
		if (strcmp(f->servers[i], server) == 0)
			return;
	if (f->nservers == SCRAPE_SERVERS_MAX) {
		f->servers_more = 1;
		return;
	}
	strlcpy_r(f->servers[f->nservers++], server, PROM_VALUE_MAX);
}

/* FNV-1a, 64 bits. */
static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* A series: its family and its labels in name order, but the bound of a
 * bucket or a quantile (a histogram is one series, as people count). */
static uint64_t
series_hash(size_t fam, const struct prom_series *s, const char *skip)
{
	const struct prom_label *l[PROM_LABEL_MAX];
	uint64_t h = 14695981039346656037ULL;
	size_t n = 0;

	h = hash_bytes(h, &fam, sizeof fam);
	for (size_t i = 0; i < s->nlabels && i < PROM_LABEL_MAX; i++) {
		const struct prom_label *x = &s->labels[i];
		size_t j;

		if (skip && strcmp(x->name, skip) == 0)
			continue;
		for (j = n; j > 0 && strcmp(l[j - 1]->name, x->name) > 0; j--)
			l[j] = l[j - 1];
		l[j] = x;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		h = hash_bytes(h, l[i]->name, strlen(l[i]->name) + 1);
		h = hash_bytes(h, l[i]->value, strlen(l[i]->value) + 1);
	}
	return h ? h : 1;
}

static int
series_find(const struct series_set *set, uint64_t h, size_t *at)
{
	size_t i;

	for (i = h & (set->cap - 1); set->slot[i];
	    i = (i + 1) & (set->cap - 1))
		if (set->slot[i] == h)
			return 1;
	*at = i;
	return 0;
}

/* 1 new, 0 seen before, -1 not counted (a new one, but `full`, or the
 * set is, or no memory: *no_memory). */
static int
series_add(struct series_set *set, uint64_t h, int full, int *no_memory)
{
	size_t at = 0;

	if (set->cap > 0 && series_find(set, h, &at))
		return 0;
	if (full)
		return -1;
	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;
		uint64_t *slot;

		if (set->n >= SCRAPE_SERIES_MAX)
			return -1;
		slot = calloc(cap, sizeof *slot);
		if (slot == NULL) {
			*no_memory = 1;
			return -1;
		}
		for (size_t k = 0; k < set->cap; k++) {
			size_t i;

			if (set->slot[k] == 0)
				continue;
			for (i = set->slot[k] & (cap - 1); slot[i];
			    i = (i + 1) & (cap - 1))
				;
			slot[i] = set->slot[k];
		}
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
		(void)series_find(set, h, &at);
	}
	set->slot[at] = h;
	set->n++;
	return 1;
}

static void
on_sample(const struct prom_series *s, void *arg)
{
	struct state *st = arg;
	struct scrape_check *out = st->out;
	struct scrape_family *f;
	enum scrape_part part;
	const char *server = prom_label(s, "server");
	const char *le = prom_label(s, "le");
	const char *skip = NULL;
	unsigned labels = 0;
	int usable = isfinite(s->value) && s->value >= 0;
	int r;

	out->samples++;
	if (!is_memcache(s->name)) {
		out->other_samples++;
		return;
	}
	if (server)
		labels |= L_SERVER;
	if (le && le_ok(le))
		labels |= L_LE;
	if (prom_label(s, "status"))
		labels |= L_STATUS;
	/* As the worker: a NaN, infinite or negative value is skipped. */
	for (int w = 0; usable && w < W__COUNT; w++)
		if (strcmp(s->name, watched_name[w]) == 0)
			st->seen[w] |= (unsigned char)(1u << labels);
	f = resolve(out, s->name, &part);
	if (f == NULL) {
		out->dropped++;
		return;
	}
	f->samples++;
	if (!usable)
		f->ignored++;
	if (server)
		add_server(f, server);
	if (part == SCRAPE_PART_BUCKET)
		skip = "le";
	else if (part == SCRAPE_PART_SAMPLE && f->type == SCRAPE_TYPE_SUMMARY)
		skip = "quantile";
	/* A family's own bound too, so that one cannot leave the others
	 * uncounted. */
	r = series_add(&st->set, series_hash((size_t)(f - out->fam), s, skip),
	    f->series >= SCRAPE_FAMILY_SERIES_MAX, &st->no_memory);
	if (r > 0)
		f->series++;
	else if (r < 0)
		f->series_floor = 1;
}

/* ---- what can be judged ---- */

/* Whether a usable sample carried every label of `labels` at once. */
static int
seen_with(const struct state *st, enum watched w, unsigned labels)
{
	for (unsigned m = 0; m < L__ALL; m++)
		if ((st->seen[w] & (1u << m)) && (m & labels) == labels)
			return 1;
	return 0;
}

static void
need_text(const struct need *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s", watched_name[n->w],
	    n->labels ? "{" : "", n->labels & L_SERVER ? "server" : "",
	    (n->labels & L_SERVER) && (n->labels & (L_LE | L_STATUS)) ?
	    "," : "",
	    n->labels & L_LE ? "le" : n->labels & L_STATUS ? "status" : "",
	    n->labels ? "}" : "");
}

static void
judge(struct state *st)
{
	static const struct need ops = NEED(W_OPS, 0);
	struct scrape_check *out = st->out;
	int client = seen_with(st, W_OPS, 0);

	for (size_t i = 0; i < SCRAPE_CHECKS; i++) {
		const struct rule *r = &rules[i];
		struct scrape_verdict *v = &out->checks[i];

		v->check = r->check;
		v->nneeds = 0;
		/* Without it the worker keeps no sample of the client at
		 * all (sample_from_text): no check can be judged. */
		if (!client)
			need_text(&ops, v->needs[v->nneeds++],
			    sizeof v->needs[0]);
		for (size_t k = 0; k < RULE_NEEDS_MAX && r->needs[k].set; k++)
			if ((client || r->needs[k].w != W_OPS) &&
			    !seen_with(st, r->needs[k].w, r->needs[k].labels))
				need_text(&r->needs[k], v->needs[v->nneeds++],
				    sizeof v->needs[0]);
		v->judged = v->nneeds == 0;
		v->note = NULL;
		if (!v->judged || strcmp(r->check, "recovers_within") != 0)
			continue;
		/* Recovery also waits for the affected breakers to close,
		 * and is not judged when the phase is shorter than their
		 * open time (verdict.c, checks.c). */
		if (!seen_with(st, W_BREAKER, L_SERVER))
			v->note = "on the error rate and throughput only: the "
				  "client reports no breaker state";
		else if (!seen_with(st, W_OPEN_TIMEOUT, L_SERVER))
			v->note = "without memcache_circuit_breaker_open_"
				  "timeout_seconds{server}, a recovery phase "
				  "shorter than the breakers' open time fails "
				  "instead of being not judged";
	}
	out->client = client;
	out->nmissing = 0;
	for (size_t i = 0; i < NELEM(known); i++) {
		const struct scrape_family *f = find_family(out, known[i].name);

		if ((f == NULL || f->samples == 0) &&
		    out->nmissing < NELEM(out->missing))
			out->missing[out->nmissing++] = known[i].name;
	}
}

int
scrape_check_parse(const char *text, size_t len, struct scrape_check *out)
{
	struct state st;
	int bad;

	memset(out, 0, sizeof *out);
	memset(&st, 0, sizeof st);
	st.out = out;
	if (len > PROM_INPUT_MAX)
		return -1;
	read_types(out, text, len);
	bad = prom_parse(text, len, on_sample, &st);
	free(st.set.slot);
	if (bad < 0 || st.no_memory)
		return -1;
	out->unreadable += (size_t)bad;
	judge(&st);
	return 0;
}
