/* daemon/proxy/api_parse.c and toxic.c: the Toxiproxy request bodies,
 * defaults, and every rejection (with its status). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api_parse.h"
#include "log.h"
#include "toxic.h"

#define S(x) x, strlen(x)

START_TEST(toxic_defaults)
{
	struct toxic_spec t;
	struct api_error e = { 0 };

	ck_assert_int_eq(api_parse_toxic_create(S("{\"type\":\"latency\","
	    "\"attributes\":{\"latency\":100,\"jitter\":5}}"), &t, &e), 0);
	ck_assert_str_eq(t.name, "latency_downstream");
	ck_assert_int_eq(t.stream, STREAM_DOWNSTREAM);
	ck_assert(t.toxicity == 1.0);
	ck_assert_int_eq(t.a.latency, 100);
	ck_assert_int_eq(t.a.jitter, 5);

	ck_assert_int_eq(api_parse_toxic_create(S("{\"type\":\"loss\","
	    "\"stream\":\"upstream\",\"toxicity\":0.5,"
	    "\"attributes\":{\"rate\":0.2}}"), &t, &e), 0);
	ck_assert_str_eq(t.name, "loss_upstream");
	ck_assert(t.a.loss_rate == 0.2);
	ck_assert(t.toxicity == 0.5);

	ck_assert_int_eq(api_parse_toxic_create(S("{\"name\":\"x\","
	    "\"type\":\"slicer\",\"attributes\":{\"average_size\":10,"
	    "\"size_variation\":2,\"delay\":50,\"ignored\":\"yes\"}}"),
	    &t, &e), 0);
	ck_assert_str_eq(t.name, "x");
	ck_assert_int_eq(t.a.average_size, 10);
	ck_assert_int_eq(t.a.delay, 50);
}
END_TEST

START_TEST(toxic_rejects)
{
	static const struct {
		const char *body;
		int status;
	} cases[] = {
		{ "", 400 },
		{ "{", 400 },
		{ "[]", 400 },
		{ "{\"type\":\"nope\"}", 400 },
		{ "{}", 400 },
		{ "{\"type\":\"latency\",\"stream\":\"sideways\"}", 400 },
		{ "{\"type\":\"latency\",\"attributes\":{\"latency\":-1}}", 400 },
		{ "{\"type\":\"latency\",\"attributes\":{\"latency\":1.5}}", 400 },
		{ "{\"type\":\"latency\",\"attributes\":{\"latency\":\"1\"}}",
		    400 },
		{ "{\"type\":\"latency\",\"attributes\":[]}", 400 },
		{ "{\"type\":\"loss\",\"attributes\":{\"rate\":1.5}}", 400 },
		{ "{\"type\":\"loss\",\"attributes\":{\"rate\":-0.1}}", 400 },
		{ "{\"type\":\"bandwidth\",\"toxicity\":2}", 400 },
		{ "{\"type\":\"bandwidth\",\"toxicity\":\"x\"}", 400 },
		{ "{\"type\":\"limit_data\",\"name\":\"a/b\"}", 400 },
		{ "{\"type\":\"limit_data\",\"name\":\"a b\"}", 400 },
		{ "{\"type\":5}", 400 },
		{ "{\"type\":\"timeout\",\"attributes\":{\"timeout\":"
		  "99999999999999999}}", 400 },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]"
		  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		    400 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct toxic_spec t;
		struct api_error e = { 0 };

		ck_assert_msg(api_parse_toxic_create(S(cases[i].body), &t, &e)
			== -1, "accepted %s", cases[i].body);
		ck_assert_msg(e.status == cases[i].status, "%s: %d",
		    cases[i].body, e.status);
		ck_assert(e.msg[0] != '\0');
	}
}
END_TEST

START_TEST(toxic_messages)
{
	struct toxic_spec t;
	struct api_error e = { 0 };

	api_parse_toxic_create(S("{\"type\":\"nope\"}"), &t, &e);
	ck_assert_str_eq(e.msg, "invalid toxic type");
	api_parse_toxic_create(S("{\"type\":\"latency\",\"stream\":\"x\"}"),
	    &t, &e);
	ck_assert_str_eq(e.msg,
	    "stream was invalid, can be either upstream or downstream");
}
END_TEST

START_TEST(toxic_update_merges)
{
	struct toxic_spec cur, next;
	struct api_error e = { 0 };

	ck_assert_int_eq(api_parse_toxic_create(S("{\"type\":\"latency\","
	    "\"attributes\":{\"latency\":100,\"jitter\":5}}"), &cur, &e), 0);
	ck_assert_int_eq(api_parse_toxic_update(S("{\"attributes\":"
	    "{\"jitter\":7},\"toxicity\":0.25,\"type\":\"bandwidth\"}"),
	    &cur, &next, &e), 0);
	ck_assert_int_eq(next.a.latency, 100);
	ck_assert_int_eq(next.a.jitter, 7);
	ck_assert(next.toxicity == 0.25);
	ck_assert_int_eq(next.type, TOXIC_LATENCY);
	/* A bad update leaves the output untouched. */
	memset(&next, 0x5a, sizeof(next));
	ck_assert_int_eq(api_parse_toxic_update(S("{\"attributes\":"
	    "{\"latency\":5,\"jitter\":-1}}"), &cur, &next, &e), -1);
	ck_assert_int_eq(e.status, 400);
	ck_assert_int_eq(next.a.latency, 0x5a5a5a5a5a5a5a5a);
}
END_TEST

START_TEST(toxic_json_round_trip)
{
	struct toxic_spec t;
	struct api_error e = { 0 };
	json_t *j;
	char *s;

	ck_assert_int_eq(api_parse_toxic_create(S("{\"type\":\"bandwidth\","
	    "\"stream\":\"up\",\"attributes\":{\"rate\":100}}"), &t, &e), 0);
	j = toxic_to_json(&t);
	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(s, "{\"attributes\":{\"rate\":100},"
	    "\"name\":\"bandwidth_upstream\",\"stream\":\"upstream\","
	    "\"toxicity\":1.0,\"type\":\"bandwidth\"}");
	free(s);
	json_decref(j);
	for (int i = 0; i < TOXIC_TYPE_COUNT; i++) {
		enum toxic_type ty;

		ck_assert_int_eq(toxic_type_parse(toxic_type_text(i), &ty), 0);
		ck_assert_int_eq((int)ty, i);
	}
}
END_TEST

START_TEST(proxy_bodies)
{
	struct proxy_spec p, q;
	struct api_error e = { 0 };
	struct proxy_spec *arr = NULL;
	size_t n = 0;

	ck_assert_int_eq(api_parse_proxy_create(S("{\"name\":\"m1\","
	    "\"upstream\":\"127.0.0.1:11211\"}"), &p, &e), 0);
	ck_assert_str_eq(p.listen, "127.0.0.1:0");
	ck_assert(p.enabled);
	ck_assert_int_eq(api_parse_proxy_create(S("{\"name\":\"m1\"}"), &p,
	    &e), -1);
	ck_assert_str_eq(e.msg, "missing required field: upstream");
	ck_assert_int_eq(api_parse_proxy_create(S("{\"upstream\":\"a:1\"}"),
	    &p, &e), -1);
	ck_assert_str_eq(e.msg, "missing required field: name");
	ck_assert_int_eq(api_parse_proxy_create(S("{\"name\":\"m\","
	    "\"upstream\":\"nocolon\"}"), &p, &e), -1);
	ck_assert_int_eq(e.status, 400);
	ck_assert_int_eq(api_parse_proxy_create(S("{\"name\":\"m\","
	    "\"upstream\":\"a:1\",\"enabled\":\"yes\"}"), &p, &e), -1);

	ck_assert_int_eq(api_parse_proxy_create(S("{\"name\":\"m1\","
	    "\"upstream\":\"127.0.0.1:11211\",\"listen\":\"127.0.0.1:5\"}"),
	    &p, &e), 0);
	ck_assert_int_eq(api_parse_proxy_update(S("{\"enabled\":false}"), &p,
	    &q, &e), 0);
	ck_assert(!q.enabled);
	ck_assert_str_eq(q.listen, "127.0.0.1:5");
	ck_assert_str_eq(q.upstream, "127.0.0.1:11211");

	ck_assert_int_eq(api_parse_populate(S("[{\"name\":\"a\","
	    "\"upstream\":\"h:1\"},{\"name\":\"b\",\"upstream\":\"h:2\","
	    "\"enabled\":false}]"), &arr, &n, &e), 0);
	ck_assert_int_eq(n, 2);
	ck_assert(arr[0].enabled && !arr[1].enabled);
	free(arr);
	ck_assert_int_eq(api_parse_populate(S("[{\"name\":\"a\","
	    "\"upstream\":\"h:1\"},{\"name\":\"a\",\"upstream\":\"h:2\"}]"),
	    &arr, &n, &e), -1);
	ck_assert_int_eq(e.status, 400);
	ck_assert_int_eq(api_parse_populate(S("[{\"name\":\"a\"}]"), &arr, &n,
	    &e), -1);
	ck_assert_str_eq(e.msg, "missing required field: upstream at proxy 1");
	ck_assert_int_eq(api_parse_populate(S("{}"), &arr, &n, &e), -1);
}
END_TEST

START_TEST(body_too_large)
{
	size_t len = API_BODY_MAX + 1;
	char *big = malloc(len);
	struct api_error e = { 0 };
	struct toxic_spec t;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	ck_assert_int_eq(api_parse_toxic_create(big, len, &t, &e), -1);
	ck_assert_int_eq(e.status, 413);
	free(big);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy_parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, toxic_defaults);
	tcase_add_test(tc, toxic_rejects);
	tcase_add_test(tc, toxic_messages);
	tcase_add_test(tc, toxic_update_merges);
	tcase_add_test(tc, toxic_json_round_trip);
	tcase_add_test(tc, proxy_bodies);
	tcase_add_test(tc, body_too_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	log_init("test_proxy_parse", LOG_LVL_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
