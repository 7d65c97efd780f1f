/* reliabctl: the statistics of a scenario's history (`runs --scenario`):
 * median, quartiles, range, and whether the latest run is an outlier. */
#ifndef CTL_STATS_H
#define CTL_STATS_H

#include <stddef.h>

struct hist_stats {
	size_t n;        /* the finite values counted */
	double min, q1, median, q3, max;
};

/* Fills *s from the finite values of v[0..n) (NaN = not known, left
 * out); quartiles by linear interpolation between order statistics.
 * Returns 0, or -1 (s->n = 0) when no value is finite or memory ran
 * out. */
int hist_stats(const double *v, size_t n, struct hist_stats *s);

enum hist_place {
	HIST_UNKNOWN, /* no value, or too short a history to judge */
	HIST_INSIDE,
	HIST_BELOW,
	HIST_ABOVE,
};
const char *hist_place_text(enum hist_place p);

/* The fewest earlier runs a latest run is judged against. */
#define HIST_MIN_RUNS 5
/* The fences: Tukey's, 1.5 IQR past the quartiles, but never closer
 * than HIST_MIN_MARGIN of the median, as figures sampled on a grid
 * often have an IQR of 0. */
#define HIST_IQR_FENCE 1.5
#define HIST_MIN_MARGIN 0.10

/* Where `latest` falls against the history s (the runs before it). */
enum hist_place hist_place(const struct hist_stats *s, double latest);
/* The fences hist_place() uses. */
void hist_fences(const struct hist_stats *s, double *lo, double *hi);

#endif
