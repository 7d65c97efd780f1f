/* libFuzzer: a run's series file (report/series.c), as reliabd and
 * reliabctl read it from the state directory. Besides the sanitizers, it
 * checks what the reader promises: every line is kept or counted as
 * skipped, and the normalized form read back again is the same (what
 * the reader keeps, it keeps whole and valid). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The normalized series as a series file again. */
static char *
relines(json_t *j, size_t *len)
{
	static const char *const kinds[][2] = {
		{"samples", "sample"}, {"phases", "phase"}, {"faults", "fault"},
	};
	json_t *all = json_array(), *v;
	size_t i, cap = 0, n = 0;
	char *out = NULL;

	if (!all)
		abort();
	v = json_deep_copy(json_object_get(j, "meta"));
	json_object_set_new(v, "type", json_string("meta"));
	json_array_append_new(all, v);
	for (size_t k = 0; k < 3; k++) {
		json_t *e;

		json_array_foreach(json_object_get(j, kinds[k][0]), i, e) {
			v = json_deep_copy(e);
			json_object_set_new(v, "type", json_string(kinds[k][1]));
			json_array_append_new(all, v);
		}
	}
	if (json_is_object(json_object_get(j, "end"))) {
		v = json_deep_copy(json_object_get(j, "end"));
		json_object_set_new(v, "type", json_string("end"));
		json_array_append_new(all, v);
	}
	json_array_foreach(all, i, v) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
		size_t sn;

		if (!s)
			abort();
		sn = strlen(s);
		if (n + sn + 1 > cap) {
			cap = (n + sn + 1) * 2;
			if (!(out = realloc(out, cap)))
				abort();
		}
		memcpy(out + n, s, sn);
		n += sn;
		out[n++] = '\n';
		free(s);
	}
	json_decref(all);
	*len = n;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct series *s = series_parse((const char *)data, size, err,
	    sizeof err);
	json_t *j, *j2;
	struct series *s2;
	size_t lines = 0, kept, n;
	char *text;

	if (!s)
		return 0;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' || data[i] == '\0')
			lines++;
	lines++;
	j = series_json(s);
	if (!j)
		abort();
	kept = 1 + json_array_size(json_object_get(j, "samples")) +
	    json_array_size(json_object_get(j, "phases")) +
	    json_array_size(json_object_get(j, "faults")) +
	    (json_is_object(json_object_get(j, "end")) ? 1 : 0);
	if (series_samples(s) != json_array_size(json_object_get(j, "samples")))
		abort();
	if (kept + (size_t)json_integer_value(json_object_get(j, "skipped")) >
	    lines)
		abort();
	text = relines(j, &n);
	s2 = series_parse(text, n, err, sizeof err);
	if (!s2)
		abort();
	j2 = series_json(s2);
	if (!j2)
		abort();
	/* Longer than the first (1 became 1.0) a line may now be skipped;
	 * else the second reading is the first. */
	if (json_integer_value(json_object_get(j2, "skipped")) == 0) {
		json_object_set(j2, "skipped", json_object_get(j, "skipped"));
		if (!json_equal(j, j2))
			abort();
	}
	json_decref(j2);
	series_free(s2);
	free(text);
	json_decref(j);
	series_free(s);
	return 0;
}
