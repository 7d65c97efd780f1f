/* daemon/loadgen/mcproto.c: every reply kind, fed whole and split at
 * every byte; absurd lengths, long lines and garbage are protocol errors;
 * a value longer than the buffer is skipped and marked; requests. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mcproto.h"

/* Parses `in` cut after `cut` bytes (0: whole): the first reply. */
static enum mcp_result
parse_cut(struct mcp_parser *p, enum mcp_request req, const char *in,
    size_t cut, char *val, size_t valcap, size_t *total)
{
	size_t len = strlen(in), used, pos = 0;
	enum mcp_result r = MCP_MORE;

	mcp_parser_start(p, req, val, valcap);
	if (cut && cut < len) {
		r = mcp_parse(p, in, cut, &used);
		pos = used;
		if (r != MCP_MORE)
			goto out;
		ck_assert_uint_eq(used, cut);
	}
	r = mcp_parse(p, in + pos, len - pos, &used);
	pos += used;
out:
	*total = pos;
	return r;
}

struct good_case {
	enum mcp_request req;
	const char *in;
	enum mcp_reply_kind kind;
};

static const struct good_case good[] = {
	{ MCP_REQ_GET, "END\r\n", MCP_REPLY_MISS },
	{ MCP_REQ_GET, "VALUE k1 7 5\r\nhello\r\nEND\r\n", MCP_REPLY_VALUE },
	{ MCP_REQ_GET, "VALUE k1 0 5 123\r\nhe\r\no\r\nEND\r\n",
	    MCP_REPLY_VALUE },
	{ MCP_REQ_GET, "VALUE k1 0 0\r\n\r\nEND\r\n", MCP_REPLY_VALUE },
	{ MCP_REQ_SET, "STORED\r\n", MCP_REPLY_STORED },
	{ MCP_REQ_SET, "NOT_STORED\r\n", MCP_REPLY_NOT_STORED },
	{ MCP_REQ_SET, "EXISTS\r\n", MCP_REPLY_EXISTS },
	{ MCP_REQ_SET, "NOT_FOUND\r\n", MCP_REPLY_NOT_FOUND },
	{ MCP_REQ_DELETE, "DELETED\r\n", MCP_REPLY_DELETED },
	{ MCP_REQ_DELETE, "NOT_FOUND\r\n", MCP_REPLY_NOT_FOUND },
	{ MCP_REQ_GET, "SERVER_ERROR out of memory\r\n",
	    MCP_REPLY_SERVER_ERROR },
	{ MCP_REQ_SET, "CLIENT_ERROR bad data chunk\r\n",
	    MCP_REPLY_CLIENT_ERROR },
	{ MCP_REQ_DELETE, "ERROR\r\n", MCP_REPLY_ERROR },
	{ MCP_REQ_GET, "VALUE k1 0 2\r\nab\r\nSERVER_ERROR x\r\n",
	    MCP_REPLY_SERVER_ERROR },
};

START_TEST(every_kind_every_split)
{
	const struct good_case *g = &good[_i];
	size_t len = strlen(g->in);
	struct mcp_parser p = { .grow = NULL };
	char val[64];

	for (size_t cut = 0; cut < len; cut++) {
		size_t total;
		enum mcp_result r = parse_cut(&p, g->req, g->in, cut, val,
		    sizeof(val), &total);
		ck_assert_msg(r == MCP_DONE, "%s cut at %zu: result %d",
		    g->in, cut, (int)r);
		ck_assert_uint_eq(total, len);
		ck_assert_int_eq(p.reply.kind, g->kind);
	}
}
END_TEST

START_TEST(value_content)
{
	struct mcp_parser p = { .grow = NULL };
	char val[16];
	size_t total;

	ck_assert_int_eq(parse_cut(&p, MCP_REQ_GET,
	    "VALUE key:12 42 5\r\nab\r\nc\r\nEND\r\n", 3, val, sizeof(val),
	    &total), MCP_DONE);
	ck_assert_str_eq(p.reply.key, "key:12");
	ck_assert_uint_eq(p.reply.keylen, 6);
	ck_assert_uint_eq(p.reply.flags, 42);
	ck_assert_uint_eq(p.reply.len, 5);
	ck_assert(!p.reply.truncated);
	ck_assert(memcmp(val, "ab\r\nc", 5) == 0);
	ck_assert_ptr_eq(p.reply.val, val);
}
END_TEST

START_TEST(two_replies_in_one_read)
{
	const char *in = "STORED\r\nNOT_STORED\r\n";
	struct mcp_parser p = { .grow = NULL };
	size_t used;

	mcp_parser_start(&p, MCP_REQ_SET, NULL, 0);
	ck_assert_int_eq(mcp_parse(&p, in, strlen(in), &used), MCP_DONE);
	ck_assert_uint_eq(used, 8);
	ck_assert_int_eq(p.reply.kind, MCP_REPLY_STORED);
	mcp_parser_start(&p, MCP_REQ_SET, NULL, 0);
	ck_assert_int_eq(mcp_parse(&p, in + used, strlen(in) - used, &used),
	    MCP_DONE);
	ck_assert_int_eq(p.reply.kind, MCP_REPLY_NOT_STORED);
}
END_TEST

static char big[32];
static size_t asked;

static char *
grow(void *arg, size_t len)
{
	ck_assert_ptr_eq(arg, big);
	asked = len;
	return len <= sizeof(big) ? big : NULL;
}

START_TEST(value_longer_than_buffer_grows)
{
	struct mcp_parser p;
	char val[4] = "zzz";
	size_t total;

	mcp_parser_init(&p);
	mcp_parser_set_grow(&p, grow, big);
	ck_assert_int_eq(parse_cut(&p, MCP_REQ_GET,
	    "VALUE k 0 10\r\n0123456789\r\nEND\r\n", 17, val, 3, &total),
	    MCP_DONE);
	ck_assert(!p.reply.truncated);
	ck_assert_uint_eq(asked, 10);
	ck_assert_ptr_eq(p.reply.val, big);
	ck_assert(memcmp(big, "0123456789", 10) == 0);
	ck_assert_str_eq(val, "zzz"); /* untouched */
	/* Beyond what grow gives: skipped, marked. */
	ck_assert_int_eq(parse_cut(&p, MCP_REQ_GET,
	    "VALUE k 0 40\r\n0123456789012345678901234567890123456789\r\n"
	    "END\r\n", 0, val, 3, &total), MCP_DONE);
	ck_assert(p.reply.truncated);
	ck_assert_uint_eq(p.reply.len, 40);
}
END_TEST

START_TEST(value_longer_than_buffer_is_skipped)
{
	struct mcp_parser p = { .grow = NULL };
	char val[4] = "zzz";
	size_t total;

	ck_assert_int_eq(parse_cut(&p, MCP_REQ_GET,
	    "VALUE k 0 10\r\n0123456789\r\nEND\r\n", 17, val, 3, &total),
	    MCP_DONE);
	ck_assert(p.reply.truncated);
	ck_assert_uint_eq(p.reply.len, 10);
	ck_assert_str_eq(val, "zzz"); /* untouched */
}
END_TEST

static const struct {
	enum mcp_request req;
	const char *in;
} bad_cases[] = {
	{ MCP_REQ_GET, "VALUE k 0 99999999999999999999999\r\n" },
	{ MCP_REQ_GET, "VALUE k 0 2000000000\r\n" },
	{ MCP_REQ_GET, "VALUE k 0 -1\r\n" },
	{ MCP_REQ_GET, "VALUE k x 1\r\n" },
	{ MCP_REQ_GET, "VALUE k 0 1 x\r\n" },
	{ MCP_REQ_GET, "VALUE  0 1\r\n" },
	{ MCP_REQ_GET, "VALUE k 0 3\r\nabcXY" },
	{ MCP_REQ_GET, "VALUE k 0 1\r\na\r\nVALUE k 0 1\r\n" },
	{ MCP_REQ_GET, "STORED\r\n" },
	{ MCP_REQ_SET, "DELETED\r\n" },
	{ MCP_REQ_DELETE, "END\r\n" },
	{ MCP_REQ_GET, "HTTP/1.1 400 Bad Request\r\n" },
	{ MCP_REQ_GET, "END\n" },
	{ MCP_REQ_GET, "\r\n" },
	{ MCP_REQ_SET, "STOREDX\r\n" },
	{ MCP_REQ_GET, "\x01\x02\x03\xff\r\n" },
};

START_TEST(protocol_errors)
{
	struct mcp_parser p = { .grow = NULL };
	char val[64];
	size_t len = strlen(bad_cases[_i].in);

	for (size_t cut = 0; cut < len; cut++) {
		size_t total;
		enum mcp_result r = parse_cut(&p, bad_cases[_i].req,
		    bad_cases[_i].in, cut, val, sizeof(val), &total);
		ck_assert_msg(r == MCP_BAD, "'%s' cut at %zu: %d",
		    bad_cases[_i].in, cut, (int)r);
		ck_assert_ptr_nonnull(p.reply.error);
		/* It stays bad. */
		ck_assert_int_eq(mcp_parse(&p, "END\r\n", 5, &total), MCP_BAD);
	}
}
END_TEST

START_TEST(endless_line)
{
	struct mcp_parser p = { .grow = NULL };
	char chunk[100];
	size_t used;
	enum mcp_result r = MCP_MORE;
	int i;

	memset(chunk, 'A', sizeof(chunk));
	mcp_parser_start(&p, MCP_REQ_GET, NULL, 0);
	for (i = 0; i < 100 && r == MCP_MORE; i++)
		r = mcp_parse(&p, chunk, sizeof(chunk), &used);
	ck_assert_int_eq(r, MCP_BAD);
	/* Bounded: refused by the time the line buffer is full. */
	ck_assert_int_le(i * (int)sizeof(chunk), MCP_LINE_MAX + 100);
}
END_TEST

START_TEST(incomplete_is_more)
{
	struct mcp_parser p = { .grow = NULL };
	char val[8];
	size_t used;
	const char *in = "VALUE k 0 3\r\nabc\r\nEN";

	mcp_parser_start(&p, MCP_REQ_GET, val, sizeof(val));
	ck_assert_int_eq(mcp_parse(&p, in, strlen(in), &used), MCP_MORE);
	ck_assert_uint_eq(used, strlen(in));
	ck_assert_int_eq(mcp_parse(&p, "D\r\n", 3, &used), MCP_DONE);
	ck_assert_int_eq(p.reply.kind, MCP_REPLY_VALUE);
}
END_TEST

START_TEST(requests)
{
	char buf[MCP_REQ_MAX];
	char longkey[300];

	ck_assert_uint_eq(mcp_format_get(buf, sizeof(buf), "k:1", 3), 9);
	ck_assert(memcmp(buf, "get k:1\r\n", 9) == 0);
	ck_assert_uint_eq(mcp_format_delete(buf, sizeof(buf), "k:1", 3), 12);
	ck_assert(memcmp(buf, "delete k:1\r\n", 12) == 0);
	ck_assert_uint_eq(mcp_format_set(buf, sizeof(buf), "k:1", 3, 0, 60,
	    100), 18);
	ck_assert(memcmp(buf, "set k:1 0 60 100\r\n", 18) == 0);
	ck_assert_uint_eq(mcp_format_get(buf, sizeof(buf), "a b", 3), 0);
	ck_assert_uint_eq(mcp_format_get(buf, sizeof(buf), "", 0), 0);
	memset(longkey, 'k', sizeof(longkey));
	ck_assert_uint_eq(mcp_format_get(buf, sizeof(buf), longkey, 251), 0);
	ck_assert_uint_eq(mcp_format_get(buf, sizeof(buf), longkey, 250), 256);
	ck_assert_uint_eq(mcp_format_get(buf, 8, "k:1", 3), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mcproto");
	TCase *tc = tcase_create("mcproto");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, every_kind_every_split, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, value_content);
	tcase_add_test(tc, two_replies_in_one_read);
	tcase_add_test(tc, value_longer_than_buffer_is_skipped);
	tcase_add_test(tc, value_longer_than_buffer_grows);
	tcase_add_loop_test(tc, protocol_errors, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, endless_line);
	tcase_add_test(tc, incomplete_is_more);
	tcase_add_test(tc, requests);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
