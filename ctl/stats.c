/* The statistics of a scenario's history (see stats.h). Pure: no I/O,
 * no JSON, so the unit test feeds it numbers. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n), n >= 1 (type 7: linear between
 * order statistics, as R's and numpy's default). */
static double
quantile(const double *v, size_t n, double q)
{
	double h = q * (double)(n - 1);
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

int
hist_stats(const double *v, size_t n, struct hist_stats *s)
{
	double *w;
	size_t k = 0;

	s->n = 0;
	s->min = s->q1 = s->median = s->q3 = s->max = NAN;
	if (n == 0)
		return -1;
	w = calloc(n, sizeof(*w));
	if (w == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			w[k++] = v[i];
	if (k == 0) {
		free(w);
		return -1;
	}
	qsort(w, k, sizeof(*w), cmp_double);
	s->n = k;
	s->min = w[0];
	s->max = w[k - 1];
	s->q1 = quantile(w, k, 0.25);
	s->median = quantile(w, k, 0.5);
	s->q3 = quantile(w, k, 0.75);
	free(w);
	return 0;
}

const char *
hist_place_text(enum hist_place p)
{
	switch (p) {
	case HIST_INSIDE:
		return "inside";
	case HIST_BELOW:
		return "below";
	case HIST_ABOVE:
		return "above";
	case HIST_UNKNOWN:
		break;
	}
	return "unknown";
}

void
hist_fences(const struct hist_stats *s, double *lo, double *hi)
{
	double m = HIST_IQR_FENCE * (s->q3 - s->q1);
	double floor_m = HIST_MIN_MARGIN * fabs(s->median);

	if (m < floor_m)
		m = floor_m;
	*lo = s->q1 - m;
	*hi = s->q3 + m;
}

enum hist_place
hist_place(const struct hist_stats *s, double latest)
{
	double lo, hi;

	if (s->n < HIST_MIN_RUNS || !isfinite(latest))
		return HIST_UNKNOWN;
	hist_fences(s, &lo, &hi);
	if (latest < lo)
		return HIST_BELOW;
	if (latest > hi)
		return HIST_ABOVE;
	return HIST_INSIDE;
}
