/* The run journal on disk: appends survive a crash before or during
 * them. A torn last line (a write cut short by a crash or a full disk)
 * is ended before the next record, so that record lands on a line of
 * its own and stays readable; NULs and garbage are the reader's to skip
 * (daemon/journal_scan.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "util.h"

/* Makes a rename or a new file in `dir` survive a power cut. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0)
		log_warn("%s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static journal_rotated_fn rotated_hook;

void
journal_on_rotate(journal_rotated_fn fn)
{
	rotated_hook = fn;
}

/* A host that loops for months keeps one previous file, so the journal
 * stays bounded. Returns whether it rotated. */
static int
rotate(const char *dir, const char *path)
{
	char old[PATH_MAX + sizeof(JOURNAL_ROTATED_SUFFIX)];
	struct stat st;

	if (stat(path, &st) != 0 || st.st_size < JOURNAL_ROTATE_BYTES)
		return 0;
	snprintf(old, sizeof old, "%s%s", path, JOURNAL_ROTATED_SUFFIX);
	if (rename(path, old) != 0) {
		log_warn("rotate %s: %s", path, strerror(errno));
		return 0;
	}
	log_info("rotated the journal to %s", old);
	sync_dir(dir);
	return 1;
}

/* Whether the file does not end in a newline (torn by a crash). */
static int
ends_torn(int fd)
{
	struct stat st;
	char last;

	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return 0;
	return pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

int
journal_append(const char *dir, json_t *record)
{
	char path[PATH_MAX];
	char *text, *line;
	size_t n, len;
	ssize_t w;
	int fd, created, rotated, rc = -1;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, JOURNAL_FILE) >=
	    sizeof path) {
		log_error("state directory path too long: %s", dir);
		return -1;
	}
	text = json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (!text) {
		log_error("out of memory");
		return -1;
	}
	n = strlen(text);
	/* Room for a leading newline, the record and its newline: one
	 * write, so no reader ever sees half a record of ours. */
	line = malloc(n + 2);
	if (line == NULL) {
		log_error("out of memory");
		free(text);
		return -1;
	}
	rotated = rotate(dir, path);
	created = access(path, F_OK) != 0;
	/* Read too: the last byte says whether the file ends torn. */
	fd = open_regular(path, O_RDWR | O_APPEND | O_CREAT, 0644);
	if (fd < 0) {
		log_error("%s: %s", path, file_strerror(errno));
		goto out;
	}
	len = 0;
	if (ends_torn(fd)) {
		log_warn("%s: the last line was torn; starting a new one",
		    path);
		line[len++] = '\n';
	}
	memcpy(line + len, text, n);
	len += n;
	line[len++] = '\n';
	do
		w = write(fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len)
		log_error("%s: %s", path, w < 0 ? strerror(errno) :
		    "short write");
	else if (fdatasync(fd) != 0)
		log_warn("%s: fdatasync: %s", path, strerror(errno));
	else
		rc = 0;
	close(fd);
	if (rc == 0 && created)
		sync_dir(dir);
	if (rotated && rotated_hook)
		rotated_hook(dir);
out:
	free(line);
	free(text);
	return rc;
}
