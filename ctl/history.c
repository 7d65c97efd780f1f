/* `runs --scenario NAME`: the scenario's history, under its runs: the
 * median, quartiles and range of its key figures over the runs before
 * the latest, and the latest flagged when it falls outside them
 * (stats.c does the arithmetic). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "reliabctl.h"
#include "stats.h"

/* A key figure of a run record. */
struct figure {
	const char *name;
	const char *unit;
	double (*get)(const json_t *run);
};

static double
fig_recover(const json_t *run)
{
	return jnum(json_object_get(run, "figures"), "time_to_recover_s");
}

static double
fig_throughput(const json_t *run)
{
	return jnum(json_object_get(run, "figures"), "throughput_ratio");
}

static const struct figure figures[] = {
	{ "time to open", "s", report_first_open },
	{ "time to recover", "s", fig_recover },
	{ "throughput ratio", "", fig_throughput },
};

/* One figure's line; returns 1 when the latest run is flagged. */
static int
history_line(const struct figure *fg, const json_t *runs, size_t nprev)
{
	const json_t *latest = json_array_get(runs, nprev);
	struct hist_stats st;
	enum hist_place place;
	char med[24], q1[24], q3[24], lo[24], hi[24], last[24];
	double *v = calloc(nprev ? nprev : 1, sizeof(*v));
	double x = fg->get(latest);

	if (v == NULL) {
		fprintf(stderr, "reliabctl: out of memory\n");
		return 0;
	}
	for (size_t i = 0; i < nprev; i++)
		v[i] = fg->get(json_array_get(runs, i));
	hist_stats(v, nprev, &st);
	free(v);
	place = hist_place(&st, x);
	fmt_num(st.q1, fg->unit, q1, sizeof(q1));
	fmt_num(st.q3, fg->unit, q3, sizeof(q3));
	fmt_num(st.min, fg->unit, lo, sizeof(lo));
	fmt_num(st.max, fg->unit, hi, sizeof(hi));
	printf("  %-17s %4zu %8s %9s-%-9s %9s-%-9s %8s  %s\n", fg->name,
	    st.n, fmt_num(st.median, fg->unit, med, sizeof(med)), q1, q3, lo,
	    hi, fmt_num(x, fg->unit, last, sizeof(last)),
	    place == HIST_ABOVE ? "ABOVE the history" :
	    place == HIST_BELOW ? "BELOW the history" :
	    place == HIST_INSIDE ? "inside" : "-");
	return place == HIST_ABOVE || place == HIST_BELOW;
}

void
print_history(const json_t *r)
{
	const json_t *runs = json_object_get(r, "runs");
	size_t n = json_array_size(runs), flagged = 0;
	const json_t *latest;

	if (n == 0)
		return;
	latest = json_array_get(runs, n - 1);
	printf("\nhistory of %s: the %zu run%s before the latest (%s)\n",
	    jstr(r, "scenario", "?"), n - 1, n - 1 == 1 ? "" : "s",
	    jstr(latest, "id", "?"));
	printf("  %-17s %4s %8s %-19s %-19s %8s  %s\n", "FIGURE", "N",
	    "MEDIAN", "    IQR (Q1-Q3)", "  RANGE (MIN-MAX)", "LATEST",
	    "LATEST IS");
	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
		flagged += (size_t)history_line(&figures[i], runs, n - 1);
	printf("(outside: more than %.1f IQR past a quartile, and at least "
	       "%.0f%% of the median; judged from %d earlier runs on)\n",
	    HIST_IQR_FENCE, 100 * HIST_MIN_MARGIN, HIST_MIN_RUNS);
	if (flagged)
		printf("latest run %s: %zu figure%s outside the history: a "
		       "regression?\n",
		    jstr(latest, "id", "?"), flagged, flagged == 1 ? "" : "s");
}
