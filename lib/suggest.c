/* Close matches for a mistyped name (see suggest.h): an optimal string
 * alignment distance over bounded words, so a hostile input costs at most
 * SUGGEST_MAX_LEN^2 steps a candidate. */
#include <stdio.h>
#include <string.h>

#include "suggest.h"

static unsigned
min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

unsigned
suggest_distance(const char *a, const char *b)
{
	unsigned d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t la = strnlen(a, SUGGEST_MAX_LEN + 1);
	size_t lb = strnlen(b, SUGGEST_MAX_LEN + 1);

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return SUGGEST_FAR;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];

			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
			    d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[la][lb] > SUGGEST_MAX_DIST ? SUGGEST_FAR : d[la][lb];
}

size_t
suggest(const char *word, const char *const *cands, size_t ncands,
    const char **out, size_t cap)
{
	size_t n = 0, lw = strnlen(word, SUGGEST_MAX_LEN + 1);
	unsigned dist[cap > 0 ? cap : 1];

	if (lw == 0 || lw > SUGGEST_MAX_LEN || cap == 0)
		return 0;
	for (size_t i = 0; i < ncands; i++) {
		size_t lc = strnlen(cands[i], SUGGEST_MAX_LEN + 1);
		size_t longer = lc > lw ? lc : lw;
		unsigned limit = longer / 3 > 0 ? (unsigned)(longer / 3) : 1;
		unsigned dd = suggest_distance(word, cands[i]);
		size_t k;

		if (dd == 0)
			continue;	/* the word itself is no suggestion */
		if (dd > limit && strncmp(cands[i], word, lw) != 0)
			continue;
		if (dd > limit)
			dd = limit;	/* a prefix ranks with the closest */
		/* Insertion sort, stable: ties keep the candidates' order. */
		for (k = n; k > 0 && dist[k - 1] > dd; k--)
			if (k < cap) {
				out[k] = out[k - 1];
				dist[k] = dist[k - 1];
			}
		if (k < cap) {
			out[k] = cands[i];
			dist[k] = dd;
			if (n < cap)
				n++;
		}
	}
	return n;
}

char *
suggest_join(const char *const *names, size_t n, char *buf, size_t buflen)
{
	size_t off = 0;

	if (buflen == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < buflen; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + off, buflen - off, "%s\"%s\"", sep,
		    names[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
