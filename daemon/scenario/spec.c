/* Scenario files: parsing and validation (the catalogue: catalogue.c). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duration.h"
#include "log.h"
#include "spec.h"
#include "util.h"

static const char *const fault_names[FAULT__COUNT] = {
	[FAULT_LATENCY] = "latency",
	[FAULT_BANDWIDTH] = "bandwidth",
	[FAULT_SLOW_CLOSE] = "slow_close",
	[FAULT_TIMEOUT] = "timeout",
	[FAULT_RESET_PEER] = "reset_peer",
	[FAULT_LIMIT_DATA] = "limit_data",
	[FAULT_SLICER] = "slicer",
	[FAULT_LOSS] = "loss",
	[FAULT_DOWN] = "down",
	[FAULT_NODE_RESTART] = "node_restart",
};

/* Each type's attributes: name, required, maximum. */
struct attr_rule {
	const char *name;
	int required;
	double max;
};
static const struct attr_rule attr_rules[FAULT__COUNT][SPEC_MAX_ATTRS] = {
	[FAULT_LATENCY] = {{"latency", 1, 3600000}, {"jitter", 0, 3600000}},
	[FAULT_BANDWIDTH] = {{"rate", 1, SPEC_ATTR_MAX}},
	[FAULT_SLOW_CLOSE] = {{"delay", 1, 3600000}},
	[FAULT_TIMEOUT] = {{"timeout", 0, 3600000}},
	[FAULT_RESET_PEER] = {{"timeout", 0, 3600000}},
	[FAULT_LIMIT_DATA] = {{"bytes", 1, SPEC_ATTR_MAX}},
	[FAULT_SLICER] = {{"average_size", 1, 1048576},
	    {"size_variation", 0, 1048576}, {"delay", 0, 60000000}},
	[FAULT_LOSS] = {{"rate", 1, 1}},
	[FAULT_DOWN] = {{NULL, 0, 0}},
	[FAULT_NODE_RESTART] = {{"down_ms", 0, 3600000}},
};

const char *
fault_type_text(enum fault_type t)
{
	if ((unsigned)t < FAULT__COUNT)
		return fault_names[t];
	return "unknown";
}

int
fault_type_parse(const char *s, enum fault_type *out)
{
	for (size_t i = 0; i < FAULT__COUNT; i++) {
		if (strcmp(s, fault_names[i]) == 0) {
			*out = (enum fault_type)i;
			return 0;
		}
	}
	return -1;
}

const char *
fault_stream_text(enum fault_stream s)
{
	switch (s) {
	case STREAM_DOWNSTREAM:
		return "downstream";
	case STREAM_UPSTREAM:
		return "upstream";
	case STREAM_BOTH:
		return "both";
	}
	return "unknown";
}

const char *
phase_text(enum phase p)
{
	switch (p) {
	case PHASE_IDLE:
		return "idle";
	case PHASE_STABILIZATION:
		return "stabilization";
	case PHASE_TESTING:
		return "testing";
	case PHASE_RECOVERY:
		return "recovery";
	}
	return "unknown";
}

const char *
spec_source_text(enum spec_source s)
{
	switch (s) {
	case SOURCE_BUILTIN:
		return "builtin";
	case SOURCE_USER:
		return "user";
	}
	return "unknown";
}

double
fault_attr(const struct fault_spec *f, const char *name, double dflt)
{
	for (size_t i = 0; i < f->nattrs; i++)
		if (strcmp(f->attrs[i].name, name) == 0)
			return f->attrs[i].value;
	return dflt;
}

int
spec_needs_nodes(const struct scenario_spec *s)
{
	for (size_t i = 0; i < s->nfaults; i++)
		if (s->faults[i].type == FAULT_NODE_RESTART)
			return 1;
	return 0;
}

static int
fail(char *err, size_t errlen, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, const char *file, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", file, msg);
	return -1;
}

/* Names are used in metric labels, file names and URLs: keep them tame. */
static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SPEC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return 0;
	}
	return 1;
}

static int
name_in(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return 1;
	return 0;
}

/* Whether `s` is a well-formed duration too long for duration_parse:
 * that is an absurd value, not a typo in the unit. */
static int
duration_too_long(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	double unit;

	if (end == s || !(v >= 0))
		return 0;
	if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1000;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else
		return 0;
	return v * unit > (double)SPEC_PHASE_MAX_MS;
}

/* A duration field: a string with a unit, 0 < d <= SPEC_PHASE_MAX_MS
 * (or 0 allowed when allow_zero). */
static int
get_duration(json_t *v, const char *file, const char *field, int allow_zero,
    uint64_t *out, char *err, size_t errlen)
{
	const char *s;
	uint64_t ms;

	if (!json_is_string(v))
		return fail(err, errlen, file,
		    "%s: must be a duration string such as \"30s\"", field);
	s = json_string_value(v);
	if (s[0] == '-')
		return fail(err, errlen, file, "%s: negative duration \"%s\"",
		    field, s);
	if (duration_parse(s, &ms) != 0) {
		if (duration_too_long(s))
			return fail(err, errlen, file,
			    "%s: duration \"%.40s\" is absurd (over 24h)",
			    field, s);
		return fail(err, errlen, file,
		    "%s: bad duration \"%.40s\" (use ms, s, m units)", field, s);
	}
	if (ms > SPEC_PHASE_MAX_MS)
		return fail(err, errlen, file,
		    "%s: duration \"%s\" is absurd (over 24h)", field, s);
	if (ms == 0 && !allow_zero)
		return fail(err, errlen, file, "%s: duration must not be zero",
		    field);
	*out = ms;
	return 0;
}

static int
get_ratio(json_t *v, const char *file, const char *field, double *out,
    char *err, size_t errlen)
{
	double d;

	if (!json_is_number(v))
		return fail(err, errlen, file, "%s: must be a number 0..1",
		    field);
	d = json_number_value(v);
	if (!(d >= 0.0 && d <= 1.0))
		return fail(err, errlen, file, "%s: %g is outside 0..1", field,
		    d);
	*out = d;
	return 0;
}

static int
parse_fault(json_t *jf, size_t idx, const char *file,
    const struct spec_names *names, struct fault_spec *f, char *err,
    size_t errlen)
{
	const char *key;
	json_t *v;
	char field[64];
	int have_type = 0, have_servers = 0;

	memset(f, 0, sizeof *f);
	f->toxicity = 1.0;
	f->stream = STREAM_DOWNSTREAM;
	if (!json_is_object(jf))
		return fail(err, errlen, file, "faults[%zu]: must be an object",
		    idx);
	/* The type first: the attributes' rules depend on it. */
	v = json_object_get(jf, "type");
	if (!json_is_string(v))
		return fail(err, errlen, file,
		    "faults[%zu].type: missing or not a string", idx);
	if (fault_type_parse(json_string_value(v), &f->type) != 0)
		return fail(err, errlen, file,
		    "faults[%zu].type: unknown fault type \"%.40s\" (latency, "
		    "bandwidth, slow_close, timeout, reset_peer, limit_data, "
		    "slicer, loss, down, node_restart)",
		    idx, json_string_value(v));
	have_type = 1;

	json_object_foreach(jf, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		if (strcmp(key, "servers") == 0) {
			size_t i;
			json_t *s;

			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > SPEC_MAX_SERVERS)
				return fail(err, errlen, file,
				    "faults[%zu].servers: must be a list of 1 to "
				    "%d names", idx, SPEC_MAX_SERVERS);
			json_array_foreach(v, i, s) {
				const char *n = json_string_value(s);
				if (!n || !valid_name(n))
					return fail(err, errlen, file,
					    "faults[%zu].servers[%zu]: not a "
					    "valid server name", idx, i);
				if (f->type == FAULT_NODE_RESTART) {
					if (names && names->nnodes &&
					    !name_in(n, names->nodes,
					    names->nnodes))
						return fail(err, errlen, file,
						    "faults[%zu].servers[%zu]: "
						    "unknown node \"%s\"",
						    idx, i, n);
				} else if (names && names->nservers &&
				    !name_in(n, names->servers,
				    names->nservers)) {
					return fail(err, errlen, file,
					    "faults[%zu].servers[%zu]: unknown "
					    "server \"%s\"", idx, i, n);
				}
				for (size_t j = 0; j < f->nservers; j++)
					if (strcmp(f->servers[j], n) == 0)
						return fail(err, errlen, file,
						    "faults[%zu].servers[%zu]: "
						    "\"%s\" listed twice",
						    idx, i, n);
				strlcpy_r(f->servers[f->nservers++], n,
				    SPEC_NAME_MAX);
			}
			have_servers = 1;
		} else if (strcmp(key, "stream") == 0) {
			const char *s = json_string_value(v);
			if (s && strcmp(s, "downstream") == 0)
				f->stream = STREAM_DOWNSTREAM;
			else if (s && strcmp(s, "upstream") == 0)
				f->stream = STREAM_UPSTREAM;
			else if (s && strcmp(s, "both") == 0)
				f->stream = STREAM_BOTH;
			else
				return fail(err, errlen, file,
				    "faults[%zu].stream: must be downstream, "
				    "upstream or both", idx);
		} else if (strcmp(key, "toxicity") == 0) {
			snprintf(field, sizeof field, "faults[%zu].toxicity",
			    idx);
			if (get_ratio(v, file, field, &f->toxicity, err,
			    errlen) != 0)
				return -1;
		} else if (strcmp(key, "attributes") == 0) {
			const char *ak;
			json_t *av;

			if (!json_is_object(v))
				return fail(err, errlen, file,
				    "faults[%zu].attributes: must be an object",
				    idx);
			json_object_foreach(v, ak, av) {
				const struct attr_rule *r = NULL;
				double d;

				for (size_t i = 0; i < SPEC_MAX_ATTRS; i++) {
					const struct attr_rule *c =
					    &attr_rules[f->type][i];
					if (c->name && strcmp(c->name, ak) == 0)
						r = c;
				}
				if (!r)
					return fail(err, errlen, file,
					    "faults[%zu].attributes.%.32s: not an "
					    "attribute of %s", idx, ak,
					    fault_type_text(f->type));
				if (!json_is_number(av))
					return fail(err, errlen, file,
					    "faults[%zu].attributes.%s: must be "
					    "a number", idx, r->name);
				d = json_number_value(av);
				if (!(d >= 0.0 && d <= r->max))
					return fail(err, errlen, file,
					    "faults[%zu].attributes.%s: %g is "
					    "outside 0..%g", idx, r->name, d,
					    r->max);
				strlcpy_r(f->attrs[f->nattrs].name, r->name,
				    sizeof f->attrs[0].name);
				f->attrs[f->nattrs++].value = d;
			}
		} else {
			return fail(err, errlen, file,
			    "faults[%zu].%.32s: unknown field", idx, key);
		}
	}
	if (!have_type || !have_servers)
		return fail(err, errlen, file, "faults[%zu].servers: missing",
		    idx);
	for (size_t i = 0; i < SPEC_MAX_ATTRS; i++) {
		const struct attr_rule *r = &attr_rules[f->type][i];
		int found = 0;

		if (!r->name || !r->required)
			continue;
		for (size_t j = 0; j < f->nattrs; j++)
			if (strcmp(f->attrs[j].name, r->name) == 0)
				found = 1;
		if (!found)
			return fail(err, errlen, file,
			    "faults[%zu].attributes.%s: required for %s", idx,
			    r->name, fault_type_text(f->type));
	}
	return 0;
}

static int
parse_expect(json_t *je, const char *file, struct expect_spec *e, char *err,
    size_t errlen)
{
	const char *key;
	json_t *v;
	uint64_t ms;

	if (!json_is_object(je))
		return fail(err, errlen, file, "expect: must be an object");
	json_object_foreach(je, key, v) {
		if (strcmp(key, "breaker_opens_within") == 0) {
			if (get_duration(v, file, "expect.breaker_opens_within",
			    0, &ms, err, errlen) != 0)
				return -1;
			e->breaker_opens_within_ms = (int64_t)ms;
		} else if (strcmp(key, "recovers_within") == 0) {
			if (get_duration(v, file, "expect.recovers_within", 0,
			    &ms, err, errlen) != 0)
				return -1;
			e->recovers_within_ms = (int64_t)ms;
		} else if (strcmp(key, "baseline_error_rate_max") == 0) {
			if (get_ratio(v, file, "expect.baseline_error_rate_max",
			    &e->baseline_error_rate_max, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "testing_error_rate_min") == 0) {
			if (get_ratio(v, file, "expect.testing_error_rate_min",
			    &e->testing_error_rate_min, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "other_error_rate_max") == 0) {
			if (get_ratio(v, file, "expect.other_error_rate_max",
			    &e->other_error_rate_max, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "recover_error_rate") == 0) {
			if (get_ratio(v, file, "expect.recover_error_rate",
			    &e->recover_error_rate, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "throughput_min_ratio") == 0) {
			if (get_ratio(v, file, "expect.throughput_min_ratio",
			    &e->throughput_min_ratio, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "recover_throughput_ratio") == 0) {
			if (get_ratio(v, file,
			    "expect.recover_throughput_ratio",
			    &e->recover_throughput_ratio, err, errlen) != 0)
				return -1;
		} else if (strcmp(key, "p99_max") == 0) {
			if (get_duration(v, file, "expect.p99_max", 0, &ms, err,
			    errlen) != 0)
				return -1;
			e->p99_max_ms = (int64_t)ms;
		} else if (strcmp(key, "others_p99_max_ratio") == 0) {
			double d;

			if (!json_is_number(v))
				return fail(err, errlen, file,
				    "expect.others_p99_max_ratio: must be a "
				    "number 1..%g", SPEC_RATIO_MAX);
			d = json_number_value(v);
			if (!(d >= 1.0 && d <= SPEC_RATIO_MAX))
				return fail(err, errlen, file,
				    "expect.others_p99_max_ratio: %g is "
				    "outside 1..%g", d, SPEC_RATIO_MAX);
			e->others_p99_max_ratio = d;
		} else {
			return fail(err, errlen, file,
			    "expect.%.32s: unknown field", key);
		}
	}
	return 0;
}

int
spec_parse(const char *text, size_t len, const char *file,
    const struct spec_names *names, struct scenario_spec *out, char *err,
    size_t errlen)
{
	json_t *root, *v;
	json_error_t jerr;
	const char *key;
	int rc = -1, have_testing = 0;

	memset(out, 0, sizeof *out);
	out->stabilization_ms = SPEC_DEFAULT_STABILIZATION_MS;
	out->testing_ms = SPEC_DEFAULT_TESTING_MS;
	out->recovery_ms = SPEC_DEFAULT_RECOVERY_MS;
	out->expect.breaker_opens_within_ms = -1;
	out->expect.recovers_within_ms = -1;
	out->expect.baseline_error_rate_max = -1;
	out->expect.testing_error_rate_min = -1;
	out->expect.other_error_rate_max = -1;
	out->expect.recover_error_rate = -1;
	out->expect.recover_throughput_ratio =
	    SPEC_RECOVER_THROUGHPUT_DEFAULT;

	if (len > SPEC_FILE_MAX)
		return fail(err, errlen, file, "file larger than %d bytes",
		    SPEC_FILE_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(err, errlen, file, "invalid JSON at line %d: %s",
		    jerr.line, jerr.text);
	if (!json_is_object(root)) {
		fail(err, errlen, file, "must be a JSON object");
		goto out;
	}
	v = json_object_get(root, "name");
	if (!json_is_string(v) || !valid_name(json_string_value(v))) {
		fail(err, errlen, file,
		    "name: missing, or not 1-63 of [A-Za-z0-9._-]");
		goto out;
	}
	strlcpy_r(out->name, json_string_value(v), sizeof out->name);

	json_object_foreach(root, key, v) {
		if (strcmp(key, "name") == 0)
			continue;
		if (strcmp(key, "description") == 0) {
			if (!json_is_string(v) ||
			    strlen(json_string_value(v)) >= SPEC_DESC_MAX) {
				fail(err, errlen, file,
				    "description: must be a string under %d "
				    "bytes", SPEC_DESC_MAX);
				goto out;
			}
			strlcpy_r(out->description, json_string_value(v),
			    sizeof out->description);
		} else if (strcmp(key, "phases") == 0) {
			const char *pk;
			json_t *pv;

			if (!json_is_object(v)) {
				fail(err, errlen, file,
				    "phases: must be an object");
				goto out;
			}
			json_object_foreach(v, pk, pv) {
				uint64_t *dst;
				char field[64];

				if (strcmp(pk, "stabilization") == 0)
					dst = &out->stabilization_ms;
				else if (strcmp(pk, "testing") == 0)
					dst = &out->testing_ms, have_testing = 1;
				else if (strcmp(pk, "recovery") == 0)
					dst = &out->recovery_ms;
				else {
					fail(err, errlen, file,
					    "phases.%.32s: unknown phase "
					    "(stabilization, testing, recovery)",
					    pk);
					goto out;
				}
				snprintf(field, sizeof field, "phases.%s", pk);
				if (get_duration(pv, file, field, 0, dst, err,
				    errlen) != 0)
					goto out;
			}
		} else if (strcmp(key, "faults") == 0) {
			size_t i;
			json_t *jf;

			if (!json_is_array(v) || json_array_size(v) == 0 ||
			    json_array_size(v) > SPEC_MAX_FAULTS) {
				fail(err, errlen, file,
				    "faults: must be a list of 1 to %d faults",
				    SPEC_MAX_FAULTS);
				goto out;
			}
			json_array_foreach(v, i, jf) {
				if (parse_fault(jf, i, file, names,
				    &out->faults[i], err, errlen) != 0)
					goto out;
				out->nfaults = i + 1;
			}
		} else if (strcmp(key, "pattern") == 0) {
			json_t *on, *off;

			if (!json_is_object(v) || json_object_size(v) != 2 ||
			    !(on = json_object_get(v, "on")) ||
			    !(off = json_object_get(v, "off"))) {
				fail(err, errlen, file,
				    "pattern: must be {\"on\": D, \"off\": D}");
				goto out;
			}
			if (get_duration(on, file, "pattern.on", 0,
			    &out->pattern_on_ms, err, errlen) != 0 ||
			    get_duration(off, file, "pattern.off", 0,
			    &out->pattern_off_ms, err, errlen) != 0)
				goto out;
		} else if (strcmp(key, "expect") == 0) {
			if (parse_expect(v, file, &out->expect, err,
			    errlen) != 0)
				goto out;
		} else {
			fail(err, errlen, file, "%.32s: unknown field", key);
			goto out;
		}
	}
	if (out->nfaults == 0) {
		fail(err, errlen, file, "faults: missing");
		goto out;
	}
	(void)have_testing;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
spec_load_file(const char *path, const struct spec_names *names,
    struct scenario_spec *out, char *err, size_t errlen)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	fd = open_regular(path, O_RDONLY, 0);
	if (fd < 0)
		return fail(err, errlen, path, "cannot open: %s",
		    file_strerror(errno));
	buf = malloc(SPEC_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return fail(err, errlen, path, "out of memory");
	}
	/* Read one byte past the cap to tell "too large" from "exactly". */
	while (n <= SPEC_FILE_MAX &&
	    (r = read(fd, buf + n, SPEC_FILE_MAX + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(err, errlen, path, "read: %s",
			    strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	rc = spec_parse(buf, n, path, names, out, err, errlen);
	if (rc == 0)
		strlcpy_r(out->path, path, sizeof out->path);
out:
	free(buf);
	close(fd);
	return rc;
}
