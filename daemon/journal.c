/* Reads the run journal the scenario worker appends to
 * (<state_dir>/journal.jsonl, one JSON object a line). Bounded: only the
 * file's tail is read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reliabd.h"

#define JOURNAL_FILE "journal.jsonl"
#define JOURNAL_TAIL_MAX (8 * 1024 * 1024)

/* Every well-formed run in the last JOURNAL_TAIL_MAX bytes, oldest first. */
static json_t *
journal_read(const char *state_dir, char *err, size_t errlen)
{
	char path[CONFIG_VALUE_MAX + 32];
	struct stat st;
	json_t *runs;
	char *buf, *p, *nl;
	off_t off = 0;
	ssize_t n;
	size_t len;
	int fd;

	runs = json_array();
	if (runs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, JOURNAL_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return runs; /* no run yet */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		json_decref(runs);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > JOURNAL_TAIL_MAX)
		off = st.st_size - JOURNAL_TAIL_MAX;
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
	json_t *runs = journal_read(state_dir, err, errlen);

	while (runs && json_array_size(runs) > n)
		json_array_remove(runs, 0);
	return runs;
}

json_t *
journal_find(const char *state_dir, const char *id, char *err, size_t errlen)
{
	json_t *runs = journal_read(state_dir, err, errlen), *found = NULL, *v;
	size_t i, idlen = strlen(id), matches = 0;

	if (runs == NULL)
		return NULL;
	json_array_foreach(runs, i, v) {
		const char *rid = json_string_value(json_object_get(v, "id"));

		if (strcmp(rid, id) == 0) {
			found = v;
			matches = 1;
			break;
		}
		if (idlen > 0 && strncmp(rid, id, idlen) == 0) {
			found = v;
			matches++;
		}
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
