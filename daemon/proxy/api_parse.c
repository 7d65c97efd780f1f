/* Request bodies of the Toxiproxy API. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "util.h"

/* Rejects nesting deeper than API_DEPTH_MAX before jansson recurses. */
static bool
depth_ok(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > API_DEPTH_MAX)
				return false;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

json_t *
api_body_load(const char *body, size_t len, struct api_error *err)
{
	json_error_t jerr;
	json_t *v;

	if (len > API_BODY_MAX) {
		api_error_set(err, 413, "request body too large (max %d bytes)",
		    API_BODY_MAX);
		return NULL;
	}
	if (!depth_ok(body, len)) {
		api_error_set(err, 400, "bad request body: nested too deep");
		return NULL;
	}
	v = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (v == NULL) {
		api_error_set(err, 400, "bad request body: %s", jerr.text);
		return NULL;
	}
	return v;
}

/* A string field, absent (1), present and copied (0), or bad (-1). */
static int
get_str(json_t *o, const char *key, char *dst, size_t size,
    struct api_error *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return 1;
	if (!json_is_string(v)) {
		api_error_set(err, 400, "bad request body: %s must be a string",
		    key);
		return -1;
	}
	if (json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		api_error_set(err, 400, "bad request body: %s too long or bad",
		    key);
		return -1;
	}
	strlcpy_r(dst, json_string_value(v), size);
	return 0;
}

static int
check_addr(const char *what, const char *s, struct api_error *err)
{
	struct hostport hp;
	char e[128];

	if (hostport_parse(s, &hp, e, sizeof(e)) < 0) {
		api_error_set(err, 400, "bad request body: %s: %s", what, e);
		return -1;
	}
	return 0;
}

/* Fills `out` (already holding defaults) from the object o. */
static int
proxy_fields(json_t *o, struct proxy_spec *out, bool need_name,
    struct api_error *err, const char *where)
{
	json_t *en;

	if (!json_is_object(o)) {
		api_error_set(err, 400, "bad request body: expected an object");
		return -1;
	}
	if (need_name) {
		int r = get_str(o, "name", out->name, sizeof(out->name), err);

		if (r < 0)
			return -1;
		if (r > 0 || out->name[0] == '\0') {
			api_error_set(err, 400,
			    "missing required field: name%s", where);
			return -1;
		}
		if (!toxic_name_valid(out->name)) {
			api_error_set(err, 400,
			    "bad request body: name must be 1..%d printable "
			    "characters without '/'",
			    TOXIC_NAME_MAX);
			return -1;
		}
	}
	if (get_str(o, "listen", out->listen, sizeof(out->listen), err) < 0 ||
	    get_str(o, "upstream", out->upstream, sizeof(out->upstream),
		err) < 0)
		return -1;
	if (out->listen[0] == '\0')
		strlcpy_r(out->listen, "127.0.0.1:0", sizeof(out->listen));
	if (out->upstream[0] == '\0') {
		api_error_set(err, 400, "missing required field: upstream%s",
		    where);
		return -1;
	}
	if (check_addr("listen", out->listen, err) < 0 ||
	    check_addr("upstream", out->upstream, err) < 0)
		return -1;
	en = json_object_get(o, "enabled");
	if (en != NULL && !json_is_null(en)) {
		if (!json_is_boolean(en)) {
			api_error_set(err, 400,
			    "bad request body: enabled must be a boolean");
			return -1;
		}
		out->enabled = json_is_true(en);
	}
	return 0;
}

int
api_parse_proxy_create(const char *body, size_t len, struct proxy_spec *out,
    struct api_error *err)
{
	json_t *o = api_body_load(body, len, err);
	struct proxy_spec p = { .enabled = true };
	int r;

	if (o == NULL)
		return -1;
	r = proxy_fields(o, &p, true, err, "");
	json_decref(o);
	if (r == 0)
		*out = p;
	return r;
}

int
api_parse_proxy_update(const char *body, size_t len,
    const struct proxy_spec *cur, struct proxy_spec *out,
    struct api_error *err)
{
	json_t *o = api_body_load(body, len, err);
	struct proxy_spec p = *cur;
	int r;

	if (o == NULL)
		return -1;
	r = proxy_fields(o, &p, false, err, "");
	json_decref(o);
	if (r == 0)
		*out = p;
	return r;
}

int
api_parse_populate(const char *body, size_t len, struct proxy_spec **out,
    size_t *n, struct api_error *err)
{
	json_t *a = api_body_load(body, len, err), *o;
	struct proxy_spec *ps = NULL;
	size_t i, cnt;

	if (a == NULL)
		return -1;
	if (!json_is_array(a)) {
		api_error_set(err, 400, "bad request body: expected an array");
		goto fail;
	}
	cnt = json_array_size(a);
	if (cnt > API_PROXIES_MAX) {
		api_error_set(err, 400, "bad request body: more than %d proxies",
		    API_PROXIES_MAX);
		goto fail;
	}
	ps = calloc(cnt ? cnt : 1, sizeof(*ps));
	if (ps == NULL) {
		api_error_set(err, 500, "out of memory");
		goto fail;
	}
	json_array_foreach(a, i, o) {
		char where[40];

		snprintf(where, sizeof(where), " at proxy %zu", i + 1);
		ps[i].enabled = true;
		if (proxy_fields(o, &ps[i], true, err, where) < 0)
			goto fail;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(ps[j].name, ps[i].name) == 0) {
				api_error_set(err, 400,
				    "duplicate proxy name \"%s\"", ps[i].name);
				goto fail;
			}
		}
	}
	json_decref(a);
	*out = ps;
	*n = cnt;
	return 0;
fail:
	free(ps);
	json_decref(a);
	return -1;
}

static int
get_toxicity(json_t *o, double *t, struct api_error *err)
{
	json_t *v = json_object_get(o, "toxicity");
	double x;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		api_error_set(err, 400,
		    "bad request body: toxicity must be a number");
		return -1;
	}
	x = json_number_value(v);
	if (!isfinite(x) || x < 0 || x > 1) {
		api_error_set(err, 400,
		    "bad request body: toxicity must be in 0..1");
		return -1;
	}
	*t = x;
	return 0;
}

int
api_parse_toxic_create(const char *body, size_t len, struct toxic_spec *out,
    struct api_error *err)
{
	json_t *o = api_body_load(body, len, err);
	struct toxic_spec t = { .stream = STREAM_DOWNSTREAM, .toxicity = 1.0 };
	char type[32] = "", stream[32] = "downstream";
	int r;

	if (o == NULL)
		return -1;
	if (!json_is_object(o)) {
		api_error_set(err, 400, "bad request body: expected an object");
		goto fail;
	}
	if (get_str(o, "name", t.name, sizeof(t.name), err) < 0)
		goto fail;
	/* Toxiproxy checks the stream before the type. */
	r = get_str(o, "type", type, sizeof(type), err);
	if (r < 0 || get_str(o, "stream", stream, sizeof(stream), err) < 0)
		goto fail;
	if (toxic_stream_parse(stream, &t.stream) < 0) {
		api_error_set(err, 400,
		    "stream was invalid, can be either upstream or downstream");
		goto fail;
	}
	if (r > 0 || toxic_type_parse(type, &t.type) < 0) {
		api_error_set(err, 400, "invalid toxic type");
		goto fail;
	}
	if (t.name[0] == '\0')
		snprintf(t.name, sizeof(t.name), "%s_%s",
		    toxic_type_text(t.type), toxic_stream_text(t.stream));
	if (!toxic_name_valid(t.name)) {
		api_error_set(err, 400,
		    "bad request body: name must be 1..%d printable characters "
		    "without '/'",
		    TOXIC_NAME_MAX);
		goto fail;
	}
	if (get_toxicity(o, &t.toxicity, err) < 0 ||
	    toxic_attrs_apply(&t, json_object_get(o, "attributes"), err) < 0)
		goto fail;
	json_decref(o);
	*out = t;
	return 0;
fail:
	json_decref(o);
	return -1;
}

int
api_parse_toxic_update(const char *body, size_t len,
    const struct toxic_spec *cur, struct toxic_spec *out,
    struct api_error *err)
{
	json_t *o = api_body_load(body, len, err);
	struct toxic_spec t = *cur;

	if (o == NULL)
		return -1;
	if (!json_is_object(o)) {
		api_error_set(err, 400, "bad request body: expected an object");
		goto fail;
	}
	if (get_toxicity(o, &t.toxicity, err) < 0 ||
	    toxic_attrs_apply(&t, json_object_get(o, "attributes"), err) < 0)
		goto fail;
	json_decref(o);
	*out = t;
	return 0;
fail:
	json_decref(o);
	return -1;
}
