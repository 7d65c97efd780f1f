/* daemon/loadgen/ketama.c: MD5 test vectors (libhashkit's, as ketama uses it), an even spread,
 * and consistency (removing a server moves only that server's keys). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ketama.h"
#include "log.h"
#include <libhashkit-1.0/hashkit.h>

static void
hex(const uint8_t d[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

START_TEST(md5_vectors)
{
	/* RFC 1321, appendix A.5. */
	static const char *in[] = {
		"", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz",
		("12345678901234567890123456789012345678901234567890123456789012"
		 "345678901234567890"),
	};
	static const char *want[] = {
		"d41d8cd98f00b204e9800998ecf8427e",
		"0cc175b9c0f1b6a831c399e269772661",
		"900150983cd24fb0d6963f7d28e17f72",
		"f96b697d7cb7938d525a2f31aaf161d0",
		"c3fcd3d76192e4007dfb496cca67e13b",
		"57edf4a22be3c955ac49da2e2107b67a",
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		uint8_t d[16];
		char h[33];
		libhashkit_md5_signature((const unsigned char *)in[i],
		    strlen(in[i]), d);
		hex(d, h);
		ck_assert_str_eq(h, want[i]);
	}
}
END_TEST

static const char *three[] = { "127.0.0.1:11211", "127.0.0.1:11212",
	"127.0.0.1:11213" };

START_TEST(spread)
{
	struct ketama k;
	unsigned count[3] = { 0, 0, 0 };
	const unsigned n = 30000;

	ck_assert_int_eq(ketama_build(&k, three, 3), 0);
	ck_assert_uint_eq(k.npoints, 3 * KETAMA_POINTS_PER_SERVER);
	for (unsigned i = 0; i < n; i++) {
		char key[32];
		int len = snprintf(key, sizeof(key), "reliabd:%u", i);
		count[ketama_server(&k, key, (size_t)len)]++;
	}
	/* 160 points each: every server within a third of its fair share. */
	for (int s = 0; s < 3; s++) {
		ck_assert_uint_gt(count[s], n / 3 * 2 / 3);
		ck_assert_uint_lt(count[s], n / 3 * 4 / 3);
	}
	ketama_free(&k);
}
END_TEST

START_TEST(consistent)
{
	struct ketama k3, k2;
	const char *two[] = { three[0], three[2] };
	unsigned moved = 0, n = 20000;

	ck_assert_int_eq(ketama_build(&k3, three, 3), 0);
	ck_assert_int_eq(ketama_build(&k2, two, 2), 0);
	for (unsigned i = 0; i < n; i++) {
		char key[32];
		int len = snprintf(key, sizeof(key), "k%u", i);
		uint32_t a = ketama_server(&k3, key, (size_t)len);
		uint32_t b = ketama_server(&k2, key, (size_t)len);
		/* Index in k2: 0 -> three[0], 1 -> three[2]. */
		uint32_t b3 = b == 0 ? 0 : 2;
		if (a != 1)
			ck_assert_uint_eq(a, b3); /* keys of survivors stay */
		else
			moved++;
	}
	/* Only the removed server's keys moved: about a third. */
	ck_assert_uint_gt(moved, n / 5);
	ck_assert_uint_lt(moved, n / 2);
	ketama_free(&k3);
	ketama_free(&k2);
}
END_TEST

START_TEST(order_independent)
{
	struct ketama a, b;
	const char *rev[] = { three[2], three[1], three[0] };

	ck_assert_int_eq(ketama_build(&a, three, 3), 0);
	ck_assert_int_eq(ketama_build(&b, rev, 3), 0);
	for (unsigned i = 0; i < 5000; i++) {
		char key[32];
		int len = snprintf(key, sizeof(key), "x%u", i);
		ck_assert_str_eq(three[ketama_server(&a, key, (size_t)len)],
		    rev[ketama_server(&b, key, (size_t)len)]);
	}
	ketama_free(&a);
	ketama_free(&b);
}
END_TEST

START_TEST(one_server_and_none)
{
	struct ketama k;

	ck_assert_int_eq(ketama_build(&k, three, 1), 0);
	ck_assert_uint_eq(ketama_server(&k, "anything", 8), 0);
	ketama_free(&k);
	ck_assert_int_eq(ketama_build(&k, three, 0), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ketama");
	TCase *tc = tcase_create("ketama");
	SRunner *sr;
	int failed;

	log_init("test_ketama", LOG_LVL_ERROR);
	tcase_add_test(tc, md5_vectors);
	tcase_add_test(tc, spread);
	tcase_add_test(tc, consistent);
	tcase_add_test(tc, order_independent);
	tcase_add_test(tc, one_server_and_none);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
