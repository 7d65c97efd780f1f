/* The run series directory kept bounded (see series_prune.h). Runs on
 * the worker's loop, rarely: at a journal rotation (the journals read
 * once, about 32 MiB) and when a run starts (one directory listing). */
#include "series_prune.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "daemon/journal_scan.h"
#include "log.h"
#include "report/series.h"
#include "util.h"

struct ids {
	char **v;
	size_t n, cap;
};

static int
collect_id(json_t *run, void *arg)
{
	struct ids *ids = arg;
	const char *id = json_string_value(json_object_get(run, "id"));
	char *copy;

	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 256;
		char **v = realloc(ids->v, cap * sizeof *v);

		if (!v) {
			json_decref(run);
			return 1;
		}
		ids->v = v;
		ids->cap = cap;
	}
	if (!(copy = strdup(id))) {
		json_decref(run);
		return 1;
	}
	ids->v[ids->n++] = copy;
	json_decref(run);
	return 0;
}

/* The run ids of one journal file; a missing file has none. 0 or -1. */
static int
read_ids(const char *path, struct ids *ids)
{
	struct journal_scan s;
	char buf[65536];
	ssize_t r;
	int fd = open_regular(path, O_RDONLY, 0), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	journal_scan_init(&s, collect_id, ids);
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || journal_scan_feed(&s, buf, (size_t)r) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && journal_scan_end(&s) != 0)
		rc = -1;
	journal_scan_free(&s);
	close(fd);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run id a directory entry is the series of, into id; 0 if it is
 * none (not ours: left alone). */
static int
entry_run(const char *name, char *id, size_t idlen)
{
	size_t n = strlen(name), sn = strlen(SERIES_SUFFIX);

	if (n <= sn || strcmp(name + n - sn, SERIES_SUFFIX) != 0 ||
	    n - sn >= idlen)
		return 0;
	memcpy(id, name, n - sn);
	id[n - sn] = '\0';
	return series_run_id_ok(id);
}

int
series_prune_unjournaled(const char *state_dir)
{
	char path[PATH_MAX], id[SERIES_RUN_ID_MAX + 1];
	struct ids ids = {0};
	struct dirent *de;
	DIR *d;
	int gone = 0, rc = 0, scanned = 0;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", state_dir,
	    JOURNAL_FILE) >= sizeof path - sizeof JOURNAL_ROTATED_SUFFIX)
		return -1;
	if (read_ids(path, &ids) != 0)
		rc = -1;
	strcat(path, JOURNAL_ROTATED_SUFFIX);
	if (rc == 0 && read_ids(path, &ids) != 0)
		rc = -1;
	if (rc != 0) {
		/* Deleting on half a list would delete kept runs. */
		log_warn("%s: the journal could not be read; the series are "
		    "kept", state_dir);
		goto out;
	}
	qsort(ids.v, ids.n, sizeof ids.v[0], cmp_str);
	snprintf(path, sizeof path, "%s/%s", state_dir, SERIES_DIR);
	if (!(d = opendir(path)))
		goto out;
	while ((de = readdir(d)) && scanned++ < SERIES_DIR_SCAN_MAX) {
		const char *key = id;

		if (!entry_run(de->d_name, id, sizeof id) ||
		    bsearch(&key, ids.v, ids.n, sizeof ids.v[0], cmp_str))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			gone++;
		else
			log_warn("%s/%s: %s", path, de->d_name,
			    strerror(errno));
	}
	closedir(d);
	if (gone)
		log_info("%d run series deleted with the rotated journal",
		    gone);
	rc = gone;
out:
	for (size_t i = 0; i < ids.n; i++)
		free(ids.v[i]);
	free(ids.v);
	return rc;
}

struct entry {
	char name[SERIES_RUN_ID_MAX + sizeof SERIES_SUFFIX];
	struct timespec mtime;
	unsigned long long size;
};

static int
cmp_age(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
series_prune_cap(const char *state_dir, unsigned long long cap,
    const char *keep, unsigned long long *left)
{
	char path[PATH_MAX], id[SERIES_RUN_ID_MAX + 1];
	struct entry *v = NULL;
	size_t n = 0, vcap = 0;
	unsigned long long total = 0;
	struct dirent *de;
	DIR *d;
	int gone = 0;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", state_dir,
	    SERIES_DIR) >= sizeof path)
		return -1;
	if (left)
		*left = 0;
	if (!(d = opendir(path)))
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) && n < SERIES_DIR_SCAN_MAX) {
		struct stat st;

		if (!entry_run(de->d_name, id, sizeof id) ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		total += (unsigned long long)st.st_size;
		if (keep && strcmp(id, keep) == 0)
			continue;
		if (n == vcap) {
			size_t nc = vcap ? vcap * 2 : 64;
			struct entry *nv = realloc(v, nc * sizeof *nv);

			if (!nv) {
				log_warn("out of memory");
				break;
			}
			v = nv;
			vcap = nc;
		}
		strlcpy_r(v[n].name, de->d_name, sizeof v[n].name);
		v[n].mtime = st.st_mtim;
		v[n].size = (unsigned long long)st.st_size;
		n++;
	}
	if (total > cap && n) {
		qsort(v, n, sizeof v[0], cmp_age);
		for (size_t i = 0; i < n && total > cap; i++) {
			if (unlinkat(dirfd(d), v[i].name, 0) != 0) {
				log_warn("%s/%s: %s", path, v[i].name,
				    strerror(errno));
				continue;
			}
			total -= v[i].size;
			gone++;
		}
		log_info("%d oldest run series deleted: the directory is "
		    "capped at %llu MiB", gone, cap / (1024 * 1024));
	}
	closedir(d);
	free(v);
	if (left)
		*left = total;
	return gone;
}
