/* The control protocol codec and the line framer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "proto.h"

static enum proto_err
decode(const char *s, struct proto_request *req)
{
	char msg[256];

	return proto_decode_request(s, strlen(s), req, msg, sizeof(msg));
}

START_TEST(request_ok)
{
	struct proto_request req;

	ck_assert_int_eq(decode("{\"id\":7,\"cmd\":\"start-scenario\","
				"\"args\":{\"names\":[\"latency-1s\"],\"loop\":3}}",
			     &req),
	    PROTO_OK);
	ck_assert_int_eq(req.id, 7);
	ck_assert_str_eq(req.cmd, "start-scenario");
	ck_assert_int_eq(json_integer_value(json_object_get(req.args, "loop")),
	    3);
	proto_request_clear(&req);

	/* No id, no args: id 0, args {}. */
	ck_assert_int_eq(decode("{\"cmd\":\"hello\"}", &req), PROTO_OK);
	ck_assert_int_eq(req.id, 0);
	ck_assert(json_is_object(req.args));
	ck_assert_int_eq(json_object_size(req.args), 0);
	proto_request_clear(&req);
}
END_TEST

START_TEST(request_errors)
{
	static const struct {
		const char *line;
		enum proto_err want;
	} cases[] = {
		{ "", PROTO_E_BAD_JSON },
		{ "{", PROTO_E_BAD_JSON },
		{ "null", PROTO_E_BAD_JSON },
		{ "[]", PROTO_E_BAD_REQUEST },
		{ "\"hello\"", PROTO_E_BAD_JSON },
		{ "{\"id\":1}", PROTO_E_BAD_REQUEST },
		{ "{\"id\":-1,\"cmd\":\"hello\"}", PROTO_E_BAD_REQUEST },
		{ "{\"id\":1.5,\"cmd\":\"hello\"}", PROTO_E_BAD_REQUEST },
		{ "{\"id\":1,\"cmd\":\"HELLO\"}", PROTO_E_UNKNOWN_COMMAND },
		{ "{\"id\":1,\"cmd\":\"\"}", PROTO_E_UNKNOWN_COMMAND },
		{ "{\"id\":1,\"cmd\":\"hello\",\"args\":1}",
		    PROTO_E_BAD_ARGUMENTS },
		{ "{\"id\":1,\"cmd\":\"hello\",\"extra\":1}",
		    PROTO_E_BAD_REQUEST },
		{ "{\"id\":1,\"cmd\":\"a\",\"cmd\":\"b\"}", PROTO_E_BAD_JSON },
		{ "{\"cmd\":\"hello\",\"args\":{\"a\":{\"b\":{\"c\":{\"d\":"
		  "{\"e\":{\"f\":{\"g\":{\"h\":{}}}}}}}}}}",
		    PROTO_E_BAD_REQUEST },
	};
	struct proto_request req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum proto_err e = decode(cases[i].line, &req);

		ck_assert_msg(e == cases[i].want, "%s: got %s want %s",
		    cases[i].line, proto_err_code(e),
		    proto_err_code(cases[i].want));
		ck_assert_ptr_null(req.args);
	}
}
END_TEST

START_TEST(request_id_kept_on_error)
{
	struct proto_request req;

	ck_assert_int_eq(decode("{\"id\":42,\"cmd\":\"hello\",\"args\":[]}",
			     &req),
	    PROTO_E_BAD_ARGUMENTS);
	ck_assert_int_eq(req.id, 42);
}
END_TEST

START_TEST(line_limit)
{
	struct proto_request req;
	char msg[128];
	size_t n = PROTO_LINE_MAX + 1;
	char *big = malloc(n);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	ck_assert_int_eq(proto_decode_request(big, n, &req, msg, sizeof(msg)),
	    PROTO_E_LINE_TOO_LONG);
	free(big);
}
END_TEST

START_TEST(replies_roundtrip)
{
	struct proto_msg m;
	json_t *r;
	char *s, msg[128];
	size_t len;

	r = proto_reply_error(7, PROTO_E_UNKNOWN_SCENARIO, "no %s", "x\"y");
	s = proto_encode(r, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s[len - 1], '\n');
	ck_assert_ptr_null(memchr(s, '\n', len - 1));
	ck_assert_int_eq(proto_decode_msg(s, len - 1, &m, msg, sizeof(msg)),
	    PROTO_OK);
	ck_assert_int_eq(m.kind, PROTO_MSG_REPLY);
	ck_assert_int_eq(m.id, 7);
	ck_assert(!m.ok);
	ck_assert_str_eq(m.code, "unknown-scenario");
	ck_assert_int_eq(m.err, PROTO_E_UNKNOWN_SCENARIO);
	ck_assert_str_eq(m.message, "no x\"y");
	proto_msg_clear(&m);
	free(s);
	json_decref(r);

	r = proto_reply_ok(3, json_pack("{s:i}", "n", 5));
	s = proto_encode(r, &len);
	ck_assert_int_eq(proto_decode_msg(s, len, &m, msg, sizeof(msg)),
	    PROTO_OK);
	ck_assert(m.ok);
	ck_assert_int_eq(json_integer_value(json_object_get(m.result, "n")), 5);
	proto_msg_clear(&m);
	free(s);
	json_decref(r);

	ck_assert_int_eq(proto_decode_msg("{\"event\":\"phase\"}", 17, &m, msg,
			     sizeof(msg)),
	    PROTO_OK);
	ck_assert_int_eq(m.kind, PROTO_MSG_EVENT);
	proto_msg_clear(&m);
	ck_assert_int_eq(proto_decode_msg("{\"id\":1}", 8, &m, msg,
			     sizeof(msg)),
	    PROTO_E_BAD_REQUEST);
}
END_TEST

START_TEST(error_codes_stable)
{
	ck_assert_str_eq(proto_err_code(PROTO_E_BAD_JSON), "bad-json");
	ck_assert_str_eq(proto_err_code(PROTO_E_LINE_TOO_LONG),
	    "line-too-long");
	ck_assert_str_eq(proto_err_code(PROTO_E_UNKNOWN_COMMAND),
	    "unknown-command");
	ck_assert_str_eq(proto_err_code(PROTO_E_BAD_ARGUMENTS),
	    "bad-arguments");
	for (int i = 0; i < PROTO_E__COUNT; i++)
		ck_assert_int_eq(proto_err_from_code(proto_err_code(i)), i);
	ck_assert_str_eq(proto_err_code((enum proto_err)999), "internal");
}
END_TEST

START_TEST(args_helpers)
{
	json_t *a = json_pack("{s:s, s:i, s:b}", "s", "x", "n", 5, "b", 1);
	static const char *const allowed[] = { "s", "n", NULL };
	const char *s = NULL;
	json_int_t n = 0;
	int b = 0;
	char msg[128];

	ck_assert_int_eq(proto_arg_string(a, "s", 1, &s, msg, sizeof(msg)), 0);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(proto_arg_string(a, "n", 1, &s, msg, sizeof(msg)), -1);
	ck_assert_int_eq(proto_arg_string(a, "zz", 1, &s, msg, sizeof(msg)),
	    -1);
	ck_assert_int_eq(proto_arg_string(a, "zz", 0, &s, msg, sizeof(msg)), 0);
	ck_assert_int_eq(proto_arg_int(a, "n", 1, 0, 10, &n, msg, sizeof(msg)),
	    0);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(proto_arg_int(a, "n", 1, 6, 10, &n, msg, sizeof(msg)),
	    -1);
	ck_assert_int_eq(proto_arg_bool(a, "b", &b, msg, sizeof(msg)), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(proto_arg_bool(a, "s", &b, msg, sizeof(msg)), -1);
	ck_assert_int_eq(proto_args_only(a, allowed, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "\"b\""));
	json_decref(a);
}
END_TEST

static void
feed(struct frame *f, const char *s)
{
	ck_assert_int_eq(frame_feed(f, s, strlen(s)), 0);
}

START_TEST(frame_lines)
{
	struct frame f;
	char *line;
	size_t len;

	ck_assert_int_eq(frame_init(&f, 8), 0);
	feed(&f, "ab");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_NEED_MORE);
	feed(&f, "c\r\nde\nf");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "abc");
	ck_assert_int_eq(len, 3);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "de");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_NEED_MORE);
	/* "f" + 9 more bytes passes the limit of 8 (plus room for a "\r"). */
	feed(&f, "ggggggggg");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_NEED_MORE);
	/* The rest of the long line is skipped up to its newline. */
	feed(&f, "hhh\nok\n");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "ok");
	/* Exactly the limit is fine. */
	feed(&f, "12345678\n");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "12345678");
	/* One chunk: a line, an over-long line, a line. Nothing after the
	 * long line is lost, and the overflow is reported in its place. */
	feed(&f, "a\n0123456789012345\nb\n");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "a");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "b");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_NEED_MORE);
	/* A line one byte over, ended by its newline, is refused too. */
	feed(&f, "123456789\nnext\n");
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_TOO_LONG);
	ck_assert_int_eq(frame_next(&f, &line, &len), FRAME_LINE);
	ck_assert_str_eq(line, "next");
	frame_free(&f);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, request_ok);
	tcase_add_test(tc, request_errors);
	tcase_add_test(tc, request_id_kept_on_error);
	tcase_add_test(tc, line_limit);
	tcase_add_test(tc, replies_roundtrip);
	tcase_add_test(tc, error_codes_stable);
	tcase_add_test(tc, args_helpers);
	tcase_add_test(tc, frame_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
