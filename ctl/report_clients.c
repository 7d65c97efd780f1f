/* A run of several clients side by side (`reliabctl show`, the end of
 * `start-scenario --wait`): one column a client, for its figures in each
 * phase, its hypothesis table and its verdict. The record's "clients"
 * entries (daemon/scenario/record.c) hold what a one-client record has
 * at its top level; any member may be missing or of another type (a
 * damaged journal) and shows as "-". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reliabctl.h"

/* Columns shown: a record holds at most 8 clients (CONFIG_MAX_CLIENTS);
 * a damaged one with more shows the first ones. */
#define COLS_MAX 8
#define COL_W 19
/* Checks shown and searched a client: a record has at most 96
 * (VERDICT_MAX_CHECKS); a damaged one with thousands must not make
 * matching them quadratic. */
#define CHECKS_MAX 256

static const char *const phases[] = { "stabilization", "testing",
	"recovery" };

/* One row: a label, then one cell a client. A longer cell pushes the
 * next ones right rather than being cut (it would read as another
 * figure). */
static void
row(FILE *f, const char *label, char cells[][48], size_t n)
{
	fprintf(f, "  %-24s", label);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-*s", i + 1 < n ? COL_W : 0, cells[i]);
	fputc('\n', f);
}

static const json_t *
phase_of(const json_t *cl, const char *phase)
{
	return json_object_get(json_object_get(cl, "phases"), phase);
}

/* The figures of each phase, a row each. */
enum phase_fig { FIG_OPS_RATE, FIG_ERROR_RATE, FIG_P99, FIG_BY_KIND };

static void
phase_cell(enum phase_fig fig, const json_t *ph, char *cell, size_t size)
{
	switch (fig) {
	case FIG_OPS_RATE:
		fmt_num(jnum(ph, "ops_rate"), "", cell, size);
		break;
	case FIG_ERROR_RATE:
		fmt_pct(jnum(ph, "error_rate"), cell, size);
		break;
	case FIG_P99:
		fmt_num(jnum(ph, "p99_ms"), "ms", cell, size);
		break;
	case FIG_BY_KIND:
		report_kinds_text(json_object_get(ph, "errors"), cell, size);
		break;
	}
}

static void
phase_rows(FILE *f, const json_t *const *cl, size_t n)
{
	static const struct {
		enum phase_fig fig;
		const char *label;
	} figs[] = {
		{ FIG_OPS_RATE, "ops/s" },
		{ FIG_ERROR_RATE, "errors" },
		{ FIG_P99, "p99" },
		{ FIG_BY_KIND, "by kind" },
	};
	char cells[COLS_MAX][48], label[40];

	for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++)
		for (size_t r = 0; r < sizeof(figs) / sizeof(figs[0]); r++) {
			for (size_t i = 0; i < n; i++)
				phase_cell(figs[r].fig, phase_of(cl[i],
				    phases[p]), cells[i], sizeof(cells[i]));
			snprintf(label, sizeof(label), "%s %s", phases[p],
			    figs[r].label);
			row(f, label, cells, n);
		}
}

static void
figure_rows(FILE *f, const json_t *const *cl, size_t n)
{
	static const struct {
		const char *key, *label, *unit;
	} figs[] = {
		{ "time_to_recover_s", "time to recover", "s" },
		{ "throughput_ratio", "throughput, testing", "" },
		{ "recovered_throughput_ratio", "throughput, recovered", "" },
		{ "peak_error_rate", "peak errors", NULL },
	};
	char cells[COLS_MAX][48], label[48];
	const char *keys[REPORT_KEYS_MAX];
	size_t nk = report_sorted_keys(json_object_get(json_object_get(cl[0],
	    "figures"), "time_to_open_s"), keys);

	/* The servers the faults touch: the first client's (the same
	 * scenario, so every client's). */
	for (size_t k = 0; k < nk; k++) {
		for (size_t i = 0; i < n; i++) {
			const json_t *v = json_object_get(json_object_get(
			    json_object_get(cl[i], "figures"),
			    "time_to_open_s"), keys[k]);

			if (json_is_number(v))
				fmt_num(json_number_value(v), "s", cells[i],
				    sizeof(cells[i]));
			else
				snprintf(cells[i], sizeof(cells[i]), "%s",
				    json_is_null(v) ? "did not open" : "-");
		}
		snprintf(label, sizeof(label), "open %.30s", keys[k]);
		row(f, label, cells, n);
	}
	for (size_t g = 0; g < sizeof(figs) / sizeof(figs[0]); g++) {
		for (size_t i = 0; i < n; i++) {
			double v = jnum(json_object_get(cl[i], "figures"),
			    figs[g].key);

			if (figs[g].unit)
				fmt_num(v, figs[g].unit, cells[i],
				    sizeof(cells[i]));
			else
				fmt_pct(v, cells[i], sizeof(cells[i]));
		}
		row(f, figs[g].label, cells, n);
	}
}

/* Whether checks a and b are the same check (name, phase, server). */
static int
same_check(const json_t *a, const json_t *b)
{
	return strcmp(jstr(a, "check", ""), jstr(b, "check", "")) == 0 &&
	    strcmp(jstr(a, "phase", ""), jstr(b, "phase", "")) == 0 &&
	    strcmp(jstr(a, "server", ""), jstr(b, "server", "")) == 0;
}

/* Client `cl`'s check matching `c`: at the same index, as the same
 * scenario lists them, else searched. */
static const json_t *
find_check(const json_t *cl, const json_t *c, size_t idx)
{
	const json_t *checks = json_object_get(cl, "checks"), *o;
	size_t i;

	o = json_array_get(checks, idx);
	if (o && same_check(o, c))
		return o;
	json_array_foreach(checks, i, o) {
		if (i >= CHECKS_MAX)
			break;
		if (same_check(o, c))
			return o;
	}
	return NULL;
}

/* The hypothesis: a row a check of the first client, each client's
 * measure and result in its column. */
static void
check_rows(FILE *f, const json_t *const *cl, size_t n)
{
	const json_t *checks = json_object_get(cl[0], "checks"), *c;
	char cells[COLS_MAX][48], label[80], meas[32], e[40];
	size_t idx;

	fprintf(f, "\nhypothesis (expected; each client's measure, result)"
		   "\n");
	if (!json_is_array(checks) || json_array_size(checks) == 0) {
		fprintf(f, "  -\n");
		return;
	}
	json_array_foreach(checks, idx, c) {
		const char *name = jstr(c, "check", "?");
		const char *unit = jstr(c, "unit", "");

		if (idx == CHECKS_MAX) {
			fprintf(f, "  (%zu more checks not shown)\n",
			    json_array_size(checks) - idx);
			break;
		}
		if (strcmp(unit, "ratio") == 0)
			unit = "";
		fmt_num(jnum(c, "expected"), unit, meas, sizeof(meas));
		snprintf(e, sizeof(e), "%s%s", strcmp(meas, "-") == 0 ? "" :
		    report_check_way(name), meas);
		snprintf(label, sizeof(label), "%.26s%s%.12s %s", name,
		    json_is_string(json_object_get(c, "server")) ? "@" : "",
		    jstr(c, "server", ""), e);
		for (size_t i = 0; i < n; i++) {
			const json_t *o = find_check(cl[i], c, idx);

			if (o == NULL) {
				snprintf(cells[i], sizeof(cells[i]), "-");
				continue;
			}
			fmt_num(jnum(o, "measured"), unit, meas,
			    sizeof(meas));
			snprintf(cells[i], sizeof(cells[i]), "%s %s", meas,
			    report_result_text(jstr(o, "result", "-")));
		}
		fprintf(f, "  %s\n", label);
		row(f, jstr(c, "phase", "-"), cells, n);
	}
}

int
report_clients(FILE *f, const json_t *run)
{
	const json_t *arr = json_object_get(run, "clients");
	const json_t *cl[COLS_MAX];
	char cells[COLS_MAX][48];
	size_t n = 0, i;
	const json_t *o;

	if (!json_is_array(arr) || json_array_size(arr) < 2)
		return -1;
	json_array_foreach(arr, i, o)
		if (n < COLS_MAX && json_is_object(o))
			cl[n++] = o;
	if (n < 2)
		return -1;
	fprintf(f, "\nclients side by side%s\n", json_is_true(
	    json_object_get(run, "compare")) ? " (compared: their verdicts "
	    "inform, the run's says it completed)" : "");
	for (i = 0; i < n; i++)
		snprintf(cells[i], sizeof(cells[i]), "%s",
		    jstr(cl[i], "name", "-"));
	row(f, "CLIENT", cells, n);
	phase_rows(f, cl, n);
	figure_rows(f, cl, n);
	check_rows(f, cl, n);
	fprintf(f, "\n");
	for (i = 0; i < n; i++)
		snprintf(cells[i], sizeof(cells[i]), "%s",
		    jstr(cl[i], "status", "-"));
	row(f, "verdict", cells, n);
	for (i = 0; i < n; i++) {
		const char *why = jstr(cl[i], "reason", "");

		if (*why)
			fprintf(f, "  %s: %s\n", jstr(cl[i], "name", "-"), why);
	}
	return 0;
}
