/* reliabctl's text output; --json prints the daemon's result as is. */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reliabctl.h"

static const char *
str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : dflt;
}

static double
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *
ms_text(const json_t *o, const char *key, char *buf, size_t len)
{
	double ms = num(o, key);

	return fmt_duration_s(ms / 1000.0, buf, len);
}

void
print_hello(const json_t *r)
{
	printf("%s %s, protocol %lld, pid %lld\n", str(r, "program", "?"),
	    str(r, "version", "?"),
	    (long long)json_integer_value(json_object_get(r, "protocol")),
	    (long long)json_integer_value(json_object_get(r, "pid")));
}

/* Several clients: a line each, with last second's load when running. */
static void
print_clients(const json_t *clients)
{
	const json_t *cl;
	char ops[32], errs[32];
	size_t i;

	printf("%-16s %-9s %-9s %-8s %s\n", "CLIENT", "STATE", "OPS/S",
	    "ERRORS", "METRICS");
	json_array_foreach(clients, i, cl) {
		const json_t *load = json_object_get(cl, "load");

		if (json_is_object(load)) {
			snprintf(ops, sizeof(ops), "%.0f", num(load,
			    "ops_rate"));
			snprintf(errs, sizeof(errs), "%.2f%%",
			    100.0 * num(load, "error_rate"));
		} else {
			snprintf(ops, sizeof(ops), "-");
			snprintf(errs, sizeof(errs), "-");
		}
		printf("%-16s %-9s %-9s %-8s %s\n", str(cl, "name", "?"),
		    str(cl, "state", "?"), ops, errs, str(cl, "metrics", "-"));
	}
}

void
print_status(const json_t *r)
{
	const json_t *children = json_object_get(r, "children"), *c;
	const json_t *load = json_object_get(r, "load");
	const json_t *sc = json_object_get(r, "scenario");
	char up[32], pid[16];
	size_t i;
	int w = 12; /* NAME's width: "loadgen:NAME" may be longer */

	json_array_foreach(children, i, c)
		if ((int)strlen(str(c, "name", "")) > w)
			w = (int)strlen(str(c, "name", ""));
	if (w > 72)
		w = 72;
	printf("reliabd %s, %s, pid %lld, up %s\n", str(r, "version", "?"),
	    str(r, "state", "?"),
	    (long long)json_integer_value(json_object_get(r, "pid")),
	    fmt_duration_s(num(r, "uptime_s"), up, sizeof(up)));
	printf("config %s, metrics on %s\n\n", str(r, "config", "?"),
	    str(r, "metrics", "?"));
	printf("%-*s %-9s %-9s %-8s %-8s %-8s %-22s %s\n", w, "NAME", "KIND",
	    "STATE", "PID", "UPTIME", "RESTARTS", "LAST-EXIT", "METRICS");
	json_array_foreach(children, i, c) {
		const json_t *jp = json_object_get(c, "pid");

		if (json_is_integer(jp))
			snprintf(pid, sizeof(pid), "%lld",
			    (long long)json_integer_value(jp));
		else
			snprintf(pid, sizeof(pid), "-");
		printf("%-*s %-9s %-9s %-8s %-8s %-8lld %-22s %s\n", w,
		    str(c, "name", "?"), str(c, "kind", "?"),
		    str(c, "state", "?"), pid,
		    fmt_duration_s(num(c, "uptime_s"), up, sizeof(up)),
		    (long long)json_integer_value(json_object_get(c, "restarts")),
		    str(c, "last_exit", "-"), str(c, "metrics", "-"));
	}
	printf("\n");
	if (json_array_size(json_object_get(r, "clients")) > 1)
		print_clients(json_object_get(r, "clients"));
	else if (json_is_object(load))
		printf("load: %.0f ops/s, %.2f%% errors\n", num(load, "ops_rate"),
		    100.0 * num(load, "error_rate"));
	else
		printf("load: not running\n");
	if (json_is_object(sc) && strcmp(str(sc, "phase", "idle"), "idle") != 0) {
		double left = num(sc, "started") + num(sc, "duration_ms") / 1000.0 -
		    (double)time(NULL);

		printf("run: %s, scenario %s, phase %s, %s left\n",
		    str(sc, "run", "?"), str(sc, "scenario", "?"),
		    str(sc, "phase", "?"),
		    fmt_duration_s(left > 0 ? left : 0, up, sizeof(up)));
	} else {
		printf("run: none\n");
	}
	/* What the scenario worker had to do to start (a ledger set
	 * aside). */
	if (json_is_object(sc) && json_is_string(json_object_get(sc, "notice")))
		printf("notice: %s\n", str(sc, "notice", ""));
}

void
print_list(const json_t *r)
{
	const json_t *list = json_object_get(r, "scenarios"), *s;
	char a[16], b[16], c[16];
	size_t i;

	printf("%-28s %-7s %-7s %-7s %-8s %s\n", "NAME", "STABLE", "TEST",
	    "RECOVER", "SOURCE", "DESCRIPTION");
	json_array_foreach(list, i, s) {
		const json_t *ph = json_object_get(s, "phases");

		printf("%-28s %-7s %-7s %-7s %-8s %s\n", str(s, "name", "?"),
		    ms_text(ph, "stabilization", a, sizeof(a)),
		    ms_text(ph, "testing", b, sizeof(b)),
		    ms_text(ph, "recovery", c, sizeof(c)),
		    str(s, "source", "-"), str(s, "description", ""));
	}
	print_bad_files(r);
}

void
print_bad_files(const json_t *r)
{
	const json_t *bad = json_object_get(r, "bad"), *b;
	json_int_t errors = json_integer_value(json_object_get(r, "errors"));
	size_t i;

	if (errors <= 0)
		return;
	printf("\n%" JSON_INTEGER_FORMAT " bad scenario file%s, not loaded:\n",
	    errors, errors == 1 ? "" : "s");
	json_array_foreach(bad, i, b)
		printf("  %s: %s\n", str(b, "file", "?"), str(b, "error", "?"));
	if ((json_int_t)json_array_size(bad) < errors)
		printf("  (%" JSON_INTEGER_FORMAT " more)\n",
		    errors - (json_int_t)json_array_size(bad));
}

void
print_reload(const json_t *r)
{
	if (json_is_string(json_object_get(r, "config")))
		printf("config %s reloaded\n", str(r, "config", "?"));
	if (json_is_integer(json_object_get(r, "scenarios")))
		printf("%" JSON_INTEGER_FORMAT " scenarios\n",
		    json_integer_value(json_object_get(r, "scenarios")));
	print_bad_files(r);
}

void
print_runs(const json_t *r)
{
	const json_t *runs = json_object_get(r, "runs"), *run;
	const char *scenario = str(r, "scenario", NULL);
	char when[32], tto[16], ttr[16], thr[16];
	size_t i;

	if (json_array_size(runs) == 0) {
		if (scenario)
			printf("no runs of %s yet\n", scenario);
		else
			printf("no runs yet\n");
	} else {
		printf("%-24s %-22s %-19s %-8s %-7s %-7s %-7s %s\n", "ID",
		    "SCENARIO", "STARTED", "STATUS", "THRUPUT", "OPEN",
		    "RECOVER", "REASON");
	}
	json_array_foreach(runs, i, run) {
		const json_t *fig = json_object_get(run, "figures");

		fmt_time(num(run, "started"), when, sizeof(when));
		printf("%-24s %-22s %-19s %-8s %-7s %-7s %-7s %s\n",
		    str(run, "id", "?"), str(run, "scenario", "?"), when,
		    str(run, "status", "?"),
		    fmt_num(num(fig, "throughput_ratio"), "", thr, sizeof(thr)),
		    fmt_num(report_first_open(run), "s", tto, sizeof(tto)),
		    fmt_num(num(fig, "time_to_recover_s"), "s", ttr,
			sizeof(ttr)),
		    str(run, "reason", ""));
	}
	if (json_is_true(json_object_get(r, "truncated")))
		printf("(older runs left out: one reply holds at most 64 KiB)\n");
	if (json_integer_value(json_object_get(r, "skipped")) > 0)
		printf("(%" JSON_INTEGER_FORMAT " damaged lines of the journal "
		    "skipped)\n", json_integer_value(json_object_get(r,
					"skipped")));
	if (scenario && json_array_size(runs) > 0)
		print_history(r);
}

void
print_show(const json_t *r)
{
	report_print(stdout, json_object_get(r, "run"));
}

void
print_load(const json_t *r)
{
	const char *k;
	json_t *v;

	/* An older reliabd's reply has no clients. */
	if (!json_is_object(json_object_get(r, "clients"))) {
		print_generic(r);
		return;
	}
	json_object_foreach((json_t *)json_object_get(r, "clients"), k, v)
		printf("load %s: %s is %s\n", str(r, "action", "?"), k,
		    json_string_value(v) ? json_string_value(v) : "?");
}

void
print_generic(const json_t *r)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)r, k, v) {
		char *s = json_is_string(v) ? NULL
					    : json_dumps(v, JSON_ENCODE_ANY |
								JSON_COMPACT);

		printf("%s: %s\n", k, s ? s : json_string_value(v));
		free(s);
	}
}

/* One event as one line of text: what happened, in words. */
static void
event_text(const json_t *ev, const char *name, char *buf, size_t len)
{
	char a[32], b[32];

	if (strcmp(name, "phase") == 0) {
		snprintf(buf, len, "%s %s: %s for %s", str(ev, "run", "?"),
		    str(ev, "scenario", "?"), str(ev, "phase", "?"),
		    fmt_duration_s(num(ev, "duration_ms") / 1000.0, a,
			sizeof(a)));
	} else if (strcmp(name, "fault") == 0) {
		snprintf(buf, len, "%s %s on %s (toxicity %s)%s%s",
		    str(ev, "action", "?"), str(ev, "type", "?"),
		    str(ev, "server", "?"),
		    fmt_num(num(ev, "toxicity"), "", a, sizeof(a)),
		    json_is_string(json_object_get(ev, "error")) ? ": " : "",
		    str(ev, "error", ""));
	} else if (strcmp(name, "run") == 0) {
		const char *reason = str(ev, "reason", "");

		snprintf(buf, len, "%s %s: %s%s%s", str(ev, "id", "?"),
		    str(ev, "scenario", "?"), str(ev, "status", "?"),
		    *reason ? ": " : "", reason);
	} else if (strcmp(name, "done") == 0) {
		snprintf(buf, len, "job %s ended %s: %" JSON_INTEGER_FORMAT
		    " runs, %" JSON_INTEGER_FORMAT " failed",
		    str(ev, "run", "?"), str(ev, "status", "?"),
		    json_integer_value(json_object_get(ev, "runs")),
		    json_integer_value(json_object_get(ev, "failed")));
	} else if (strcmp(name, "load") == 0) {
		snprintf(buf, len, "load %s: %s is %s", str(ev, "action", "?"),
		    str(ev, "name", "?"), str(ev, "state", "?"));
	} else if (strcmp(name, "node-restart") == 0) {
		snprintf(buf, len, "node %s killed, back in %s",
		    str(ev, "name", "?"),
		    fmt_duration_s(num(ev, "down_ms") / 1000.0, a, sizeof(a)));
	} else if (strcmp(name, "child-restart") == 0) {
		snprintf(buf, len, "%s (%s) started again after %s, restart "
		    "%" JSON_INTEGER_FORMAT, str(ev, "name", "?"),
		    str(ev, "kind", "?"), strcmp(str(ev, "after", ""),
		    "hold") == 0 ? "a requested stop" : "it died",
		    json_integer_value(json_object_get(ev, "restarts")));
	} else if (strcmp(name, "child-exit") == 0) {
		snprintf(buf, len, "%s died (%s), restart %" JSON_INTEGER_FORMAT
		    " in %s", str(ev, "name", "?"), str(ev, "last_exit", "?"),
		    json_integer_value(json_object_get(ev, "restarts")),
		    fmt_duration_s(num(ev, "restart_in_ms") / 1000.0, b,
			sizeof(b)));
	} else if (strcmp(name, "child-fatal") == 0) {
		snprintf(buf, len, "%s died (%s) too often: left down",
		    str(ev, "name", "?"), str(ev, "last_exit", "?"));
	} else if (strcmp(name, "ready") == 0) {
		snprintf(buf, len, "ready, metrics on %s",
		    str(ev, "metrics", "-"));
	} else {
		/* An event this reliabctl does not know: its fields. */
		json_t *rest = json_deep_copy(ev);
		char *s;

		json_object_del(rest, "time");
		json_object_del(rest, "event");
		json_object_del(rest, "source");
		s = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(buf, len, "%s", s ? s : "");
		free(s);
		json_decref(rest);
	}
}

void
print_event(const json_t *ev)
{
	char when[32], text[512];
	const char *name = str(ev, "event", "?");

	fmt_time(num(ev, "time"), when, sizeof(when));
	event_text(ev, name, text, sizeof(text));
	printf("%s %-10s %-13s %s\n", when, str(ev, "source", "?"), name,
	    text);
	fflush(stdout);
}
