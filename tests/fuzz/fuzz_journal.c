/* libFuzzer: the run journal's reader (daemon/journal_scan.c), as reliabd
 * runs it on a file a crash may have damaged. Besides the sanitizers, it
 * checks what the reader promises: fed in uneven chunks it finds the same
 * runs and the same damage as fed at once; a window that starts
 * mid-file (`runs` reads the tail) finds exactly the runs that start in
 * it; a filter (`show`) only ever narrows what is found. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
collect(json_t *run, void *arg)
{
	json_array_append(arg, json_object_get(run, "id"));
	json_decref(run);
	return 0;
}

/* The ids found in data[from..size), fed `step` bytes at a time. */
static json_t *
scan(const char *data, size_t size, size_t from, size_t step,
    const char *filter, struct journal_damage *dmg)
{
	struct journal_scan s;
	json_t *ids = json_array();

	if (ids == NULL)
		abort();
	journal_scan_init(&s, collect, ids);
	s.filter = filter;
	s.skip_first = from > 0;
	for (size_t off = from; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		if (journal_scan_feed(&s, data + off, n) < 0)
			abort();
	}
	if (journal_scan_end(&s) < 0)
		abort();
	journal_scan_free(&s);
	if (dmg)
		*dmg = s.dmg;
	return ids;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct journal_damage whole, chunked;
	json_t *all, *pieces, *tail, *filtered;
	size_t step, from, n, m;
	char filter[5];

	if (size < 2)
		return 0;
	step = 1 + data[0] % 64;
	from = 1 + (data[1] * size) / 256;
	p += 2;
	size -= 2;

	all = scan(p, size, 0, size ? size : 1, NULL, &whole);
	pieces = scan(p, size, 0, step, NULL, &chunked);
	if (!json_equal(all, pieces) || whole.bad_lines != chunked.bad_lines ||
	    whole.nul_runs != chunked.nul_runs)
		abort();

	/* A window from one byte before `from`, as journal.c reads one. */
	if (from < size) {
		tail = scan(p, size, from - 1, step, NULL, NULL);
		n = json_array_size(all);
		m = json_array_size(tail);
		if (m > n)
			abort();
		for (size_t i = 0; i < m; i++)
			if (!json_equal(json_array_get(tail, i),
				json_array_get(all, n - m + i)))
				abort();
		json_decref(tail);
	}

	/* A filter taken from the input narrows, never widens. */
	if (size >= 4) {
		memcpy(filter, p, 4);
		filter[4] = '\0';
		if (strlen(filter) > 0) {
			filtered = scan(p, size, 0, step, filter, NULL);
			if (json_array_size(filtered) > json_array_size(all))
				abort();
			json_decref(filtered);
		}
	}
	json_decref(all);
	json_decref(pieces);
	return 0;
}
