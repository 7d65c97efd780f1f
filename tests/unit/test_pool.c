/* daemon/loadgen/pool.c: bounded size, idle reuse, acquire timeout,
 * broken connections discarded and replaced, waiters woken. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "pool.h"
#include "util.h"

struct fake {
	int made, destroyed, fail_next;
};

struct conn {
	int serial;
};

static void *
fake_create(void *arg)
{
	struct fake *f = arg;
	struct conn *c;

	if (f->fail_next) {
		f->fail_next = 0;
		return NULL;
	}
	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->serial = ++f->made;
	return c;
}

static void
fake_destroy(void *arg, void *conn)
{
	struct fake *f = arg;

	f->destroyed++;
	free(conn);
}

START_TEST(flush_idle)
{
	struct fake f = { 0 };
	struct pool p;
	void *a, *b, *c;
	bool created;
	struct pool_stats st;

	ck_assert_int_eq(pool_init(&p, 3, fake_create, fake_destroy, &f), 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	ck_assert_int_eq(pool_acquire(&p, 0, &b, &created), POOL_OK);
	ck_assert_int_eq(pool_acquire(&p, 0, &c, &created), POOL_OK);
	pool_release(&p, a, false);
	pool_release(&p, b, false);
	/* Two idle, one still in use: only the idle ones go. */
	ck_assert_uint_eq(pool_flush_idle(&p), 2);
	ck_assert_int_eq(f.destroyed, 2);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.total, 1);
	ck_assert_uint_eq(st.idle, 0);
	ck_assert_uint_eq(st.active, 1);
	/* The next caller gets a fresh connection, not a flushed one. */
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	ck_assert(created);
	ck_assert_int_eq(f.made, 4);
	pool_release(&p, a, false);
	pool_release(&p, c, false);
	pool_destroy(&p);
	ck_assert_int_eq(f.destroyed, 4);
}
END_TEST

START_TEST(reuse_idle)
{
	struct fake f = { 0 };
	struct pool p;
	void *a, *b;
	bool created;
	struct pool_stats st;

	ck_assert_int_eq(pool_init(&p, 2, fake_create, fake_destroy, &f), 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	ck_assert(created);
	pool_release(&p, a, false);
	ck_assert_int_eq(pool_acquire(&p, 0, &b, &created), POOL_OK);
	ck_assert(!created);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(f.made, 1);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.total, 1);
	ck_assert_uint_eq(st.active, 1);
	ck_assert_uint_eq(st.idle, 0);
	ck_assert_uint_eq(st.created, 1);
	pool_release(&p, b, false);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.idle, 1);
	pool_destroy(&p);
	ck_assert_int_eq(f.destroyed, 1);
}
END_TEST

START_TEST(bounded_and_timeout)
{
	struct fake f = { 0 };
	struct pool p;
	void *a, *b, *c;
	bool created;
	struct pool_stats st;
	uint64_t t0, waited;

	ck_assert_int_eq(pool_init(&p, 2, fake_create, fake_destroy, &f), 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	ck_assert_int_eq(pool_acquire(&p, 0, &b, &created), POOL_OK);
	ck_assert_int_eq(pool_acquire(&p, 0, &c, &created), POOL_TIMEOUT);
	t0 = now_mono_ms();
	ck_assert_int_eq(pool_acquire(&p, 150, &c, &created), POOL_TIMEOUT);
	waited = now_mono_ms() - t0;
	/* It waited the whole timeout, and not absurdly longer. */
	ck_assert_uint_ge(waited, 150);
	ck_assert_uint_lt(waited, 5000);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.total, 2);
	ck_assert_uint_eq(st.acquire_errors, 2);
	ck_assert_int_eq(f.made, 2);
	pool_release(&p, a, false);
	pool_release(&p, b, false);
	pool_destroy(&p);
}
END_TEST

START_TEST(broken_is_replaced)
{
	struct fake f = { 0 };
	struct pool p;
	void *a, *b;
	bool created;
	struct pool_stats st;

	ck_assert_int_eq(pool_init(&p, 1, fake_create, fake_destroy, &f), 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	ck_assert_int_eq(((struct conn *)a)->serial, 1);
	pool_release(&p, a, true);
	ck_assert_int_eq(f.destroyed, 1);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.total, 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &b, &created), POOL_OK);
	ck_assert(created);
	ck_assert_int_eq(((struct conn *)b)->serial, 2);
	pool_release(&p, b, false);
	pool_destroy(&p);
}
END_TEST

START_TEST(create_failure)
{
	struct fake f = { 0 };
	struct pool p;
	void *a;
	bool created;
	struct pool_stats st;

	ck_assert_int_eq(pool_init(&p, 1, fake_create, fake_destroy, &f), 0);
	f.fail_next = 1;
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created),
	    POOL_CREATE_FAILED);
	pool_stats(&p, &st);
	ck_assert_uint_eq(st.total, 0);
	ck_assert_uint_eq(st.acquire_errors, 1);
	/* The place was freed: the next try makes one. */
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	pool_release(&p, a, false);
	pool_destroy(&p);
}
END_TEST

struct waiter_arg {
	struct pool *p;
	int result;
	void *conn;
};

static void *
waiter(void *arg)
{
	struct waiter_arg *w = arg;
	bool created;

	w->result = (int)pool_acquire(w->p, 10000, &w->conn, &created);
	return NULL;
}

START_TEST(release_wakes_waiter)
{
	struct fake f = { 0 };
	struct pool p;
	void *a;
	bool created;
	pthread_t tid;
	struct waiter_arg w = { .p = &p, .result = -1 };
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	uint64_t t0;

	ck_assert_int_eq(pool_init(&p, 1, fake_create, fake_destroy, &f), 0);
	ck_assert_int_eq(pool_acquire(&p, 0, &a, &created), POOL_OK);
	t0 = now_mono_ms();
	ck_assert_int_eq(pthread_create(&tid, NULL, waiter, &w), 0);
	nanosleep(&ts, NULL);
	pool_release(&p, a, false);
	pthread_join(tid, NULL);
	ck_assert_int_eq(w.result, POOL_OK);
	ck_assert_ptr_eq(w.conn, a);
	/* Woken by the release, long before its 10 s timeout. */
	ck_assert_uint_lt(now_mono_ms() - t0, 5000);
	pool_release(&p, w.conn, false);
	pool_destroy(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	SRunner *sr;
	int failed;

	log_init("test_pool", LOG_LVL_ERROR);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, reuse_idle);
	tcase_add_test(tc, flush_idle);
	tcase_add_test(tc, bounded_and_timeout);
	tcase_add_test(tc, broken_is_replaced);
	tcase_add_test(tc, create_failure);
	tcase_add_test(tc, release_wakes_waiter);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
