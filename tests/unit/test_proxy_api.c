/* daemon/proxy/api.c routing and proxy.c state, without HTTP: every
 * endpoint, its status codes, and no change after a rejected request. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "api.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "proxy.h"

static struct event_base *base;
static struct metrics_registry *reg;
static struct proxy_set *set;

static void
setup(void)
{
	base = event_base_new();
	reg = metrics_registry_new();
	set = proxy_set_new(base, 1, reg);
	ck_assert_ptr_nonnull(set);
}

static void
teardown(void)
{
	proxy_set_free(set);
	event_base_free(base);
	metrics_registry_free(reg);
}

/* Status of one request; its body (malloc'd) in *out if wanted. */
static int
req(const char *method, const char *url, const char *body, char **out)
{
	char *resp = NULL;
	size_t len = 0;
	int st = api_handle(set, method, url, body, body ? strlen(body) : 0,
	    &resp, &len);

	if (out)
		*out = resp;
	else
		free(resp);
	return st;
}

static char *
state(void)
{
	char *s = NULL;

	ck_assert_int_eq(req("GET", "/proxies", NULL, &s), 200);
	return s;
}

START_TEST(walk)
{
	char *s, *before;

	ck_assert_int_eq(req("GET", "/version", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"version\""));
	free(s);
	ck_assert_int_eq(req("POST", "/proxies", "{\"name\":\"m\","
	    "\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:9\"}", &s),
	    201);
	ck_assert_ptr_nonnull(strstr(s, "\"toxics\":[]"));
	ck_assert_ptr_null(strstr(s, "127.0.0.1:0\"")); /* the real port */
	free(s);
	ck_assert_int_eq(req("POST", "/proxies/m/toxics",
	    "{\"type\":\"latency\",\"attributes\":{\"latency\":5}}", NULL), 200);
	before = state();

	/* Every rejection leaves the state as it was. */
	static const struct {
		const char *m, *url, *body;
		int status;
	} bad[] = {
		{ "POST", "/proxies", "{\"name\":\"m\",\"upstream\":\"a:1\"}",
		    409 },
		{ "POST", "/proxies", "{bad", 400 },
		{ "POST", "/proxies", "{\"name\":\"n\"}", 400 },
		{ "GET", "/proxies/nope", NULL, 404 },
		{ "DELETE", "/proxies/nope", NULL, 404 },
		{ "GET", "/proxies/m/toxics/nope", NULL, 404 },
		{ "DELETE", "/proxies/m/toxics/nope", NULL, 404 },
		{ "POST", "/proxies/nope/toxics", "{\"type\":\"latency\"}", 404 },
		{ "POST", "/proxies/m/toxics", "{\"type\":\"latency\"}", 409 },
		{ "POST", "/proxies/m/toxics", "{\"type\":\"zzz\"}", 400 },
		{ "POST", "/proxies/m/toxics",
		    "{\"type\":\"latency\",\"stream\":\"x\",\"name\":\"q\"}",
		    400 },
		{ "POST", "/proxies/m/toxics", "{\"type\":\"latency\","
		  "\"name\":\"q\",\"attributes\":{\"latency\":-5}}", 400 },
		{ "PATCH", "/proxies/m/toxics/latency_downstream",
		    "{\"attributes\":{\"latency\":-5}}", 400 },
		{ "PATCH", "/proxies/m", "{\"enabled\":1}", 400 },
		{ "PATCH", "/proxies/m", "{\"upstream\":\"x\"}", 400 },
		{ "POST", "/populate", "[{\"name\":\"z\",\"upstream\":\"a:1\"},"
		  "{\"name\":\"y\"}]", 400 },
		/* jansson quotes the bad bytes back: still a 400 with JSON */
		{ "POST", "/populate", "{\"\\\\\\u\xc9\x82\x8b\x04\xd0" "be}",
		    400 },
		{ "PUT", "/proxies", NULL, 405 },
		{ "GET", "/nothing", NULL, 404 },
		{ "GET", "/proxies/", NULL, 404 },
		{ "GET", "/proxies/m/toxics/a/b", NULL, 404 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *after;

		ck_assert_int_eq(req(bad[i].m, bad[i].url, bad[i].body, &s),
		    bad[i].status);
		ck_assert_msg(strstr(s, "\"error\"") && strstr(s,
		    "\"status\""), "%s %s: %s", bad[i].m, bad[i].url, s);
		free(s);
		after = state();
		ck_assert_msg(strcmp(before, after) == 0, "%s %s changed state",
		    bad[i].m, bad[i].url);
		free(after);
	}
	free(before);

	ck_assert_int_eq(req("PATCH", "/proxies/m/toxics/latency_downstream",
	    "{\"attributes\":{\"latency\":7}}", &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"latency\":7"));
	free(s);
	ck_assert_int_eq(req("GET", "/proxies/m/toxics", NULL, &s), 200);
	ck_assert(s[0] == '[');
	free(s);
	ck_assert_int_eq(req("POST", "/proxies/m", "{\"enabled\":false}", &s),
	    200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":false"));
	free(s);
	ck_assert_int_eq(req("POST", "/reset", NULL, NULL), 204);
	ck_assert_int_eq(req("GET", "/proxies/m", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":true"));
	ck_assert_ptr_nonnull(strstr(s, "\"toxics\":[]"));
	free(s);
	ck_assert_int_eq(req("POST", "/populate", "[{\"name\":\"a\","
	    "\"upstream\":\"127.0.0.1:1\"},{\"name\":\"b\","
	    "\"upstream\":\"127.0.0.1:2\",\"enabled\":false}]", &s), 201);
	ck_assert_ptr_nonnull(strstr(s, "\"proxies\":["));
	free(s);
	ck_assert_int_eq(proxy_count(set), 3);
	ck_assert_int_eq(req("DELETE", "/proxies/m", NULL, NULL), 204);
	ck_assert_int_eq(req("GET", "/proxies/m", NULL, NULL), 404);
	ck_assert_int_eq(proxy_count(set), 2);
}
END_TEST

/* A request handled the way the HTTP thread hands it over: its names
 * resolved beforehand (names_collect), so the loop side never calls the
 * resolver. */
static int
req_names(const char *method, const char *url, const char *body,
    const char *names_body)
{
	struct names *n = names_collect(names_body, strlen(names_body));
	int st;

	ck_assert_ptr_nonnull(n);
	proxy_set_names(set, n);
	st = req(method, url, body, NULL);
	proxy_set_names(set, NULL);
	names_free(n);
	return st;
}

START_TEST(names_off_loop)
{
	const char *a = "{\"name\":\"a\",\"upstream\":\"localhost:9\"}";
	const char *b = "{\"name\":\"b\",\"upstream\":\"127.0.0.1:9\","
	    "\"listen\":\"localhost:0\"}";
	const char *pop = "[{\"name\":\"c\",\"upstream\":\"localhost:7\"},"
	    "{\"name\":\"d\",\"upstream\":\"127.0.0.1:8\"}]";
	char *before = state(), *after, *s;
	struct hostport hp = { "127.0.0.1", 11211 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char err[200];

	/* A name the HTTP thread did not resolve is refused, not looked up,
	 * and nothing changes. */
	ck_assert_int_eq(req_names("POST", "/proxies", a, ""), 400);
	ck_assert_int_eq(req_names("POST", "/proxies", b, "{}"), 400);
	ck_assert_int_eq(req_names("POST", "/populate", pop, "[]"), 400);
	after = state();
	ck_assert_str_eq(before, after);
	free(after);
	/* With the body's own names resolved, the same requests succeed;
	 * numeric addresses need no table entry. */
	ck_assert_int_eq(req_names("POST", "/proxies", a, a), 201);
	ck_assert_int_eq(req_names("POST", "/proxies", b, b), 201);
	ck_assert_int_eq(req_names("POST", "/populate", pop, pop), 201);
	ck_assert_int_eq(req("GET", "/proxies/a", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"upstream\":\"localhost:9\""));
	free(s);
	ck_assert_int_eq(proxy_count(set), 4);
	/* PATCH to a name: resolved from its own body only. */
	ck_assert_int_eq(req_names("PATCH", "/proxies/d",
	    "{\"upstream\":\"localhost:10\"}", "{}"), 400);
	ck_assert_int_eq(req_names("PATCH", "/proxies/d",
	    "{\"upstream\":\"localhost:10\"}",
	    "{\"upstream\":\"localhost:10\"}"), 200);

	/* A listen given as a name is bound again without the resolver
	 * and without the request naming it: re-enabling, /reset, and a
	 * proxy created disabled or disabled onto a new address. */
	const char *e = "{\"name\":\"e\",\"upstream\":\"127.0.0.1:9\","
	    "\"listen\":\"localhost:0\"}";
	const char *f = "{\"name\":\"f\",\"upstream\":\"127.0.0.1:9\","
	    "\"listen\":\"localhost:0\",\"enabled\":false}";
	const char *off = "{\"enabled\":false}", *on = "{\"enabled\":true}";
	const char *move = "{\"enabled\":false,\"listen\":\"localhost:0\"}";

	ck_assert_int_eq(req_names("POST", "/proxies", e, e), 201);
	ck_assert_int_eq(req_names("PATCH", "/proxies/e", off, off), 200);
	ck_assert_int_eq(req_names("PATCH", "/proxies/e", on, on), 200);
	ck_assert_int_eq(req_names("PATCH", "/proxies/e", off, off), 200);
	ck_assert_int_eq(req_names("POST", "/reset", NULL, ""), 204);
	ck_assert_int_eq(req("GET", "/proxies/e", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":true"));
	free(s);
	ck_assert_int_eq(req_names("POST", "/proxies", f, f), 201);
	ck_assert_int_eq(req_names("PATCH", "/proxies/f", on, on), 200);
	ck_assert_int_eq(req_names("PATCH", "/proxies/f", move, move), 200);
	ck_assert_int_eq(req_names("PATCH", "/proxies/f", on, on), 200);
	ck_assert_int_eq(req("GET", "/proxies/f", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":true"));
	ck_assert_ptr_nonnull(strstr(s, "\"listen\":\"localhost:"));
	free(s);

	ck_assert_int_eq(names_resolve(NULL, &hp, &ss, &len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	strcpy(hp.host, "localhost");
	{
		struct names *empty = names_collect("", 0);
		ck_assert_int_eq(names_resolve(empty, &hp, &ss, &len, err,
		    sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "not resolved"));
		names_free(empty);
	}
	free(before);
}
END_TEST

/* POST /populate as Toxiproxy 2.x: a proxy of the same name and
 * addresses is left as it is (disabled, its toxic kept), one whose
 * addresses differ is replaced, and proxies not named are not touched. */
START_TEST(populate_keeps_same)
{
	char *s, body[512], listen[64];
	json_t *j;

	ck_assert_int_eq(req("POST", "/proxies", "{\"name\":\"m\","
	    "\"listen\":\"127.0.0.1:0\",\"upstream\":\"127.0.0.1:9\"}", &s),
	    201);
	j = json_loads(s, 0, NULL);
	free(s);
	ck_assert_ptr_nonnull(j);
	snprintf(listen, sizeof listen, "%s",
	    json_string_value(json_object_get(j, "listen")));
	json_decref(j);
	ck_assert_int_eq(req("POST", "/proxies", "{\"name\":\"other\","
	    "\"upstream\":\"127.0.0.1:8\"}", NULL), 201);
	ck_assert_int_eq(req("POST", "/proxies/m/toxics",
	    "{\"type\":\"latency\",\"attributes\":{\"latency\":5}}", NULL), 200);
	ck_assert_int_eq(req("POST", "/proxies/m", "{\"enabled\":false}",
	    NULL), 200);
	ck_assert_int_eq(req("POST", "/proxies/other/toxics",
	    "{\"type\":\"timeout\"}", NULL), 200);

	snprintf(body, sizeof body, "[{\"name\":\"m\",\"listen\":\"%s\","
	    "\"upstream\":\"127.0.0.1:9\",\"enabled\":true}]", listen);
	ck_assert_int_eq(req("POST", "/populate", body, NULL), 201);
	ck_assert_int_eq(req("GET", "/proxies/m", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":false"));
	ck_assert_ptr_nonnull(strstr(s, "\"latency\":5"));
	free(s);

	/* Another upstream: replaced, enabled, without the toxic. */
	snprintf(body, sizeof body, "[{\"name\":\"m\",\"listen\":\"%s\","
	    "\"upstream\":\"127.0.0.1:7\",\"enabled\":true}]", listen);
	ck_assert_int_eq(req("POST", "/populate", body, NULL), 201);
	ck_assert_int_eq(req("GET", "/proxies/m", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"enabled\":true"));
	ck_assert_ptr_nonnull(strstr(s, "\"toxics\":[]"));
	ck_assert_ptr_nonnull(strstr(s, "\"upstream\":\"127.0.0.1:7\""));
	free(s);
	/* The proxy it did not name is as it was. */
	ck_assert_int_eq(req("GET", "/proxies/other/toxics", NULL, &s), 200);
	ck_assert_ptr_nonnull(strstr(s, "\"timeout\""));
	free(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy_api");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, walk);
	tcase_add_test(tc, names_off_loop);
	tcase_add_test(tc, populate_keeps_same);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	log_init("test_proxy_api", LOG_LVL_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
