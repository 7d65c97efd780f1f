/* Splits the run journal into run records, whatever a crash left in it:
 * a torn last line, a block of NULs (ext4 after a power cut), garbage.
 * Records end at a newline or a NUL; a segment that is not a run record
 * is skipped and counted, and the scan goes on. Fed in chunks of any
 * size, it finds the same records as fed at once. No I/O here: the
 * caller reads the file (journal.c), the fuzz target feeds bytes. */
#ifndef RELIABD_JOURNAL_SCAN_H
#define RELIABD_JOURNAL_SCAN_H

#include <jansson.h>
#include <stddef.h>

/* The longest record kept; a longer line is skipped as damaged. */
#define JOURNAL_LINE_MAX (1024 * 1024)

struct journal_damage {
	size_t bad_lines; /* segments that are not a run record */
	size_t nul_runs;  /* runs of NUL bytes */
};

/* Gets each run record found (a JSON object with a string "id"), and
 * owns it. Returns nonzero to stop the scan. */
typedef int (*journal_record_fn)(json_t *run, void *arg);

struct journal_scan {
	journal_record_fn fn;
	void *arg;
	/* Parse only the segments holding this string (NULL: every one);
	 * segments skipped this way are not counted. */
	const char *filter;
	/* The first segment is the end of one that began before the bytes
	 * fed: dropped without counting it. */
	int skip_first;
	struct journal_damage dmg;

	char *buf;       /* a segment not ended yet */
	size_t len, cap;
	int too_long;    /* in a segment past JOURNAL_LINE_MAX */
	int in_nul;      /* the last byte fed was a NUL */
	int stopped;
};

void journal_scan_init(struct journal_scan *s, journal_record_fn fn,
    void *arg);
/* 0 to go on, 1 once fn asked to stop, -1 out of memory. */
int journal_scan_feed(struct journal_scan *s, const char *data, size_t n);
/* The bytes are over: the last segment, even without its newline. */
int journal_scan_end(struct journal_scan *s);
void journal_scan_free(struct journal_scan *s);

#endif
