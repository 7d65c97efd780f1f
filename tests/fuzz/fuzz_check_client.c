/* libFuzzer target: `reliabctl check-client`'s reading of a /metrics
 * body (ctl/scrape_check.c over daemon/scenario/promtext.c), its JSON
 * result and its text (ctl/scrape_print.c). Any body a program under
 * test could serve: the reading stays within its bounds and agrees with
 * itself, the JSON is valid, and the text is UTF-8 with no control
 * character but newlines (label values hold any bytes). */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "reliabctl.h"
#include "scrape_check.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_reading(const struct scrape_check *c)
{
	size_t judged = 0;

	if (c->nfam > SCRAPE_FAMILIES_MAX || c->nmissing > NELEM(c->missing))
		abort();
	for (size_t i = 0; i < c->nfam; i++) {
		const struct scrape_family *f = &c->fam[i];

		if (strncmp(f->name, "memcache_", 9) != 0 ||
		    f->nservers > SCRAPE_SERVERS_MAX ||
		    f->ignored > f->samples || f->series > f->samples ||
		    (f->series > SCRAPE_FAMILY_SERIES_MAX))
			abort();
		for (size_t k = 0; k < f->nservers; k++)
			if (strnlen(f->servers[k], PROM_VALUE_MAX) ==
			    PROM_VALUE_MAX)
				abort();
	}
	for (size_t i = 0; i < SCRAPE_CHECKS; i++) {
		const struct scrape_verdict *v = &c->checks[i];

		if (v->check == NULL || v->nneeds > SCRAPE_NEEDS_MAX ||
		    v->judged != (v->nneeds == 0))
			abort();
		judged += (size_t)v->judged;
	}
	/* No check is judged without memcache_operations_total. */
	if (!c->client && judged > 0)
		abort();
	if (c->other_samples > c->samples)
		abort();
}

/* What a terminal gets: UTF-8, and of the control characters (C0,
 * DEL, C1) only newlines. */
static void
check_text(const char *t, size_t len)
{
	mbstate_t st;
	size_t n;
	wchar_t wc;

	memset(&st, 0, sizeof st);
	while (len > 0) {
		n = mbrtowc(&wc, t, len, &st);
		if (n == 0 || n == (size_t)-1 || n == (size_t)-2)
			abort(); /* a NUL, or not UTF-8 */
		if ((wc < 0x20 && wc != '\n') || (wc >= 0x7f && wc < 0xa0))
			abort();
		t += n;
		len -= n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scrape_check *c;
	char *s, *text = NULL;
	size_t tlen = 0;
	json_t *r;
	FILE *f;

	if (c == NULL) {
		if ((c = malloc(sizeof *c)) == NULL ||
		    setlocale(LC_CTYPE, "C.UTF-8") == NULL)
			abort();
	}
	if (scrape_check_parse((const char *)data, size, c) < 0)
		return 0;
	check_reading(c);
	r = scrape_result("http://127.0.0.1:9090/metrics", c);
	if (r == NULL)
		return 0; /* no memory */
	s = json_dumps(r, JSON_COMPACT);
	if (s == NULL)
		abort();
	free(s);
	if ((f = open_memstream(&text, &tlen)) == NULL)
		abort();
	scrape_print(f, r);
	if (fclose(f) != 0)
		abort();
	check_text(text, tlen);
	free(text);
	json_decref(r);
	return 0;
}
