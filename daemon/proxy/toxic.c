/* Toxic types, streams and attributes, and their JSON. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "toxic.h"

enum attr_kind {
	ATTR_MS,    /* integer milliseconds */
	ATTR_US,    /* integer microseconds */
	ATTR_BYTES, /* integer bytes (or KB/s) */
	ATTR_RATIO, /* number 0..1 */
};

struct attr_def {
	const char *key;
	size_t off;
	enum attr_kind kind;
};

#define A(k, f, kind) { k, offsetof(struct toxic_attrs, f), kind }

/* Toxiproxy's attribute names and units, per type. */
static const struct attr_def latency_attrs[] = {
	A("latency", latency, ATTR_MS), A("jitter", jitter, ATTR_MS), { 0 } };
static const struct attr_def bandwidth_attrs[] = {
	A("rate", rate, ATTR_BYTES), { 0 } };
static const struct attr_def slow_close_attrs[] = {
	A("delay", delay, ATTR_MS), { 0 } };
static const struct attr_def timeout_attrs[] = {
	A("timeout", timeout, ATTR_MS), { 0 } };
static const struct attr_def slicer_attrs[] = {
	A("average_size", average_size, ATTR_BYTES),
	A("size_variation", size_variation, ATTR_BYTES),
	A("delay", delay, ATTR_US), { 0 } };
static const struct attr_def limit_data_attrs[] = {
	A("bytes", bytes, ATTR_BYTES), { 0 } };
static const struct attr_def loss_attrs[] = {
	A("rate", loss_rate, ATTR_RATIO), { 0 } };

static const struct {
	const char *name;
	const struct attr_def *attrs;
} types[TOXIC_TYPE_COUNT] = {
	[TOXIC_LATENCY] = { "latency", latency_attrs },
	[TOXIC_BANDWIDTH] = { "bandwidth", bandwidth_attrs },
	[TOXIC_SLOW_CLOSE] = { "slow_close", slow_close_attrs },
	[TOXIC_TIMEOUT] = { "timeout", timeout_attrs },
	[TOXIC_RESET_PEER] = { "reset_peer", timeout_attrs },
	[TOXIC_SLICER] = { "slicer", slicer_attrs },
	[TOXIC_LIMIT_DATA] = { "limit_data", limit_data_attrs },
	[TOXIC_LOSS] = { "loss", loss_attrs },
};

const char *
toxic_type_text(enum toxic_type type)
{
	if ((unsigned)type < TOXIC_TYPE_COUNT)
		return types[type].name;
	return "unknown";
}

int
toxic_type_parse(const char *s, enum toxic_type *out)
{
	for (unsigned i = 0; i < TOXIC_TYPE_COUNT; i++) {
		if (strcmp(s, types[i].name) == 0) {
			*out = (enum toxic_type)i;
			return 0;
		}
	}
	return -1;
}

const char *
toxic_stream_text(enum toxic_stream s)
{
	switch (s) {
	case STREAM_UPSTREAM:
		return "upstream";
	case STREAM_DOWNSTREAM:
		return "downstream";
	case STREAM_COUNT:
		break;
	}
	return "unknown";
}

int
toxic_stream_parse(const char *s, enum toxic_stream *out)
{
	/* Toxiproxy also takes the short forms. */
	if (strcmp(s, "upstream") == 0 || strcmp(s, "up") == 0) {
		*out = STREAM_UPSTREAM;
		return 0;
	}
	if (strcmp(s, "downstream") == 0 || strcmp(s, "down") == 0) {
		*out = STREAM_DOWNSTREAM;
		return 0;
	}
	return -1;
}

void
api_error_set(struct api_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* A message may quote the client's bytes (jansson's error text) and
	 * be cut mid-character: printable ASCII only, so the JSON reply can
	 * always be encoded. */
	for (char *p = err->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

bool
toxic_name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (c <= 0x20 || c >= 0x7f || c == '/' || n >= TOXIC_NAME_MAX)
			return false;
	}
	return n > 0;
}

static int
attr_set(struct toxic_attrs *a, const struct attr_def *d, json_t *v,
    struct api_error *err)
{
	if (d->kind == ATTR_RATIO) {
		double x;

		if (!json_is_number(v)) {
			api_error_set(err, 400,
			    "bad request body: attribute %s must be a number",
			    d->key);
			return -1;
		}
		x = json_number_value(v);
		if (!isfinite(x) || x < 0 || x > 1) {
			api_error_set(err, 400,
			    "bad request body: attribute %s must be in 0..1",
			    d->key);
			return -1;
		}
		*(double *)(void *)((char *)a + d->off) = x;
		return 0;
	}
	/* Toxiproxy's attributes are Go int64: a fraction is a bad body. */
	if (!json_is_integer(v)) {
		api_error_set(err, 400,
		    "bad request body: attribute %s must be an integer", d->key);
		return -1;
	}
	json_int_t i = json_integer_value(v);
	long long max = d->kind == ATTR_MS ? TOXIC_MS_MAX
	    : d->kind == ATTR_US	       ? TOXIC_MS_MAX
					       : TOXIC_BYTES_MAX;
	if (i < 0 || i > max) {
		api_error_set(err, 400,
		    "bad request body: attribute %s must be in 0..%lld",
		    d->key, max);
		return -1;
	}
	*(int64_t *)(void *)((char *)a + d->off) = (int64_t)i;
	return 0;
}

int
toxic_attrs_apply(struct toxic_spec *spec, json_t *attrs,
    struct api_error *err)
{
	struct toxic_attrs a = spec->a;

	if (attrs == NULL || json_is_null(attrs))
		return 0;
	if (!json_is_object(attrs)) {
		api_error_set(err, 400,
		    "bad request body: attributes must be an object");
		return -1;
	}
	for (const struct attr_def *d = types[spec->type].attrs; d->key; d++) {
		json_t *v = json_object_get(attrs, d->key);

		if (v != NULL && attr_set(&a, d, v, err) < 0)
			return -1;
	}
	/* Only a fully valid object changes anything. */
	spec->a = a;
	return 0;
}

json_t *
toxic_to_json(const struct toxic_spec *spec)
{
	json_t *attrs = json_object(), *o;

	if (attrs == NULL)
		return NULL;
	for (const struct attr_def *d = types[spec->type].attrs; d->key; d++) {
		const char *p = (const char *)&spec->a + d->off;
		json_t *v = d->kind == ATTR_RATIO
		    ? json_real(*(const double *)(const void *)p)
		    : json_integer(*(const int64_t *)(const void *)p);

		if (v == NULL || json_object_set_new(attrs, d->key, v) < 0) {
			json_decref(attrs);
			return NULL;
		}
	}
	o = json_pack("{s:s, s:s, s:s, s:f, s:o}", "name", spec->name, "type",
	    toxic_type_text(spec->type), "stream",
	    toxic_stream_text(spec->stream), "toxicity", spec->toxicity,
	    "attributes", attrs);
	return o;
}
