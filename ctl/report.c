/* A run record as a report for people: `reliabctl show RUN` and the end
 * of `start-scenario --wait`. The record's fields are the contract
 * between the scenario worker's record.c and this file; an older
 * record lacks some, and each missing figure shows as "-". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reliabctl.h"

static const char *const phase_names[] = { "stabilization", "testing",
	"recovery" };

double
report_first_open(const json_t *run)
{
	const json_t *open = json_object_get(json_object_get(run, "figures"),
	    "time_to_open_s");
	double first = NAN;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)open, k, v)
		if (json_is_number(v) &&
		    (isnan(first) || json_number_value(v) < first))
			first = json_number_value(v);
	return first;
}

static void
report_head(FILE *f, const json_t *run)
{
	char start[32], end[32], len[16], zone[16] = "";
	double t0 = jnum(run, "started"), t1 = jnum(run, "ended");
	const json_t *loop = json_object_get(run, "loop");
	time_t tt;
	struct tm tm;

	fmt_time(t0, start, sizeof(start));
	fmt_time(t1, end, sizeof(end));
	if (strcmp(start, "-") != 0) {
		tt = (time_t)t0; /* fmt_time found it in range */
		if (localtime_r(&tt, &tm))
			strftime(zone, sizeof(zone), " %Z", &tm);
	}
	fprintf(f, "run %s: scenario %s (%s)", jstr(run, "id", "?"),
	    jstr(run, "scenario", "?"), jstr(run, "source", "-"));
	if (json_is_integer(loop))
		fprintf(f, ", loop %" JSON_INTEGER_FORMAT,
		    json_integer_value(loop));
	fprintf(f, "\n");
	fprintf(f, "started %s%s, ended %s, %s\n", start, zone,
	    end + (strncmp(start, end, 11) == 0 ? 11 : 0),
	    fmt_duration_s(t1 - t0, len, sizeof(len)));
}

/* "latency=1000 jitter=0" from a fault's attributes. */
static void
attrs_text(const json_t *attrs, char *buf, size_t len)
{
	const char *keys[REPORT_KEYS_MAX];
	size_t n = 0, nk = report_sorted_keys(attrs, keys);

	buf[0] = '\0';
	for (size_t i = 0; i < nk; i++) {
		const char *k = keys[i];
		const json_t *v = json_object_get(attrs, k);
		char val[32];

		if (json_is_number(v))
			fmt_num(json_number_value(v), "", val, sizeof(val));
		else if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else
			continue;
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s",
			    n ? " " : "", k, val);
	}
}

static void
report_faults(FILE *f, const json_t *run)
{
	const json_t *faults = json_object_get(run, "faults"), *u;
	char on[24], off[24], tox[16], attrs[160];
	size_t i;

	fprintf(f, "\nfaults\n");
	if (json_array_size(faults) == 0) {
		fprintf(f, "  none recorded\n");
		return;
	}
	fprintf(f, "  %-12s %-12s %-10s %-10s %-10s %-5s %-8s %s\n",
	    "SERVER", "TYPE", "STREAM", "APPLIED", "REMOVED", "TIMES",
	    "TOXICITY", "SETTINGS");
	json_array_foreach(faults, i, u) {
		const json_t *cnt = json_object_get(u, "applied_count");

		attrs_text(json_object_get(u, "attributes"), attrs,
		    sizeof(attrs));
		fprintf(f, "  %-12s %-12s %-10s %-10s %-10s ",
		    jstr(u, "server", "-"), jstr(u, "type", "-"),
		    jstr(u, "stream", "-"),
		    fmt_clock(jnum(u, "applied"), on, sizeof(on)),
		    fmt_clock(jnum(u, "removed"), off, sizeof(off)));
		if (json_is_integer(cnt))
			fprintf(f, "%-5" JSON_INTEGER_FORMAT " ",
			    json_integer_value(cnt));
		else
			fprintf(f, "%-5s ", "-");
		fprintf(f, "%-8s %s\n",
		    fmt_num(jnum(u, "toxicity"), "", tox, sizeof(tox)),
		    attrs[0] ? attrs : "-");
	}
}

/* One row: the whole client's or one server's figures in a phase. */
static void
figures_row(FILE *f, const char *who, const json_t *o, const char *kinds)
{
	const json_t *ops = json_object_get(o, "ops");
	char opsb[24], rate[24], err[16], p50[24], p99[24];

	if (json_is_integer(ops))
		snprintf(opsb, sizeof(opsb), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(ops));
	else
		snprintf(opsb, sizeof(opsb), "-");
	fprintf(f, "  %-14s %10s %9s %8s %9s %9s  %s\n", who, opsb,
	    fmt_num(jnum(o, "ops_rate"), "", rate, sizeof(rate)),
	    fmt_pct(jnum(o, "error_rate"), err, sizeof(err)),
	    fmt_num(jnum(o, "p50_ms"), "ms", p50, sizeof(p50)),
	    fmt_num(jnum(o, "p99_ms"), "ms", p99, sizeof(p99)), kinds);
}

static void
report_phases(FILE *f, const json_t *run)
{
	const json_t *phases = json_object_get(run, "phases");

	for (size_t i = 0; i < (sizeof(phase_names) / sizeof(phase_names[0])); i++) {
		const json_t *p = json_object_get(phases, phase_names[i]);
		const json_t *servers = json_object_get(p, "servers");
		const json_t *dur = json_object_get(p, "duration_ms");
		char from[24], to[24], len[16], kinds[160];
		const char *keys[REPORT_KEYS_MAX];
		size_t nk;

		fmt_clock(jnum(p, "start"), from, sizeof(from));
		fmt_clock(jnum(p, "end"), to, sizeof(to));
		fmt_duration_s(json_is_number(dur) ?
		    json_number_value(dur) / 1000.0 : NAN, len, sizeof(len));
		fprintf(f, "\n%s: %s to %s, %s\n", phase_names[i], from, to,
		    len);
		if (!json_is_object(p) || !json_is_integer(json_object_get(p,
		    "ops"))) {
			fprintf(f, "  not reached\n");
			continue;
		}
		fprintf(f, "  %-14s %10s %9s %8s %9s %9s  %s\n", "", "OPS",
		    "OPS/S", "ERRORS", "P50", "P99", "ERRORS BY KIND");
		report_kinds_text(json_object_get(p, "errors"), kinds, sizeof(kinds));
		figures_row(f, "all", p, kinds);
		nk = report_sorted_keys(servers, keys);
		for (size_t k = 0; k < nk; k++)
			figures_row(f, keys[k], json_object_get(servers,
			    keys[k]), "");
	}
}

static void
report_figures(FILE *f, const json_t *run)
{
	const json_t *fig = json_object_get(run, "figures");
	const json_t *open = json_object_get(fig, "time_to_open_s");
	char a[24], b[24];
	const char *keys[REPORT_KEYS_MAX];
	size_t nk = report_sorted_keys(open, keys);

	fprintf(f, "\ntime to open (after the fault was applied)\n");
	if (nk == 0)
		fprintf(f, "  -\n");
	for (size_t i = 0; i < nk; i++) {
		const json_t *v = json_object_get(open, keys[i]);

		fprintf(f, "  %-14s %s\n", keys[i],
		    json_is_number(v) ? fmt_num(json_number_value(v), "s", a,
		    sizeof(a)) : "did not open");
	}
	fprintf(f, "time to recover: %s\n",
	    fmt_num(jnum(fig, "time_to_recover_s"), "s", a, sizeof(a)));
	fprintf(f, "throughput over the baseline: testing %s, after recovery "
		   "%s\n",
	    fmt_num(jnum(fig, "throughput_ratio"), "", a, sizeof(a)),
	    fmt_num(jnum(fig, "recovered_throughput_ratio"), "", b,
		sizeof(b)));
}

static void
report_checks(FILE *f, const json_t *run)
{
	const json_t *checks = json_object_get(run, "checks"), *c;
	size_t i;

	fprintf(f, "\nhypothesis\n");
	if (!json_is_array(checks)) {
		fprintf(f, "  - (this record has no checks)\n");
		return;
	}
	fprintf(f, "  %-26s %-14s %-11s %-12s %-10s %s\n", "CHECK", "PHASE",
	    "SERVER", "EXPECTED", "MEASURED", "RESULT");
	json_array_foreach(checks, i, c) {
		const char *name = jstr(c, "check", "?");
		const char *unit = jstr(c, "unit", "");
		const char *why = jstr(c, "why", "");
		char exp[32], meas[32], e[40];

		if (strcmp(unit, "ratio") == 0)
			unit = "";
		fmt_num(jnum(c, "expected"), unit, exp, sizeof(exp));
		snprintf(e, sizeof(e), "%s%s", strcmp(exp, "-") == 0 ? "" :
		    report_check_way(name), exp);
		fprintf(f, "  %-26s %-14s %-11s %-12s %-10s %s\n", name,
		    jstr(c, "phase", "-"), jstr(c, "server", "-"), e,
		    fmt_num(jnum(c, "measured"), unit, meas, sizeof(meas)),
		    report_result_text(jstr(c, "result", "-")));
		if (*why)
			fprintf(f, "  %-26s %s\n", "", why);
	}
}

void
report_print(FILE *f, const json_t *run)
{
	const char *reason = jstr(run, "reason", "");

	report_head(f, run);
	report_faults(f, run);
	/* Several clients: side by side, each with its own verdict. */
	if (report_clients(f, run) != 0) {
		report_phases(f, run);
		report_figures(f, run);
		report_checks(f, run);
	}
	fprintf(f, "\nverdict: %s%s%s\n", jstr(run, "status", "-"),
	    *reason ? ": " : "", reason);
	if (json_is_true(json_object_get(run, "loss_approximated")))
		fprintf(f, "(loss was approximated as latency: a real "
			   "Toxiproxy has no loss toxic)\n");
}
