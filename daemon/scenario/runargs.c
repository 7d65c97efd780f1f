/* The start-scenario arguments and their limits (see runargs.h). */
#include "runargs.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "scrape_url.h"
#include "duration.h"
#include "util.h"

void
run_args_init(struct run_args *a)
{
	memset(a, 0, sizeof *a);
	a->loop = 1;
}

static int
name_ok(const char *s, size_t n)
{
	return n > 0 && n < RUN_NAME_MAX && memchr(s, '\0', n) == NULL;
}

int
run_args_parse_names(struct run_args *a, const char *list)
{
	const char *p = list;

	a->nnames = 0;
	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);

		if (!name_ok(p, n) || a->nnames == RUN_NAMES_MAX)
			return -1;
		memcpy(a->names[a->nnames], p, n);
		a->names[a->nnames++][n] = '\0';
		p += n;
		if (*p == ',')
			p++;
	}
	return a->nnames ? 0 : -1;
}

int
run_args_parse_duration(const char *text, uint64_t *ms)
{
	uint64_t v;

	if (duration_parse(text, &v) != 0 || v == 0 || v > RUN_PHASE_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

static int
decode_duration(const json_t *args, const char *key, uint64_t *out,
    char *msg, size_t msglen)
{
	const json_t *v = json_object_get(args, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    run_args_parse_duration(json_string_value(v), out) != 0) {
		snprintf(msg, msglen, "%s: a duration such as \"30s\" (at "
		    "most 24h)", key);
		return -1;
	}
	return 0;
}

static int
client_set(struct run_client *c, const char *name, size_t nlen,
    const char *addr, char *msg, size_t msglen)
{
	struct scrape_url u;
	char err[160];

	if (nlen == 0 || nlen >= RUN_CLIENT_NAME_MAX ||
	    memchr(name, '\0', nlen) != NULL) {
		snprintf(msg, msglen, "clients: a name of 1 to %d bytes",
		    RUN_CLIENT_NAME_MAX - 1);
		return -1;
	}
	if (strlen(addr) >= RUN_CLIENT_ADDR_MAX ||
	    scrape_url_parse(addr, &u, err, sizeof err) != 0) {
		snprintf(msg, msglen, "clients: %.*s: HOST:PORT or "
		    "http://HOST:PORT/PATH", (int)(nlen > 40 ? 40 : nlen),
		    name);
		return -1;
	}
	memcpy(c->name, name, nlen);
	c->name[nlen] = '\0';
	strlcpy_r(c->addr, addr, sizeof c->addr);
	return 0;
}

int
run_client_add(struct run_client *list, size_t *n, const char *text,
    char *msg, size_t msglen)
{
	const char *eq = strchr(text, '=');

	if (*n == RUN_CLIENTS_MAX) {
		snprintf(msg, msglen, "at most %d clients", RUN_CLIENTS_MAX);
		return -1;
	}
	if (!eq) {
		snprintf(msg, msglen, "a client is NAME=HOST:PORT");
		return -1;
	}
	if (client_set(&list[*n], text, (size_t)(eq - text), eq + 1, msg,
	    msglen) != 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(list[i].name, list[*n].name) == 0) {
			snprintf(msg, msglen, "%s: named twice", list[i].name);
			return -1;
		}
	(*n)++;
	return 0;
}

int
run_clients_decode(struct run_client *list, size_t *n, const json_t *v,
    char *msg, size_t msglen)
{
	const char *key;
	json_t *addr;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v) || json_object_size(v) > RUN_CLIENTS_MAX) {
		snprintf(msg, msglen, "clients: an object of at most %d "
		    "\"NAME\": \"HOST:PORT\"", RUN_CLIENTS_MAX);
		return -1;
	}
	json_object_foreach((json_t *)v, key, addr) {
		if (!json_is_string(addr)) {
			snprintf(msg, msglen, "clients: each address a string");
			return -1;
		}
		if (client_set(&list[*n], key, strlen(key),
		    json_string_value(addr), msg, msglen) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

int
run_args_decode(struct run_args *a, const json_t *args, char *msg,
    size_t msglen)
{
	static const char *const known[] = { "names", "loop", "forever",
		"stabilization", "testing", "recovery", "wait", "compare",
		"clients", NULL };
	const json_t *names, *v;
	const char *key;
	size_t i;

	run_args_init(a);
	if (!json_is_object(args)) {
		snprintf(msg, msglen, "args must be an object");
		return -1;
	}
	json_object_foreach((json_t *)args, key, v) {
		for (i = 0; known[i] && strcmp(key, known[i]) != 0; i++)
			;
		if (!known[i]) {
			snprintf(msg, msglen, "unknown argument \"%.40s\"",
			    key);
			return -1;
		}
	}
	names = json_object_get(args, "names");
	if (!json_is_array(names) || json_array_size(names) == 0 ||
	    json_array_size(names) > RUN_NAMES_MAX) {
		snprintf(msg, msglen, "names: a list of 1 to %d scenario "
		    "names, or [\"all\"]", RUN_NAMES_MAX);
		return -1;
	}
	json_array_foreach(names, i, v) {
		if (!json_is_string(v) || !name_ok(json_string_value(v),
		    json_string_length(v))) {
			snprintf(msg, msglen, "names: each a scenario name "
			    "(1 to %d bytes)", RUN_NAME_MAX - 1);
			return -1;
		}
		strlcpy_r(a->names[a->nnames++], json_string_value(v),
		    RUN_NAME_MAX);
	}
	v = json_object_get(args, "loop");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > RUN_LOOP_MAX) {
			snprintf(msg, msglen, "loop: an integer 1..%d",
			    RUN_LOOP_MAX);
			return -1;
		}
		a->loop = (unsigned)json_integer_value(v);
	}
	v = json_object_get(args, "forever");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			snprintf(msg, msglen, "forever: true or false");
			return -1;
		}
		a->forever = json_is_true(v);
	}
	v = json_object_get(args, "compare");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			snprintf(msg, msglen, "compare: true or false");
			return -1;
		}
		a->compare = json_is_true(v);
	}
	if (run_clients_decode(a->clients, &a->nclients,
	    json_object_get(args, "clients"), msg, msglen) != 0)
		return -1;
	if (decode_duration(args, "stabilization", &a->stabilization_ms, msg,
	    msglen) || decode_duration(args, "testing", &a->testing_ms, msg,
	    msglen) || decode_duration(args, "recovery", &a->recovery_ms, msg,
	    msglen))
		return -1;
	return 0;
}
