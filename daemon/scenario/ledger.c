/* The fault ledger on disk. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "ledger.h"
#include "log.h"
#include "util.h"

const char *
ledger_kind_text(enum ledger_kind k)
{
	switch (k) {
	case LEDGER_TOXIC:
		return "toxic";
	case LEDGER_DOWN:
		return "down";
	}
	return "unknown";
}

static int
copy_field(json_t *o, const char *key, char *dst, size_t size, int required)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v)
		return required ? -1 : 0;
	s = json_string_value(v);
	if (!s || strlen(s) >= size || !*s)
		return -1;
	/* The names go into URLs: nothing that needs quoting. */
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			return -1;
	strlcpy_r(dst, s, size);
	return 0;
}

/* The optional "api": a host:port, kept as written (it goes into URLs:
 * hostport_parse refuses anything but a host and a port). */
static int
copy_api(json_t *o, char *dst, size_t size)
{
	json_t *v = json_object_get(o, "api");
	const char *s;
	struct hostport hp;
	char herr[128];

	dst[0] = '\0';
	if (!v)
		return 0;
	s = json_string_value(v);
	if (!s || strlen(s) >= size ||
	    hostport_parse(s, &hp, herr, sizeof herr) != 0 || hp.port == 0)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '/' || *p == '?' ||
		    *p == '#' || *p == '@' || *p == '%')
			return -1;
	strlcpy_r(dst, s, size);
	return 0;
}

int
ledger_parse(struct ledger *l, const char *text, size_t len, char *err,
    size_t errlen)
{
	json_t *root, *faults, *f;
	json_error_t jerr;
	size_t i;
	int rc = -1;

	l->n = 0;
	if (len > LEDGER_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", l->path,
		    LEDGER_FILE_MAX);
		return -1;
	}
	root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s: invalid JSON at line %d: %s",
		    l->path, jerr.line, jerr.text);
		return -1;
	}
	faults = json_object_get(root, "faults");
	if (!json_is_array(faults) || json_array_size(faults) > LEDGER_MAX) {
		snprintf(err, errlen, "%s: faults: must be a list of at most "
		    "%d entries", l->path, LEDGER_MAX);
		goto out;
	}
	json_array_foreach(faults, i, f) {
		struct ledger_entry *e = &l->e[l->n];
		const char *kind = json_string_value(json_object_get(f, "kind"));
		json_t *ap = json_object_get(f, "applied");

		memset(e, 0, sizeof *e);
		if (!kind) {
			snprintf(err, errlen, "%s: faults[%zu].kind: missing",
			    l->path, i);
			goto out;
		}
		if (strcmp(kind, "toxic") == 0)
			e->kind = LEDGER_TOXIC;
		else if (strcmp(kind, "down") == 0)
			e->kind = LEDGER_DOWN;
		else {
			snprintf(err, errlen, "%s: faults[%zu].kind: unknown",
			    l->path, i);
			goto out;
		}
		if (copy_field(f, "server", e->server, sizeof e->server, 1) ||
		    copy_field(f, "toxic", e->toxic, sizeof e->toxic,
		    e->kind == LEDGER_TOXIC) ||
		    copy_field(f, "type", e->type, sizeof e->type, 0) ||
		    copy_api(f, e->api, sizeof e->api)) {
			snprintf(err, errlen, "%s: faults[%zu]: bad server, "
			    "toxic, type or api", l->path, i);
			goto out;
		}
		e->applied = json_is_number(ap) ? json_number_value(ap) : 0;
		l->n++;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		l->n = 0;
	return rc;
}

int
ledger_lock(const char *dir, char *err, size_t errlen)
{
	char path[1100];
	int fd;

	snprintf(path, sizeof path, "%s/ledger.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen,
		    "%s: %s", path, errno == EWOULDBLOCK ?
		    "another reliabd-scenario uses this state directory" :
		    strerror(errno));
		close(fd);
		return -1;
	}
	/* Held until exit: the kernel lets go even after kill -9. */
	return 0;
}

int
ledger_open(struct ledger *l, const char *dir, char *err, size_t errlen)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc;

	memset(l, 0, sizeof *l);
	if ((size_t)snprintf(l->path, sizeof l->path, "%s/ledger.json", dir) >=
	    sizeof l->path) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	fd = open_regular(l->path, O_RDONLY, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", l->path, file_strerror(errno));
		return -1;
	}
	buf = malloc(LEDGER_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", l->path);
		return -1;
	}
	while (n <= LEDGER_FILE_MAX &&
	    (r = read(fd, buf + n, LEDGER_FILE_MAX + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", l->path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	rc = n == 0 ? 0 : ledger_parse(l, buf, n, err, errlen);
	free(buf);
	return rc;
}

static void
sync_dir_of(const char *path)
{
	char dirbuf[1100];
	int dfd;

	strlcpy_r(dirbuf, path, sizeof dirbuf);
	dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

/* Renames `path` to path.corrupt.N, the first N free. The caller holds
 * ledger.lock, so no other worker races for the name. 0 or -1 (errno). */
static int
set_aside(const char *path, char *moved, size_t movedlen)
{
	char dst[1100];
	struct stat st;

	for (unsigned n = 1; n <= LEDGER_ASIDE_MAX; n++) {
		if ((size_t)snprintf(dst, sizeof dst, "%s.corrupt.%u", path,
		    n) >= sizeof dst) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (lstat(dst, &st) == 0)
			continue;
		if (errno != ENOENT || rename(path, dst) != 0)
			return -1;
		sync_dir_of(path);
		strlcpy_r(moved, dst, movedlen);
		return 0;
	}
	errno = EEXIST;
	return -1;
}

int
ledger_recover(struct ledger *l, const char *dir, char *notice, size_t len)
{
	char err[700], moved[1100], base[1100];
	struct stat st;

	if (ledger_open(l, dir, err, sizeof err) == 0)
		return 0;
	/* Only a file that is there can be set aside; anything else (a
	 * path too long, no memory) stays an error. */
	if (!l->path[0] || lstat(l->path, &st) != 0) {
		snprintf(notice, len, "%s", err);
		return -1;
	}
	if (set_aside(l->path, moved, sizeof moved) != 0) {
		snprintf(notice, len, "%s; cannot move it aside: %s", err,
		    strerror(errno));
		return -1;
	}
	l->n = 0;
	strlcpy_r(base, moved, sizeof base);
	snprintf(notice, len, "ledger unreadable (%.600s); moved to %s", err,
	    basename(base));
	log_warn("%s", notice);
	return 1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
ledger_write(const struct ledger *l)
{
	json_t *root, *faults;
	char tmp[1100];
	char *text = NULL;
	int fd = -1, rc = -1;

	root = json_object();
	faults = json_array();
	if (!root || !faults || json_object_set_new(root, "faults", faults)) {
		log_error("out of memory");
		json_decref(root);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct ledger_entry *e = &l->e[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:f}", "kind",
		    ledger_kind_text(e->kind), "server", e->server, "toxic",
		    e->toxic, "type", e->type, "applied", e->applied);
		if (o && e->api[0] &&
		    json_object_set_new(o, "api", json_string(e->api))) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(faults, o)) {
			log_error("out of memory");
			goto out;
		}
	}
	text = json_dumps(root, JSON_COMPACT);
	if (!text) {
		log_error("out of memory");
		goto out;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", l->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1) ||
	    fsync(fd)) {
		log_error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		log_error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, l->path)) {
		log_error("%s: %s", l->path, strerror(errno));
		goto out;
	}
	/* The rename is durable only once the directory is. */
	sync_dir_of(l->path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	json_decref(root);
	return rc;
}

static int
same(const struct ledger_entry *a, const struct ledger_entry *b)
{
	return a->kind == b->kind && strcmp(a->api, b->api) == 0 &&
	    strcmp(a->server, b->server) == 0 &&
	    strcmp(a->toxic, b->toxic) == 0;
}

int
ledger_put(struct ledger *l, const struct ledger_entry *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (same(&l->e[i], e))
			return 0;
	if (l->n == LEDGER_MAX) {
		log_error("%s: full (%d entries)", l->path, LEDGER_MAX);
		return -1;
	}
	l->e[l->n++] = *e;
	return 1;
}

int
ledger_drop(struct ledger *l, const struct ledger_entry *e)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!same(&l->e[i], e))
			continue;
		memmove(&l->e[i], &l->e[i + 1], (l->n - i - 1) * sizeof l->e[0]);
		l->n--;
		return 1;
	}
	return 0;
}

int
ledger_add(struct ledger *l, const struct ledger_entry *e)
{
	int added = ledger_put(l, e);

	if (added < 0)
		return -1;
	if (ledger_write(l) != 0) {
		if (added)
			l->n--;
		return -1;
	}
	return 0;
}

int
ledger_strike(struct ledger *l, const struct ledger_entry *e)
{
	return ledger_drop(l, e) ? ledger_write(l) : 0;
}
