/* Splits the run journal into run records (see journal_scan.h). */
#include <stdlib.h>
#include <string.h>

#include "journal_scan.h"

void
journal_scan_init(struct journal_scan *s, journal_record_fn fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->arg = arg;
}

void
journal_scan_free(struct journal_scan *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

/* One whole segment: a run record, skipped, or counted as damage. */
static int
segment(struct journal_scan *s, const char *p, size_t n)
{
	json_t *run;

	if (s->skip_first) {
		s->skip_first = 0;
		s->too_long = 0;
		return 0;
	}
	if (s->too_long) {
		s->too_long = 0;
		s->dmg.bad_lines++;
		return 0;
	}
	if (n == 0)
		return 0;
	if (s->filter && memmem(p, n, s->filter, strlen(s->filter)) == NULL)
		return 0;
	run = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(run) ||
	    !json_is_string(json_object_get(run, "id")) ||
	    json_string_length(json_object_get(run, "id")) == 0) {
		json_decref(run);
		s->dmg.bad_lines++;
		return 0;
	}
	if (s->fn(run, s->arg) != 0) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

/* Keeps the start of a segment that goes on in the next chunk. */
static int
keep(struct journal_scan *s, const char *p, size_t n)
{
	size_t cap;
	char *nb;

	if (s->too_long)
		return 0;
	if (s->len + n > JOURNAL_LINE_MAX) {
		s->too_long = 1;
		s->len = 0;
		return 0;
	}
	if (s->len + n > s->cap) {
		cap = s->cap ? s->cap : 256;
		while (cap < s->len + n)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL)
			return -1;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

int
journal_scan_feed(struct journal_scan *s, const char *data, size_t n)
{
	const char *p = data, *end = data + n;

	if (s->stopped)
		return 1;
	while (p < end) {
		const char *nl, *nul, *sep;
		int rc;

		if (*p == '\0') {
			/* A run of NULs ends a segment, and counts once. */
			if (!s->in_nul) {
				s->dmg.nul_runs++;
				s->in_nul = 1;
				goto ended;
			}
			p++;
			continue;
		}
		s->in_nul = 0;
		if (*p == '\n')
			goto ended;
		nl = memchr(p, '\n', (size_t)(end - p));
		nul = memchr(p, '\0', (size_t)((nl ? nl : end) - p));
		sep = nul ? nul : nl;
		if (sep == NULL)
			return keep(s, p, (size_t)(end - p)) < 0 ? -1 : 0;
		if (s->len == 0 && !s->too_long) {
			if ((size_t)(sep - p) > JOURNAL_LINE_MAX)
				s->too_long = 1;
			rc = segment(s, p, (size_t)(sep - p));
			p = sep;
			if (*p == '\n')
				p++;
			if (rc)
				return 1;
			continue;
		}
		if (keep(s, p, (size_t)(sep - p)) < 0)
			return -1;
		p = sep;
		continue;
ended:
		/* The separator at p ends what was kept so far. */
		rc = segment(s, s->buf, s->len);
		s->len = 0;
		if (*p == '\n')
			p++;
		if (rc)
			return 1;
	}
	return 0;
}

int
journal_scan_end(struct journal_scan *s)
{
	int rc;

	if (s->stopped)
		return 1;
	if (s->len == 0 && !s->too_long)
		return 0;
	rc = segment(s, s->buf, s->len);
	s->len = 0;
	return rc;
}
