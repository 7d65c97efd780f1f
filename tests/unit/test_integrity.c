/* daemon/loadgen/integrity.c: values round-trip; another key's value, a
 * flipped byte, a truncation are caught; the version table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "integrity.h"
#include "log.h"

START_TEST(crc_known_vector)
{
	/* The standard check value of CRC-32C. */
	ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(crc32c_portable(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(crc32c(0, "", 0), 0);
	/* Hardware and software agree at every length and alignment, and
	 * incremental equals one go. */
	char buf[200];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += 13) {
			uint32_t a = crc32c(0, buf + off, len);
			ck_assert_uint_eq(a, crc32c_portable(0, buf + off, len));
			size_t h = len / 3;
			ck_assert_uint_eq(a, crc32c(crc32c(0, buf + off, h),
			    buf + off + h, len - h));
		}
}
END_TEST

START_TEST(round_trip)
{
	char buf[512];
	struct integrity_info info;
	const char *key = "reliabd:4711";

	for (size_t size = INTEGRITY_MIN_SIZE(strlen(key)); size < 512;
	    size += 37) {
		ck_assert_int_eq(integrity_encode(buf, size, key, strlen(key),
		    0xabcdef012345ull, 99 + size), 0);
		ck_assert_int_eq(integrity_decode(buf, size, key, strlen(key),
		    &info), INTEGRITY_OK);
		ck_assert_uint_eq(info.writer, 0xabcdef012345ull);
		ck_assert_uint_eq(info.version, 99 + size);
	}
}
END_TEST

START_TEST(too_small)
{
	char buf[64];

	ck_assert_int_eq(integrity_encode(buf, INTEGRITY_MIN_SIZE(3) - 1,
	    "abc", 3, 1, 1), -1);
	ck_assert_int_eq(integrity_encode(buf, INTEGRITY_MIN_SIZE(3), "abc",
	    3, 1, 1), 0);
}
END_TEST

START_TEST(wrong_key)
{
	char buf[100];

	integrity_encode(buf, sizeof(buf), "k1", 2, 1, 5);
	ck_assert_int_eq(integrity_decode(buf, sizeof(buf), "k2", 2, NULL),
	    INTEGRITY_WRONG_KEY);
	ck_assert_int_eq(integrity_decode(buf, sizeof(buf), "k10", 3, NULL),
	    INTEGRITY_WRONG_KEY);
	ck_assert_int_eq(integrity_decode(buf, sizeof(buf), "k1", 2, NULL),
	    INTEGRITY_OK);
}
END_TEST

START_TEST(every_flipped_byte_caught)
{
	char buf[120], copy[120];

	integrity_encode(buf, sizeof(buf), "key:1", 5, 7, 8);
	for (size_t i = 0; i < sizeof(buf); i++) {
		memcpy(copy, buf, sizeof(buf));
		copy[i] ^= 0x01;
		ck_assert_int_ne(integrity_decode(copy, sizeof(copy), "key:1",
		    5, NULL), INTEGRITY_OK);
	}
}
END_TEST

START_TEST(truncated_and_garbage)
{
	char buf[100];

	integrity_encode(buf, sizeof(buf), "key", 3, 1, 1);
	for (size_t len = 0; len < sizeof(buf); len++)
		ck_assert_int_eq(integrity_decode(buf, len, "key", 3, NULL),
		    INTEGRITY_MALFORMED);
	ck_assert_int_eq(integrity_decode(NULL, 0, "key", 3, NULL),
	    INTEGRITY_MALFORMED);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(integrity_decode(buf, sizeof(buf), "key", 3, NULL),
	    INTEGRITY_MALFORMED);
}
END_TEST

START_TEST(version_table)
{
	struct version_table t;

	ck_assert_int_eq(version_table_init(&t, 100), 0);
	ck_assert_uint_eq(version_table_get(&t, 5), 0);
	version_table_put(&t, 5, 42);
	ck_assert_uint_eq(version_table_get(&t, 5), 42);
	version_table_put(&t, 5, 43);
	ck_assert_uint_eq(version_table_get(&t, 5), 43);
	/* Key 0 is a real key, not "empty". */
	ck_assert_uint_eq(version_table_get(&t, 0), 0);
	version_table_put(&t, 0, 7);
	ck_assert_uint_eq(version_table_get(&t, 0), 7);
	version_table_free(&t);

	/* Older and newer, and across a 32-bit wrap. */
	ck_assert_int_eq(version_table_init(&t, 100), 0);
	version_table_put(&t, 9, 100);
	ck_assert(version_table_older(&t, 9, 99));
	ck_assert(!version_table_older(&t, 9, 100));
	ck_assert(!version_table_older(&t, 9, 101));
	ck_assert(!version_table_older(&t, 10, 1)); /* nothing remembered */
	version_table_put(&t, 9, 0x100000002ull);
	ck_assert(version_table_older(&t, 9, 0xfffffff0ull));
	ck_assert(!version_table_older(&t, 9, 0x100000003ull));
	version_table_free(&t);

	/* A big key space: a colliding key evicts, never answers for another. */
	ck_assert_int_eq(version_table_init(&t, 1000000), 0);
	version_table_put(&t, 3, 10);
	version_table_put(&t, 3 + 8192, 20);
	ck_assert_uint_eq(version_table_get(&t, 3), 0);
	ck_assert(!version_table_older(&t, 3, 5));
	ck_assert_uint_eq(version_table_get(&t, 3 + 8192), 20);
	version_table_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("integrity");
	TCase *tc = tcase_create("integrity");
	SRunner *sr;
	int failed;

	log_init("test_integrity", LOG_LVL_ERROR);
	tcase_add_test(tc, crc_known_vector);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, too_small);
	tcase_add_test(tc, wrong_key);
	tcase_add_test(tc, every_flipped_byte_caught);
	tcase_add_test(tc, truncated_and_garbage);
	tcase_add_test(tc, version_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
