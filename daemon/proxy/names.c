/* Host names resolved off the loop thread; see names.h. */
#include "names.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "log.h"
#include "util.h"

struct name {
	struct hostport hp;
	int rc;                     /* hostport_resolve's */
	struct sockaddr_storage ss;
	socklen_t len;
	char err[160];
};

struct names {
	struct name *v;
	size_t n, cap;
	bool failed;  /* a lookup failed: the request fails there anyway */
};

/* Two addresses a proxy: a body names at most this many. */
#define NAMES_MAX (2 * API_PROXIES_MAX)

static struct name *
find(const struct names *n, const struct hostport *hp)
{
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i].hp.port == hp->port &&
		    strcmp(n->v[i].hp.host, hp->host) == 0)
			return &n->v[i];
	return NULL;
}

/* One address string of the body; anything malformed is left for the
 * loop's parser to reject. */
static void
add(struct names *n, json_t *v, names_resolver *resolve)
{
	struct hostport hp;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct name *e;

	/* Only what the loop could use: a string without NUL that parses,
	 * names only, each once, and nothing after a failure (the loop
	 * stops at that one too). */
	if (n->failed || !json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v) ||
	    hostport_parse(json_string_value(v), &hp, NULL, 0) < 0 ||
	    hostport_numeric(&hp, &ss, &len) == 0 || find(n, &hp) != NULL ||
	    n->n >= NAMES_MAX)
		return;
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 4;
		struct name *nv = realloc(n->v, cap * sizeof(*nv));

		if (nv == NULL) {
			/* Left out: the loop answers "not resolved". */
			log_warn("no memory");
			return;
		}
		n->v = nv;
		n->cap = cap;
	}
	e = &n->v[n->n++];
	e->hp = hp;
	e->len = sizeof(e->ss);
	e->rc = resolve(&hp, &e->ss, &e->len, e->err, sizeof(e->err));
	n->failed = e->rc < 0;
}

static void
add_object(struct names *n, json_t *o, names_resolver *resolve)
{
	if (!json_is_object(o))
		return;
	/* The loop's order: a proxy's upstream, then its listen. */
	add(n, json_object_get(o, "upstream"), resolve);
	add(n, json_object_get(o, "listen"), resolve);
}

struct names *
names_collect(const char *body, size_t len)
{
	return names_collect_with(body, len, hostport_resolve);
}

struct names *
names_collect_with(const char *body, size_t len, names_resolver *resolve)
{
	struct names *n = calloc(1, sizeof(*n));
	struct api_error err;
	json_t *v;

	if (n == NULL) {
		log_error("no memory");
		return NULL;
	}
	if (len == 0 || (v = api_body_load(body, len, &err)) == NULL)
		return n;
	if (json_is_array(v)) {
		size_t i;
		json_t *o;

		json_array_foreach(v, i, o)
			add_object(n, o, resolve);
	} else
		add_object(n, v, resolve);
	json_decref(v);
	return n;
}

static int
refuse(const struct hostport *hp, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	(void)ss;
	(void)len;
	snprintf(err, errlen, "%s: not looked up", hp->host);
	return -1;
}

bool
names_needed(const char *body, size_t len)
{
	struct names *n = names_collect_with(body, len, refuse);
	bool any = n == NULL || n->n > 0;

	names_free(n);
	return any;
}

void
names_free(struct names *n)
{
	if (n != NULL) {
		free(n->v);
		free(n);
	}
}

int
names_resolve(const struct names *n, const struct hostport *hp,
    struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
	const struct name *e;

	if (hostport_numeric(hp, ss, len) == 0)
		return 0;
	if (n == NULL)
		return hostport_resolve(hp, ss, len, err, errlen);
	e = find(n, hp);
	if (e == NULL) {
		snprintf(err, errlen, "%s: not resolved", hp->host);
		return -1;
	}
	if (e->rc < 0) {
		strlcpy_r(err, e->err, errlen);
		return -1;
	}
	*ss = e->ss;
	*len = e->len;
	return 0;
}
