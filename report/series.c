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
	double last_t;              /* the last sample's */
};

static const char *const err_kinds[] = {
	"timeout", "connection", "server", "circuit_open", "pool", "other",
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

/* A string of 1..max bytes with no control character. */
static int
text_ok(const json_t *v, size_t max)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
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

/* Copies `key` from `in` to `out` when it is a number in [min, max] or
 * (if nullable) null; absent stays absent. 0, or -1 when it is there
 * and bad (or no memory). */
static int
copy_num(json_t *out, const json_t *in, const char *key, double min,
    double max, int nullable)
{
	json_t *v = json_object_get(in, key);

	if (!v)
		return 0;
	if (json_is_null(v) && nullable)
		return json_object_set_new(out, key, json_null());
	if (!num_ok(v, min, max))
		return -1;
	return json_object_set_new(out, key,
	    json_real(json_number_value(v)));
}

static int
copy_text(json_t *out, const json_t *in, const char *key, size_t max,
    int required)
{
	json_t *v = json_object_get(in, key);

	if (!v)
		return required ? -1 : 0;
	if (!text_ok(v, max))
		return -1;
	return json_object_set_new(out, key, json_string(json_string_value(v)));
}

static int
copy_t(json_t *out, const json_t *in)
{
	json_t *v = json_object_get(in, "t");

	if (!num_ok(v, 0, SERIES_T_MAX))
		return -1;
	return json_object_set_new(out, "t", json_real(json_number_value(v)));
}

static json_t *
parse_meta(const json_t *in)
{
	json_t *out = json_object(), *sv, *list, *v;
	size_t i;

	if (!out)
		return NULL;
	v = json_object_get(in, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		goto bad;
	v = json_object_get(in, "run");
	if (!json_is_string(v) || !series_run_id_ok(json_string_value(v)) ||
	    json_object_set_new(out, "run", json_string(json_string_value(v))))
		goto bad;
	if (json_object_set_new(out, "v", json_integer(1)) ||
	    copy_text(out, in, "scenario", SERIES_NAME_MAX, 1) ||
	    copy_text(out, in, "client", SERIES_NAME_MAX, 0) ||
	    copy_num(out, in, "start", 0, 1e11, 0) ||
	    !json_object_get(out, "start"))
		goto bad;
	v = json_object_get(in, "interval_ms");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 3600000 ||
	    json_object_set_new(out, "interval_ms",
	    json_integer(json_integer_value(v)))))
		goto bad;
	sv = json_object_get(in, "servers");
	if (!sv)
		return out;
	if (!json_is_array(sv) || json_array_size(sv) > SERIES_SERVERS_MAX ||
	    !(list = json_array()) ||
	    json_object_set_new(out, "servers", list))
		goto bad;
	json_array_foreach(sv, i, v) {
		if (!text_ok(v, SERIES_NAME_MAX))
			goto bad;
		for (size_t j = 0; j < i; j++)
			if (json_equal(v, json_array_get(sv, j)))
				goto bad;
		if (json_array_append_new(list,
		    json_string(json_string_value(v))))
			goto bad;
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

static json_t *
parse_server(const json_t *in)
{
	json_t *out = json_object();
	json_t *br = json_object_get(in, "br");

	if (!out || !json_is_object(in))
		goto bad;
	if (copy_num(out, in, "ops", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "err", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "p50", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "p99", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "pool", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "active", 0, SERIES_NUM_MAX, 1))
		goto bad;
	/* The breaker is a state, not a figure: 0, 1 or 2. */
	if (br && !json_is_null(br)) {
		if (!num_ok(br, 0, 2) ||
		    json_number_value(br) != floor(json_number_value(br)) ||
		    json_object_set_new(out, "br",
		    json_integer((json_int_t)json_number_value(br))))
			goto bad;
	} else if (br && json_object_set_new(out, "br", json_null()))
		goto bad;
	return out;
bad:
	json_decref(out);
	return NULL;
}

static json_t *
parse_sample(const json_t *in)
{
	json_t *out = json_object(), *v, *o;
	const char *key;

	if (!out)
		return NULL;
	if (copy_t(out, in) ||
	    copy_text(out, in, "client", SERIES_NAME_MAX, 0) ||
	    copy_num(out, in, "ops", 0, SERIES_NUM_MAX, 1) ||
	    copy_num(out, in, "err", 0, 1, 1) ||
	    copy_num(out, in, "integ", 0, SERIES_NUM_MAX, 1))
		goto bad;
	if ((v = json_object_get(in, "ek"))) {
		if (!json_is_object(v) || !(o = json_object()) ||
		    json_object_set_new(out, "ek", o))
			goto bad;
		for (size_t k = 0; k < sizeof err_kinds / sizeof err_kinds[0];
		    k++)
			if (copy_num(o, v, err_kinds[k], 0, SERIES_NUM_MAX, 1))
				goto bad;
		if (json_object_size(v) != json_object_size(o))
			goto bad;
	}
	if ((v = json_object_get(in, "s"))) {
		json_t *sv;

		if (!json_is_object(v) ||
		    json_object_size(v) > SERIES_SERVERS_MAX ||
		    !(o = json_object()) || json_object_set_new(out, "s", o))
			goto bad;
		json_object_foreach(v, key, sv) {
			json_t *name = json_string(key), *p;
			int ok = name && text_ok(name, SERIES_NAME_MAX);

			json_decref(name);
			if (!ok || !(p = parse_server(sv)) ||
			    json_object_set_new(o, key, p))
				goto bad;
		}
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

static json_t *
parse_phase(const json_t *in)
{
	json_t *out = json_object();
	json_t *p = json_object_get(in, "phase");

	if (!out || copy_t(out, in) ||
	    !one_of(p, phases, sizeof phases / sizeof phases[0]) ||
	    json_object_set_new(out, "phase", json_string(json_string_value(p)))) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
parse_fault(const json_t *in)
{
	static const char *const actions[] = {"apply", "remove"};
	json_t *out = json_object();
	json_t *a = json_object_get(in, "action");

	if (!out || copy_t(out, in) || !one_of(a, actions, 2) ||
	    json_object_set_new(out, "action",
	    json_string(json_string_value(a))) ||
	    copy_text(out, in, "fault", SERIES_NAME_MAX, 1) ||
	    copy_text(out, in, "target", SERIES_NAME_MAX, 1) ||
	    copy_text(out, in, "detail", SERIES_DETAIL_MAX, 0) ||
	    copy_text(out, in, "error", SERIES_ERROR_MAX, 0)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
parse_end(const json_t *in)
{
	json_t *out = json_object();
	json_t *st = json_object_get(in, "status");
	int ok = text_ok(st, SERIES_STATUS_MAX);

	for (const char *p = ok ? json_string_value(st) : ""; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			ok = 0;
	if (!out || !ok || copy_t(out, in) ||
	    json_object_set_new(out, "status",
	    json_string(json_string_value(st)))) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* One whole line. 0 kept, -1 skipped (counted by the caller), -2 no
 * memory. */
static int
line(struct series *s, const char *p, size_t n)
{
	json_t *in, *out = NULL;
	const char *type;
	int rc = -1;

	in = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in) ||
	    !json_is_string(json_object_get(in, "type")))
		goto out;
	type = json_string_value(json_object_get(in, "type"));
	if (strcmp(type, "meta") == 0) {
		if (s->meta || !(s->meta = parse_meta(in)))
			goto out;
		rc = 0;
	} else if (strcmp(type, "sample") == 0) {
		double t;

		if (s->kept_bytes + n > SERIES_KEEP_BYTES ||
		    !(out = parse_sample(in)))
			goto out;
		/* Time goes forward: a chart's x axis must. */
		t = json_number_value(json_object_get(out, "t"));
		if (json_array_size(s->samples) && t < s->last_t)
			goto out;
		if (json_array_append(s->samples, out) != 0) {
			rc = -2;
			goto out;
		}
		s->last_t = t;
		s->kept_bytes += n;
		rc = 0;
	} else if (strcmp(type, "phase") == 0) {
		if (json_array_size(s->phases) >= SERIES_PHASES_MAX ||
		    !(out = parse_phase(in)))
			goto out;
		rc = json_array_append(s->phases, out) ? -2 : 0;
	} else if (strcmp(type, "fault") == 0) {
		if (json_array_size(s->faults) >= SERIES_FAULTS_MAX ||
		    !(out = parse_fault(in)))
			goto out;
		rc = json_array_append(s->faults, out) ? -2 : 0;
	} else if (strcmp(type, "end") == 0) {
		if (s->end || !(s->end = parse_end(in)))
			goto out;
		rc = 0;
	}
out:
	json_decref(out);
	json_decref(in);
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
	json_t *shared, *copy;

	/* A copy: the caller may change it, the series stays as read. */
	shared = json_pack("{s:O,s:O,s:O,s:O,s:O,s:I}", "meta", s->meta,
	    "samples", s->samples, "phases", s->phases, "faults", s->faults,
	    "end", s->end ? s->end : json_null(), "skipped",
	    (json_int_t)s->skipped);
	copy = json_deep_copy(shared);
	json_decref(shared);
	return copy;
}

size_t
series_samples(const struct series *s)
{
	return json_array_size(s->samples);
}
