/* Reads the run journal the scenario worker appends to
 * (<state_dir>/journal.jsonl, one JSON object a line). Bounded and cheap
 * on the event loop: only as much of the file's tail is read as the
 * request needs, growing from 64 KiB up to JOURNAL_TAIL_MAX. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reliabd.h"
#include "util.h"

#define JOURNAL_FILE "journal.jsonl"
#define JOURNAL_TAIL_MIN (64 * 1024)
#define JOURNAL_TAIL_MAX (4 * 1024 * 1024)

/* Every well-formed run in the last `tail` bytes, oldest first; *whole
 * says whether that was the whole file. */
static json_t *
journal_read_tail(const char *state_dir, off_t tail, int *whole, char *err,
    size_t errlen)
{
	char path[CONFIG_VALUE_MAX + 32];
	struct stat st;
	json_t *runs;
	char *buf, *p, *nl;
	off_t off = 0;
	ssize_t n;
	size_t len;
	int fd;

	*whole = 1;
	runs = json_array();
	if (runs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, JOURNAL_FILE);
	fd = open_regular(path, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return runs; /* no run yet */
		snprintf(err, errlen, "%s: %s", path, file_strerror(errno));
		json_decref(runs);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (st.st_size > tail) {
		off = st.st_size - tail;
		*whole = 0;
	}
	len = (size_t)(st.st_size - off);
	buf = malloc(len + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	n = pread(fd, buf, len, off);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		json_decref(runs);
		return NULL;
	}
	buf[n] = '\0';
	p = buf;
	/* Starting mid-file, the first partial line is skipped. */
	if (off > 0 && (p = strchr(p, '\n')) != NULL)
		p++;
	while (p && *p) {
		json_t *run;

		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		run = json_loads(p, 0, NULL);
		if (json_is_object(run) &&
		    json_is_string(json_object_get(run, "id")))
			json_array_append_new(runs, run);
		else
			json_decref(run);
		p = nl ? nl + 1 : NULL;
	}
	free(buf);
	return runs;
fail:
	close(fd);
	json_decref(runs);
	return NULL;
}

json_t *
journal_last(const char *state_dir, size_t n, char *err, size_t errlen)
{
	json_t *runs = NULL;
	int whole = 0;

	for (off_t tail = JOURNAL_TAIL_MIN; !whole && tail <= JOURNAL_TAIL_MAX;
	     tail *= 4) {
		json_decref(runs);
		runs = journal_read_tail(state_dir, tail, &whole, err, errlen);
		if (runs == NULL || json_array_size(runs) >= n)
			break;
	}
	while (runs && json_array_size(runs) > n)
		json_array_remove(runs, 0);
	return runs;
}

/* The run with this exact id, or with this unique id prefix. */
static json_t *
journal_match(json_t *runs, const char *id, size_t *matches)
{
	json_t *found = NULL, *v;
	size_t i, idlen = strlen(id);

	*matches = 0;
	json_array_foreach(runs, i, v) {
		const char *rid = json_string_value(json_object_get(v, "id"));

		if (strcmp(rid, id) == 0) {
			*matches = 1;
			return v;
		}
		if (idlen > 0 && strncmp(rid, id, idlen) == 0) {
			found = v;
			(*matches)++;
		}
	}
	return found;
}

json_t *
journal_find(const char *state_dir, const char *id, char *err, size_t errlen)
{
	json_t *runs = NULL, *found = NULL;
	size_t matches = 0;
	int whole = 0;

	/* Recent runs are the ones asked for: widen only when not found. */
	for (off_t tail = JOURNAL_TAIL_MIN; !whole && tail <= JOURNAL_TAIL_MAX;
	     tail *= 4) {
		json_decref(runs);
		runs = journal_read_tail(state_dir, tail, &whole, err, errlen);
		if (runs == NULL)
			return NULL;
		found = journal_match(runs, id, &matches);
		if (found && matches == 1 &&
		    strcmp(json_string_value(json_object_get(found, "id")),
			id) == 0)
			break;
	}
	if (matches == 1) {
		json_incref(found);
	} else {
		snprintf(err, errlen, matches ? "run id \"%.64s\" is ambiguous"
					      : "no run \"%.64s\" in the journal",
		    id);
		found = NULL;
	}
	json_decref(runs);
	return found;
}
