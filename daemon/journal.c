/* Reads the run journal the scenario worker appends to
 * (<state_dir>/journal.jsonl, one JSON object a line, and the file it
 * was rotated to, journal.jsonl.1). Damage a crash leaves (torn lines,
 * NUL blocks, garbage) is skipped and counted (journal_scan.c).
 * Bounded on the event loop: `runs` reads only as much of the tail as it
 * needs, growing from 64 KiB up to JOURNAL_TAIL_MAX; `show` reads both
 * files (each at most JOURNAL_SCAN_MAX, streamed in chunks) but parses
 * only the lines that hold the id asked for. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_scan.h"
#include "log.h"
#include "reliabd.h"
#include "scenario/journal.h"
#include "util.h"

#define JOURNAL_TAIL_MIN (64 * 1024)
#define JOURNAL_TAIL_MAX (4 * 1024 * 1024)
/* Rotation keeps the file near JOURNAL_ROTATE_BYTES; past this, only the
 * end of a file someone else grew is searched. */
#define JOURNAL_SCAN_MAX (4 * (off_t)JOURNAL_ROTATE_BYTES)
#define JOURNAL_CHUNK (256 * 1024)

/* Feeds the last `tail` bytes of `path` to the scan; *whole says whether
 * that was the whole file. A missing file is an empty one. */
static int
journal_stream(const char *path, off_t tail, struct journal_scan *s,
    int *whole, char *err, size_t errlen)
{
	struct stat st;
	off_t off = 0;
	char *buf;
	int fd, rc = 0;

	*whole = 1;
	fd = open_regular(path, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, file_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > tail) {
		/* From one byte early: if that byte ends a line, the line at
		 * the window's start is whole and kept. */
		off = st.st_size - tail - 1;
		s->skip_first = 1;
		*whole = 0;
	}
	buf = malloc(JOURNAL_CHUNK);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	while (rc == 0 && off < st.st_size) {
		ssize_t n = pread(fd, buf, JOURNAL_CHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break; /* truncated meanwhile */
		off += n;
		rc = journal_scan_feed(s, buf, (size_t)n);
	}
	if (rc == 0)
		rc = journal_scan_end(s);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	free(buf);
	close(fd);
	return rc < 0 ? -1 : 0;
}

static void
journal_path(char *out, size_t len, const char *state_dir, int rotated)
{
	snprintf(out, len, "%s/%s%s", state_dir, JOURNAL_FILE,
	    rotated ? JOURNAL_ROTATED_SUFFIX : "");
}

/* Says once what damage was found, not on every read. */
static void
journal_note_damage(const char *state_dir, const struct journal_damage *dmg)
{
	static size_t said_bad = (size_t)-1, said_nul = (size_t)-1;

	if (dmg->bad_lines == said_bad && dmg->nul_runs == said_nul)
		return;
	said_bad = dmg->bad_lines;
	said_nul = dmg->nul_runs;
	if (dmg->bad_lines || dmg->nul_runs)
		log_warn("%s/%s: skipped %zu damaged lines and %zu runs of NUL "
		    "bytes", state_dir, JOURNAL_FILE, dmg->bad_lines,
		    dmg->nul_runs);
}

/* The newest `cap` runs seen, oldest first once read out. */
struct ring {
	json_t **v;
	size_t cap, n, next;
};

static int
ring_push(json_t *run, void *arg)
{
	struct ring *r = arg;

	if (r->n == r->cap)
		json_decref(r->v[r->next]);
	else
		r->n++;
	r->v[r->next] = run;
	r->next = (r->next + 1) % r->cap;
	return 0;
}

static json_t *
ring_get(const struct ring *r, size_t i)
{
	return r->v[(r->next + r->cap - r->n + i) % r->cap];
}

static void
ring_clear(struct ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_decref(ring_get(r, i));
	r->n = r->next = 0;
}

/* The newest runs in the last `tail` bytes of one file, into r. */
static int
journal_tail(const char *path, off_t tail, struct ring *r,
    struct journal_damage *dmg, int *whole, char *err, size_t errlen)
{
	struct journal_scan s;
	int rc;

	journal_scan_init(&s, ring_push, r);
	rc = journal_stream(path, tail, &s, whole, err, errlen);
	dmg->bad_lines += s.dmg.bad_lines;
	dmg->nul_runs += s.dmg.nul_runs;
	journal_scan_free(&s);
	return rc;
}

json_t *
journal_last(const char *state_dir, size_t n, size_t *skipped, char *err,
    size_t errlen)
{
	char path[CONFIG_VALUE_MAX + 32];
	struct journal_damage dmg = { 0, 0 };
	struct ring r = { .cap = n };
	json_t *runs = NULL;
	int whole = 0, rc = 0;

	err[0] = '\0';
	*skipped = 0;
	if (n == 0)
		return json_array();
	r.v = calloc(n, sizeof(*r.v));
	if (r.v == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	journal_path(path, sizeof(path), state_dir, 0);
	for (off_t tail = JOURNAL_TAIL_MIN; !whole && tail <= JOURNAL_TAIL_MAX;
	     tail *= 4) {
		ring_clear(&r);
		dmg = (struct journal_damage){ 0, 0 };
		rc = journal_tail(path, tail, &r, &dmg, &whole, err, errlen);
		if (rc < 0 || r.n >= n)
			break;
	}
	/* The whole file holds fewer: the older ones are in the rotated
	 * file, read first so the ring keeps the newest. */
	if (rc == 0 && whole && r.n < n) {
		struct ring cur = r;
		struct ring old = { .cap = n };

		old.v = calloc(n, sizeof(*old.v));
		if (old.v == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		} else {
			journal_path(path, sizeof(path), state_dir, 1);
			rc = journal_tail(path, JOURNAL_TAIL_MAX, &old, &dmg,
			    &whole, err, errlen);
			for (size_t i = 0; i < cur.n; i++)
				ring_push(json_incref(ring_get(&cur, i)), &old);
			ring_clear(&cur);
			free(cur.v);
			r = old;
		}
	}
	if (rc == 0)
		runs = json_array();
	for (size_t i = 0; runs && i < r.n; i++)
		if (json_array_append(runs, ring_get(&r, i)) < 0) {
			json_decref(runs);
			runs = NULL;
		}
	if (rc == 0 && runs == NULL)
		snprintf(err, errlen, "out of memory");
	ring_clear(&r);
	free(r.v);
	if (runs) {
		journal_note_damage(state_dir, &dmg);
		*skipped = dmg.bad_lines + dmg.nul_runs;
	}
	return runs;
}

/* What `show` looks for: the run with this exact id, or with this id as
 * a prefix when only one has it. */
struct find {
	const char *id;
	size_t idlen;
	json_t *exact;
	json_t *prefixed; /* the first run with the prefix */
	size_t matches;   /* runs with the prefix */
};

static int
find_match(json_t *run, void *arg)
{
	struct find *f = arg;
	const char *rid = json_string_value(json_object_get(run, "id"));

	if (strcmp(rid, f->id) == 0) {
		json_decref(f->exact);
		f->exact = run;
		return 1;
	}
	if (f->idlen > 0 && strncmp(rid, f->id, f->idlen) == 0) {
		if (f->matches++ == 0) {
			f->prefixed = run;
			return 0;
		}
	}
	json_decref(run);
	return 0;
}

/* An id that JSON writes as itself can be searched for as bytes. */
static int
id_plain(const char *id)
{
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ||
		    *p == '/')
			return 0;
	return 1;
}

json_t *
journal_find(const char *state_dir, const char *id, char *err, size_t errlen)
{
	char path[CONFIG_VALUE_MAX + 32];
	struct find f = { .id = id, .idlen = strlen(id) };
	json_t *found = NULL;
	int whole;

	err[0] = '\0';
	/* The current file first: an exact match there ends the search. */
	for (int rotated = 0; rotated <= 1 && f.exact == NULL; rotated++) {
		struct journal_scan s;
		int rc;

		journal_path(path, sizeof(path), state_dir, rotated);
		journal_scan_init(&s, find_match, &f);
		if (f.idlen > 0 && id_plain(id))
			s.filter = id;
		rc = journal_stream(path, JOURNAL_SCAN_MAX, &s, &whole, err,
		    errlen);
		journal_scan_free(&s);
		if (rc < 0) {
			json_decref(f.exact);
			json_decref(f.prefixed);
			return NULL;
		}
	}
	if (f.exact) {
		json_decref(f.prefixed);
		return f.exact;
	}
	if (f.matches == 1)
		found = json_incref(f.prefixed);
	else
		snprintf(err, errlen, f.matches ? "run id \"%.64s\" is ambiguous"
						: "no run \"%.64s\" in the journal",
		    id);
	json_decref(f.prefixed);
	return found;
}
