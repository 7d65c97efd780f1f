/* The run journal on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "util.h"

int
journal_append(const char *dir, json_t *record)
{
	char path[1100];
	char *text;
	size_t n;
	ssize_t w;
	int fd, rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, JOURNAL_FILE);
	text = json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (!text) {
		log_error("out of memory");
		return -1;
	}
	n = strlen(text);
	/* The newline goes in the same write as the record. */
	text[n] = '\n';
	/* A host that loops for months keeps one previous file, so the
	 * journal stays bounded; reliabd reads only the current one. */
	{
		struct stat st;
		char old[sizeof(path) + 8];

		if (stat(path, &st) == 0 && st.st_size >= JOURNAL_ROTATE_BYTES) {
			snprintf(old, sizeof old, "%s.1", path);
			if (rename(path, old) != 0)
				log_warn("rotate %s: %s", path, strerror(errno));
			else
				log_info("rotated the journal to %s", old);
		}
	}
	fd = open_regular(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0) {
		log_error("%s: %s", path, file_strerror(errno));
		text[n] = '\0';
		free(text);
		return -1;
	}
	do
		w = write(fd, text, n + 1);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)(n + 1))
		log_error("%s: %s", path, w < 0 ? strerror(errno) :
		    "short write");
	else if (fdatasync(fd) != 0)
		log_warn("%s: fdatasync: %s", path, strerror(errno));
	else
		rc = 0;
	close(fd);
	text[n] = '\0';
	free(text);
	return rc;
}
