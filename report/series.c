/* A run's series file read back and validated (see series.h). */
#include "series.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ceiling of any figure a sane line carries (ops/s, ms, connections). */
#define SERIES_NUM_MAX 1e12
/* Seconds since the start: about three years. */
#define SERIES_T_MAX 1e8
#define SERIES_DETAIL_MAX 256
#define SERIES_ERROR_MAX 512
#define SERIES_STATUS_MAX 32

struct series {
	json_t *meta;
	json_t *samples, *phases, *faults;
	json_t *end;                /* NULL: the run has not ended */
	size_t skipped;
	size_t kept_bytes;          /* sample lines kept, in bytes */
	size_t nclients;            /* the meta's "clients" */
	double last_t[SERIES_CLIENTS_MAX]; /* each client's last sample's */
	int have_t[SERIES_CLIENTS_MAX];
};

static const char *const phases[] = {
	"stabilization", "testing", "recovery", "done",
};

static void
seterr(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int
series_run_id_ok(const char *id)
{
	size_t n = 0;

	if (!id || id[0] == '.' || id[0] == '\0')
		return 0;
	for (; id[n]; n++) {
		char c = id[n];

		if (n == SERIES_RUN_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

/* A name or text of 1..max bytes with no control character. */
static int
chars_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
text_ok(const json_t *v, size_t max)
{
	return json_is_string(v) &&
	    chars_ok(json_string_value(v), json_string_length(v), max);
}

static int
one_of(const json_t *v, const char *const *set, size_t n)
{
	if (!json_is_string(v))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(json_string_value(v), set[i]) == 0)
			return 1;
	return 0;
}

/* A number in [min, max]. */
static int
num_ok(const json_t *v, double min, double max)
{
	double d;

	if (!json_is_number(v))
		return 0;
	d = json_number_value(v);
	return isfinite(d) && d >= min && d <= max;
}

/* Lines are checked in place: each key's value, then every key not in
 * the contract dropped (a renderer sees only what was checked). */

/* `key` absent (unless required), null (if nullable) or a number in
 * [min, max]. */
static int
num_field(const json_t *o, const char *key, double min, double max,
    int nullable, int required)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return required ? -1 : 0;
	if (json_is_null(v))
		return nullable ? 0 : -1;
	return num_ok(v, min, max) ? 0 : -1;
}

static int
text_field(const json_t *o, const char *key, size_t max, int required)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return required ? -1 : 0;
	return text_ok(v, max) ? 0 : -1;
}

static int
t_field(const json_t *o)
{
	return num_field(o, "t", 0, SERIES_T_MAX, 0, 1);
}

/* Drops the keys not in `keys` (NULL-ended), "type" among them. */
static void
only_keys(json_t *o, const char *const *keys)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(o, tmp, key, v) {
		size_t i;

		for (i = 0; keys[i]; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (!keys[i])
			json_object_del(o, key);
	}
}

/* An array of 1..max distinct names. */
static int
names_ok(const json_t *a, size_t max)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > max)
		return 0;
	json_array_foreach(a, i, v) {
		if (!text_ok(v, SERIES_NAME_MAX))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (json_equal(v, json_array_get(a, j)))
				return 0;
	}
	return 1;
}

/* "clients" made whole: a file from before several clients has only
 * "client" (or neither: "default"); when both are there, "client" is the
 * first of "clients". */
static int
meta_clients(json_t *o)
{
	json_t *cl = json_object_get(o, "clients");
	json_t *one = json_object_get(o, "client");

	if (cl) {
		if (!names_ok(cl, SERIES_CLIENTS_MAX) ||
		    json_array_size(cl) == 0 ||
		    (one && !json_equal(one, json_array_get(cl, 0))))
			return -1;
		return 0;
	}
	cl = json_pack("[s]", one ? json_string_value(one) : "default");
	return cl && json_object_set_new(o, "clients", cl) == 0 ? 0 : -2;
}

static int
check_meta(json_t *o)
{
	static const char *const keys[] = {"v", "run", "scenario", "start",
		"interval_ms", "servers", "client", "clients", NULL};
	json_t *v = json_object_get(o, "v"), *sv;
	int rc;

	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return -1;
	v = json_object_get(o, "run");
	if (!json_is_string(v) || !series_run_id_ok(json_string_value(v)) ||
	    text_field(o, "scenario", SERIES_NAME_MAX, 1) ||
	    text_field(o, "client", SERIES_NAME_MAX, 0) ||
	    num_field(o, "start", 0, 1e11, 0, 1))
		return -1;
	v = json_object_get(o, "interval_ms");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 3600000))
		return -1;
	if ((sv = json_object_get(o, "servers")) &&
	    !names_ok(sv, SERIES_SERVERS_MAX))
		return -1;
	if ((rc = meta_clients(o)) != 0)
		return rc;
	only_keys(o, keys);
	return 0;
}

static int
check_server(json_t *o)
{
	static const char *const keys[] = {"ops", "err", "p50", "p99", "br",
		"pool", "active", NULL};
	static const char *const figures[] = {"ops", "err", "p50", "p99",
		"pool", "active"};
	json_t *br = json_object_get(o, "br");

	if (!json_is_object(o))
		return -1;
	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
		if (num_field(o, figures[i], 0, SERIES_NUM_MAX, 1, 0))
			return -1;
	/* The breaker is a state, not a figure: 0, 1 or 2. */
	if (br && !json_is_null(br) && (!num_ok(br, 0, 2) ||
	    json_number_value(br) != floor(json_number_value(br))))
		return -1;
	only_keys(o, keys);
	return 0;
}

static int
check_sample(json_t *o)
{
	static const char *const keys[] = {"t", "client", "ops", "err",
		"ek", "integ", "s", NULL};
	static const char *const kinds[] = {"timeout", "connection", "server",
		"circuit_open", "pool", "other", NULL};
	const char *key;
	json_t *v, *sv;

	if (t_field(o) || text_field(o, "client", SERIES_NAME_MAX, 0) ||
	    num_field(o, "ops", 0, SERIES_NUM_MAX, 1, 0) ||
	    num_field(o, "err", 0, 1, 1, 0) ||
	    num_field(o, "integ", 0, SERIES_NUM_MAX, 1, 0))
		return -1;
	if ((v = json_object_get(o, "ek"))) {
		if (!json_is_object(v))
			return -1;
		for (size_t k = 0; kinds[k]; k++)
			if (num_field(v, kinds[k], 0, SERIES_NUM_MAX, 1, 0))
				return -1;
		only_keys(v, kinds);
	}
	if ((v = json_object_get(o, "s"))) {
		if (!json_is_object(v) ||
		    json_object_size(v) > SERIES_SERVERS_MAX)
			return -1;
		json_object_foreach(v, key, sv)
			if (!chars_ok(key, strlen(key), SERIES_NAME_MAX) ||
			    check_server(sv))
				return -1;
	}
	only_keys(o, keys);
	return 0;
}

static int
check_phase(json_t *o)
{
	static const char *const keys[] = {"t", "phase", NULL};

	if (t_field(o) || !one_of(json_object_get(o, "phase"), phases,
	    sizeof phases / sizeof phases[0]))
		return -1;
	only_keys(o, keys);
	return 0;
}

static int
check_fault(json_t *o)
{
	static const char *const keys[] = {"t", "action", "fault", "target",
		"detail", "error", NULL};
	static const char *const actions[] = {"apply", "remove"};

	if (t_field(o) || !one_of(json_object_get(o, "action"), actions, 2) ||
	    text_field(o, "fault", SERIES_NAME_MAX, 1) ||
	    text_field(o, "target", SERIES_NAME_MAX, 1) ||
	    text_field(o, "detail", SERIES_DETAIL_MAX, 0) ||
	    text_field(o, "error", SERIES_ERROR_MAX, 0))
		return -1;
	only_keys(o, keys);
	return 0;
}

static int
check_end(json_t *o)
{
	static const char *const keys[] = {"t", "status", NULL};
	json_t *st = json_object_get(o, "status");

	if (t_field(o) || !text_ok(st, SERIES_STATUS_MAX))
		return -1;
	for (const char *p = json_string_value(st); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return -1;
	only_keys(o, keys);
	return 0;
}

/* The index of a sample's client among the meta's, its "client" set
 * when it had none (the first); -1 when it is not one of them, or comes
 * before the meta (the writer writes the meta first). */
static int
sample_client(struct series *s, json_t *o)
{
	const json_t *cl = json_object_get(s->meta, "clients");
	json_t *v = json_object_get(o, "client");

	if (!s->meta)
		return -1;
	if (!v)
		return json_object_set(o, "client", json_array_get(cl, 0)) ?
		    -1 : 0;
	for (size_t i = 0; i < s->nclients; i++)
		if (json_equal(v, json_array_get(cl, i)))
			return (int)i;
	return -1;
}

/* One whole line. 0 kept, -1 skipped (counted by the caller), -2 no
 * memory. */
static int
line(struct series *s, const char *p, size_t n)
{
	json_t *o, **one = NULL, *list = NULL;
	const char *type;
	int rc = -1;

	o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o) ||
	    !json_is_string(json_object_get(o, "type")))
		goto out;
	type = json_string_value(json_object_get(o, "type"));
	if (strcmp(type, "meta") == 0) {
		if (s->meta || (rc = check_meta(o)) != 0)
			goto out;
		s->nclients = json_array_size(json_object_get(o, "clients"));
		one = &s->meta;
	} else if (strcmp(type, "sample") == 0) {
		double t;
		int c;

		if (s->kept_bytes + n > SERIES_KEEP_BYTES || check_sample(o) ||
		    (c = sample_client(s, o)) < 0)
			goto out;
		/* Each client's time goes forward: a chart's x axis must. */
		t = json_number_value(json_object_get(o, "t"));
		if (s->have_t[c] && t < s->last_t[c])
			goto out;
		s->last_t[c] = t;
		s->have_t[c] = 1;
		s->kept_bytes += n;
		list = s->samples;
	} else if (strcmp(type, "phase") == 0) {
		if (json_array_size(s->phases) >= SERIES_PHASES_MAX ||
		    check_phase(o))
			goto out;
		list = s->phases;
	} else if (strcmp(type, "fault") == 0) {
		if (json_array_size(s->faults) >= SERIES_FAULTS_MAX ||
		    check_fault(o))
			goto out;
		list = s->faults;
	} else if (strcmp(type, "end") == 0) {
		if (s->end || check_end(o))
			goto out;
		one = &s->end;
	} else
		goto out;
	if (one) {
		*one = o;
		return 0;
	}
	rc = json_array_append_new(list, o) ? -2 : 0;
	return rc;
out:
	json_decref(o);
	return rc;
}

void
series_free(struct series *s)
{
	if (!s)
		return;
	json_decref(s->meta);
	json_decref(s->samples);
	json_decref(s->phases);
	json_decref(s->faults);
	json_decref(s->end);
	free(s);
}

struct series *
series_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct series *s;
	size_t lines = 0, i = 0;

	if (len > SERIES_FILE_MAX) {
		seterr(err, errlen, "the series file is over 64 MiB");
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s || !(s->samples = json_array()) ||
	    !(s->phases = json_array()) || !(s->faults = json_array())) {
		series_free(s);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	/* Lines end at a newline or a NUL (a crash can leave a block of
	 * NULs); the last one, unended, may be torn: skipped. */
	while (i < len && lines < SERIES_LINES_MAX) {
		size_t j = i;
		int r;

		while (j < len && text[j] != '\n' && text[j] != '\0')
			j++;
		if (j == i) {
			i++;
			continue;
		}
		lines++;
		if (j == len || j - i > SERIES_LINE_MAX)
			r = -1;
		else
			r = line(s, text + i, j - i);
		if (r == -2) {
			series_free(s);
			seterr(err, errlen, "out of memory");
			return NULL;
		}
		if (r < 0)
			s->skipped++;
		i = j + 1;
	}
	if (!s->meta) {
		series_free(s);
		seterr(err, errlen, "the series file has no valid meta line");
		return NULL;
	}
	return s;
}

/* Reads the whole file (at most SERIES_FILE_MAX + 1 bytes, to see that
 * it is over). NULL with errno. */
static char *
read_all(int fd, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	if (fstat(fd, &st) != 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	if (st.st_size > SERIES_FILE_MAX) {
		errno = EFBIG;
		return NULL;
	}
	/* It may grow while read (a live run): read to EOF, bounded. */
	cap = (size_t)st.st_size + 64 * 1024;
	if (cap > SERIES_FILE_MAX + 1)
		cap = SERIES_FILE_MAX + 1;
	if (!(buf = malloc(cap)))
		return NULL;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SERIES_FILE_MAX) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	*len = n;
	return buf;
}

struct series *
series_load(const char *state_dir, const char *run_id, char *err,
    size_t errlen)
{
	char path[PATH_MAX], name[SERIES_RUN_ID_MAX + sizeof SERIES_SUFFIX];
	struct series *s;
	const char *mrun;
	char *buf;
	size_t len = 0;
	int dfd, fd, e;

	if (!series_run_id_ok(run_id)) {
		seterr(err, errlen, "not a run id");
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", state_dir,
	    SERIES_DIR) >= sizeof path) {
		seterr(err, errlen, "state directory path too long");
		return NULL;
	}
	snprintf(name, sizeof name, "%s%s", run_id, SERIES_SUFFIX);
	/* Never through a symlink: nothing outside the state directory is
	 * read. O_NONBLOCK: a FIFO planted there must not hang a server. */
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fd = dfd < 0 ? -1 : openat(dfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	e = errno;
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		if (e == ENOENT)
			seterr(err, errlen, "no series recorded for this run");
		else if (err && errlen)
			snprintf(err, errlen, "%s/%s: %s", SERIES_DIR, name,
			    e == ELOOP ? "a symlink, not read" : strerror(e));
		return NULL;
	}
	buf = read_all(fd, &len);
	e = errno;
	close(fd);
	if (!buf) {
		if (err && errlen)
			snprintf(err, errlen, "%s/%s: %s", SERIES_DIR, name,
			    e == EFBIG ? "over 64 MiB" : e == EINVAL ?
			    "not a regular file" : strerror(e));
		return NULL;
	}
	s = series_parse(buf, len, err, errlen);
	free(buf);
	if (!s)
		return NULL;
	mrun = json_string_value(json_object_get(s->meta, "run"));
	if (strcmp(mrun, run_id) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s/%s: the file is run %s's",
			    SERIES_DIR, name, mrun);
		series_free(s);
		return NULL;
	}
	return s;
}

json_t *
series_json(const struct series *s)
{
	/* The lines' objects are shared, not copied (a report of a long
	 * run would copy megabytes): the caller reads them and changes
	 * nothing under "meta", "samples", "phases", "faults" or "end". */
	return json_pack("{s:O,s:O,s:O,s:O,s:O,s:I}", "meta", s->meta,
	    "samples", s->samples, "phases", s->phases, "faults", s->faults,
	    "end", s->end ? s->end : json_null(), "skipped",
	    (json_int_t)s->skipped);
}

size_t
series_samples(const struct series *s)
{
	return json_array_size(s->samples);
}
