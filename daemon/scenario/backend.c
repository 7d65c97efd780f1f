/* The real fault backend (see backend.h). */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "util.h"

/* ---- the lab from the command line ---- */

static struct backend_server *
lab_find(struct backend_lab *lab, const char *name, size_t nlen)
{
	for (size_t i = 0; i < lab->n; i++)
		if (strlen(lab->servers[i].name) == nlen &&
		    memcmp(lab->servers[i].name, name, nlen) == 0)
			return &lab->servers[i];
	return NULL;
}

/* A host:port with a real port, that fits; into dst. */
static int
copy_addr(const char *s, size_t len, char *dst, size_t size)
{
	struct hostport hp;
	char buf[LEDGER_API_MAX], herr[128];

	if (len == 0 || len >= sizeof buf || len >= size)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (hostport_parse(buf, &hp, herr, sizeof herr) != 0 || hp.port == 0)
		return -1;
	memcpy(dst, buf, len + 1);
	return 0;
}

static int
name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= SPEC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

int
backend_lab_add_server(struct backend_lab *lab, const char *arg, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '='), *comma;
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	struct backend_server *s, next;

	if (!name_ok(arg, nlen)) {
		snprintf(err, errlen, "NAME or NAME=LISTEN,UPSTREAM expected "
		    "(a name of letters, digits, '-', '_', '.')");
		return -1;
	}
	s = lab_find(lab, arg, nlen);
	if (!s && lab->n == SPEC_MAX_SERVERS) {
		snprintf(err, errlen, "at most %d servers", SPEC_MAX_SERVERS);
		return -1;
	}
	memset(&next, 0, sizeof next);
	if (s)
		next = *s;
	memcpy(next.name, arg, nlen);
	next.name[nlen] = '\0';
	if (eq) {
		comma = strchr(eq + 1, ',');
		if (!comma || copy_addr(eq + 1, (size_t)(comma - eq - 1),
		    next.listen, sizeof next.listen) != 0 ||
		    copy_addr(comma + 1, strlen(comma + 1), next.upstream,
		    sizeof next.upstream) != 0) {
			snprintf(err, errlen, "%.*s: LISTEN,UPSTREAM expected "
			    "(HOST:PORT,HOST:PORT)", (int)nlen, arg);
			return -1;
		}
	}
	if (!s)
		s = &lab->servers[lab->n++];
	*s = next;
	return 0;
}

int
backend_lab_set_api(struct backend_lab *lab, const char *arg, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '=');
	struct backend_server *s;

	if (!eq || !name_ok(arg, (size_t)(eq - arg))) {
		snprintf(err, errlen, "NAME=HOST:PORT expected");
		return -1;
	}
	s = lab_find(lab, arg, (size_t)(eq - arg));
	if (!s) {
		snprintf(err, errlen, "%.*s: no such --server", (int)(eq - arg),
		    arg);
		return -1;
	}
	if (copy_addr(eq + 1, strlen(eq + 1), s->api, sizeof s->api) != 0) {
		snprintf(err, errlen, "%.*s: HOST:PORT expected",
		    (int)(eq - arg), arg);
		return -1;
	}
	return 0;
}

/* ---- the APIs ---- */

/* The API `api` names ("": the default), added when only a ledger names
 * it. NULL (logged) when it cannot be. */
static struct backend_api *
api_get(struct proxy_backend *pb, const char *api)
{
	struct backend_api *a;
	char err[256];

	if (!api[0])
		return &pb->apis[0];
	for (size_t i = 0; i < pb->napis; i++)
		if (strcmp(pb->apis[i].api, api) == 0)
			return &pb->apis[i];
	if (pb->napis == BACKEND_APIS_MAX) {
		log_error("more than %d proxy APIs", BACKEND_APIS_MAX);
		return NULL;
	}
	a = &pb->apis[pb->napis];
	strlcpy_r(a->api, api, sizeof a->api);
	if (toxi_init(&a->toxi, api, err, sizeof err) != 0) {
		log_error("%s", err);
		toxi_free(&a->toxi);
		return NULL;
	}
	pb->napis++;
	return a;
}

/* Whether this worker creates `s`'s proxy: reliabd-proxy creates those
 * on the default API, unless the mode is external. */
static int
creates(const struct proxy_backend *pb, const struct backend_server *s)
{
	return s->listen[0] && s->upstream[0] && (s->api[0] ||
	    pb->lab.external);
}

/* POST /populate on `a` with the servers this worker creates there and
 * that it lacks. Only missing ones: a proxy that exists is someone's
 * (a compose file's, listening on 0.0.0.0) or ours, and replacing it
 * (a real Toxiproxy replaces one whose listen string differs) would cut
 * the clients' connections. */
static enum toxi_result
populate_api(struct proxy_backend *pb, struct backend_api *a, char *err,
    size_t errlen)
{
	const struct backend_server *mine[SPEC_MAX_SERVERS];
	const char *names[SPEC_MAX_SERVERS];
	int present[SPEC_MAX_SERVERS];
	json_t *arr;
	enum toxi_result r;
	size_t n = 0, created = 0;

	for (size_t i = 0; i < pb->lab.n; i++) {
		const struct backend_server *s = &pb->lab.servers[i];
		const char *api = s->api[0] ? s->api : pb->apis[0].api;

		if (creates(pb, s) && strcmp(api, a->api) == 0) {
			mine[n] = s;
			names[n++] = s->name;
		}
	}
	if (!n)
		return TOXI_OK;
	r = toxi_has_proxies(&a->toxi, names, n, present, err, errlen);
	if (r != TOXI_OK)
		return r;
	if (!(arr = json_array())) {
		snprintf(err, errlen, "out of memory");
		return TOXI_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		if (present[i])
			continue;
		if (json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b}",
		    "name", mine[i]->name, "listen", mine[i]->listen,
		    "upstream", mine[i]->upstream, "enabled", 1)) != 0) {
			snprintf(err, errlen, "out of memory");
			json_decref(arr);
			return TOXI_ERROR;
		}
		created++;
	}
	if (created) {
		r = toxi_populate(&a->toxi, arr, err, errlen);
		if (r == TOXI_OK)
			log_info("proxy API %s: %zu missing proxies created "
			    "(POST /populate)", a->api, created);
	}
	json_decref(arr);
	return r;
}

int
proxy_backend_populate(struct proxy_backend *pb)
{
	int rc = 0;

	for (size_t i = 0; i < pb->nconfigured; i++) {
		char err[512];

		if (populate_api(pb, &pb->apis[i], err, sizeof err) !=
		    TOXI_OK) {
			log_warn("cannot create the proxies on %s: %s",
			    pb->apis[i].api, err);
			rc = -1;
		}
	}
	return rc;
}

/* ---- the fault backend ---- */

/* A server's own API is recorded; "" stands for the default API, the
 * [proxy] api of the time: a worker run against a hung or mistyped
 * --proxy-api leaves entries the next cleanup on the right one clears. */
static void
pb_api_of(void *arg, const char *server, char *api, size_t apilen)
{
	struct proxy_backend *pb = arg;
	struct backend_server *s = lab_find(&pb->lab, server, strlen(server));

	strlcpy_r(api, s ? s->api : "", apilen);
}

static enum toxi_result
apply_on(struct backend_api *a, const struct fault_unit *u, char *err,
    size_t errlen)
{
	if (u->le.kind == LEDGER_DOWN)
		return toxi_set_enabled(&a->toxi, u->le.server, 0, err,
		    errlen);
	return toxi_add_toxic(&a->toxi, u->le.server, u->le.toxic,
	    u->le.type, u->stream, u->toxicity, u->attrs, err, errlen);
}

static enum toxi_result
pb_apply(void *arg, const struct fault_unit *u, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;
	struct backend_api *a = api_get(pb, u->le.api);
	enum toxi_result r;
	char perr[512];

	if (!a) {
		snprintf(err, errlen, "proxy API %s: cannot be used",
		    u->le.api);
		return TOXI_ERROR;
	}
	r = apply_on(a, u, err, errlen);
	/* The proxy is missing (a fresh or restarted Toxiproxy): created
	 * from the config, then the fault is tried once more. */
	if (r != TOXI_ERROR || a->toxi.last_status != 404)
		return r;
	if (populate_api(pb, a, perr, sizeof perr) != TOXI_OK) {
		log_warn("%s: proxy missing, and cannot create it: %s",
		    u->le.server, perr);
		return r;
	}
	log_info("%s: proxy was missing on %s; created, trying again",
	    u->le.server, a->api);
	return apply_on(a, u, err, errlen);
}

static enum toxi_result
pb_undo(void *arg, const struct ledger_entry *le, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;
	struct backend_api *a = api_get(pb, le->api);

	if (!a) {
		snprintf(err, errlen, "proxy API %s: cannot be used", le->api);
		return TOXI_ERROR;
	}
	if (le->kind == LEDGER_DOWN)
		return toxi_set_enabled(&a->toxi, le->server, 1, err, errlen);
	return toxi_remove_toxic(&a->toxi, le->server, le->toxic, err,
	    errlen);
}

/* Every API reset: OK when one was reset and none failed, UNREACHABLE
 * when none answered, ERROR (the first error) when one failed: the whole
 * reset is then retried. */
static enum toxi_result
pb_reset(void *arg, char *err, size_t errlen)
{
	struct proxy_backend *pb = arg;
	enum toxi_result all = TOXI_UNREACHABLE;

	for (size_t i = 0; i < pb->napis; i++) {
		char e1[512];
		enum toxi_result r = toxi_reset(&pb->apis[i].toxi, e1,
		    sizeof e1);

		if (r == TOXI_ERROR && all != TOXI_ERROR) {
			snprintf(err, errlen, "%s", e1);
			all = TOXI_ERROR;
		} else if (r == TOXI_OK && all == TOXI_UNREACHABLE)
			all = TOXI_OK;
		log_info("proxy API %s: reset: %s", pb->apis[i].api,
		    toxi_result_text(r));
	}
	return all;
}

static int
pb_node_restart(void *arg, const char *node, uint64_t down_ms, char *err,
    size_t errlen)
{
	struct proxy_backend *pb = arg;
	json_t *args;

	if (!pb->request) {
		snprintf(err, errlen, "node restart of %s needs reliabd (no "
		    "channel: running by hand)", node);
		return -1;
	}
	args = json_pack("{s:s,s:I}", "name", node, "down_ms",
	    (json_int_t)down_ms);
	if (!args) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pb->request("node-restart", args, pb->request_arg) < 0) {
		snprintf(err, errlen, "cannot send node-restart to reliabd");
		return -1;
	}
	return 0;
}

int
proxy_backend_init(struct proxy_backend *pb, const char *api,
    const struct backend_lab *lab,
    long long (*request)(const char *, json_t *, void *), void *arg,
    char *err, size_t errlen)
{
	memset(pb, 0, sizeof *pb);
	pb->request = request;
	pb->request_arg = arg;
	if (lab)
		pb->lab = *lab;
	strlcpy_r(pb->apis[0].api, api, sizeof pb->apis[0].api);
	if (strlen(api) >= sizeof pb->apis[0].api) {
		snprintf(err, errlen, "%s: address too long", api);
		return -1;
	}
	if (toxi_init(&pb->apis[0].toxi, api, err, errlen) != 0) {
		toxi_free(&pb->apis[0].toxi);
		return -1;
	}
	pb->napis = 1;
	/* A server on the default API, named: it is on the default API. */
	for (size_t i = 0; i < pb->lab.n; i++) {
		struct backend_server *s = &pb->lab.servers[i];

		if (strcmp(s->api, api) == 0)
			s->api[0] = '\0';
		if (s->api[0] && !api_get(pb, s->api)) {
			snprintf(err, errlen, "%s: proxy API %s: cannot be "
			    "used", s->name, s->api);
			proxy_backend_free(pb);
			return -1;
		}
	}
	pb->nconfigured = pb->napis;
	return 0;
}

void
proxy_backend_free(struct proxy_backend *pb)
{
	for (size_t i = 0; i < pb->napis; i++)
		toxi_free(&pb->apis[i].toxi);
	pb->napis = 0;
}

struct fault_backend
proxy_backend_ops(struct proxy_backend *pb)
{
	struct fault_backend be = { pb_apply, pb_undo, pb_node_restart, pb,
		pb_reset, pb_api_of };

	return be;
}

int
proxy_backend_probe(struct proxy_backend *pb, int *builtin, char *version,
    size_t vlen, char *err, size_t errlen)
{
	(void)proxy_backend_populate(pb);
	if (toxi_probe(&pb->apis[0].toxi, err, errlen) != TOXI_OK)
		return -1;
	*builtin = pb->apis[0].toxi.builtin;
	strlcpy_r(version, pb->apis[0].toxi.version, vlen);
	/* `loss` is expressed one way for the whole run: as the built-in
	 * proxy's own toxic only when every API that answers has it. */
	for (size_t i = 1; i < pb->nconfigured; i++) {
		char e2[512];

		if (toxi_probe(&pb->apis[i].toxi, e2, sizeof e2) != TOXI_OK)
			log_warn("proxy API %s: %s", pb->apis[i].api, e2);
		else if (!pb->apis[i].toxi.builtin)
			*builtin = 0;
	}
	return 0;
}
