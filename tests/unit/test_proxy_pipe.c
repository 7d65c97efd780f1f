/* daemon/proxy/pipe.c: each toxic's schedule on a fake clock, and chain
 * changes acting on data in flight. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipe.h"

#define MS 1000000ULL

struct out {
	size_t bytes, writes;
	bool eof, close;
};

static int
o_data(void *ctx, const void *buf, size_t len)
{
	struct out *o = ctx;

	o->bytes += len;
	o->writes++;
	return 0;
}

static void
o_eof(void *ctx)
{
	((struct out *)ctx)->eof = true;
}

static void
o_close(void *ctx)
{
	((struct out *)ctx)->close = true;
}

static const struct pipe_ops ops = { o_data, o_eof, o_close };
static uint64_t rng = 42;
static char payload[65536];

static struct toxic_spec
spec(enum toxic_type type)
{
	struct toxic_spec t = { .type = type, .toxicity = 1.0 };

	strcpy(t.name, "t");
	return t;
}

START_TEST(no_stage_passes)
{
	struct pipe p;
	struct out o = { 0 };

	pipe_init(&p, &rng, &ops, &o);
	ck_assert(pipe_idle(&p));
	ck_assert_int_eq(pipe_push(&p, payload, 10, 0), 0);
	ck_assert_int_eq(o.bytes, 10);
	ck_assert(pipe_run(&p, 0) == PIPE_NEVER);
	pipe_free(&p);
}
END_TEST

START_TEST(latency_delays)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LATENCY);

	t.a.latency = 100;
	pipe_init(&p, &rng, &ops, &o);
	ck_assert_int_eq(pipe_add(&p, &t, 0), 0);
	pipe_push(&p, payload, 10, 0);
	ck_assert(pipe_run(&p, 0) == 100 * MS);
	ck_assert_int_eq(o.bytes, 0);
	pipe_run(&p, 99 * MS);
	ck_assert_int_eq(o.bytes, 0);
	pipe_push(&p, payload, 5, 50 * MS);
	pipe_run(&p, 100 * MS);
	ck_assert_int_eq(o.bytes, 10);
	ck_assert(pipe_run(&p, 100 * MS) == 150 * MS);
	/* EOF keeps its place behind the data, with no delay of its own. */
	pipe_push_eof(&p, 120 * MS);
	pipe_run(&p, 150 * MS);
	ck_assert_int_eq(o.bytes, 15);
	ck_assert(o.eof);
	pipe_free(&p);
}
END_TEST

START_TEST(jitter_bounded)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LATENCY);

	t.a.latency = 100;
	t.a.jitter = 20;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	for (int i = 0; i < 50; i++) {
		uint64_t now = (uint64_t)i * 1000 * MS, due;

		pipe_push(&p, payload, 1, now);
		due = pipe_run(&p, now);
		ck_assert(due >= now + 80 * MS && due <= now + 120 * MS);
		pipe_run(&p, due);
	}
	ck_assert_int_eq(o.bytes, 50);
	pipe_free(&p);
}
END_TEST

START_TEST(bandwidth_paces)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_BANDWIDTH);

	t.a.rate = 10; /* 10 KB/s: 1000 bytes per 100 ms */
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 3000, 0);
	ck_assert(pipe_run(&p, 0) == 100 * MS);
	pipe_run(&p, 100 * MS);
	ck_assert_int_eq(o.bytes, 1000);
	pipe_run(&p, 250 * MS);
	ck_assert_int_eq(o.bytes, 2000);
	pipe_run(&p, 300 * MS);
	ck_assert_int_eq(o.bytes, 3000);
	pipe_free(&p);
}
END_TEST

START_TEST(slicer_splits)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_SLICER);

	t.a.average_size = 10;
	t.a.size_variation = 3;
	t.a.delay = 1000; /* us */
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 1000, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.writes, 1); /* the first slice at once */
	ck_assert(o.bytes >= 7 && o.bytes <= 13);
	pipe_run(&p, 10 * 1000 * MS);
	ck_assert_int_eq(o.bytes, 1000);
	ck_assert(o.writes >= 1000 / 13 && o.writes <= 1000 / 7 + 1);
	pipe_free(&p);
}
END_TEST

START_TEST(limit_data_cuts)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LIMIT_DATA);

	t.a.bytes = 5;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 3, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.bytes, 3);
	ck_assert(!o.close);
	pipe_push(&p, payload, 4, 0);
	pipe_push(&p, payload, 4, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.bytes, 5);
	ck_assert(o.close);
	pipe_free(&p);
}
END_TEST

START_TEST(timeout_closes)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_TIMEOUT);

	t.a.timeout = 50;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 10 * MS);
	pipe_push(&p, payload, 3, 20 * MS);
	ck_assert(pipe_run(&p, 20 * MS) == 60 * MS);
	ck_assert_int_eq(o.bytes, 0);
	ck_assert_int_eq(p.action, PIPE_ACT_NONE);
	pipe_run(&p, 60 * MS);
	ck_assert_int_eq(p.action, PIPE_ACT_CLOSE);
	pipe_free(&p);

	/* 0: data stops, the connection stays. */
	memset(&o, 0, sizeof(o));
	t.a.timeout = 0;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 3, 0);
	ck_assert(pipe_run(&p, 1000000 * MS) == PIPE_NEVER);
	ck_assert_int_eq(p.action, PIPE_ACT_NONE);
	ck_assert_int_eq(o.bytes, 0);
	pipe_free(&p);
}
END_TEST

START_TEST(reset_peer_after_data)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_RESET_PEER);

	t.a.timeout = 20;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	ck_assert(pipe_run(&p, 100 * MS) == PIPE_NEVER);
	pipe_push(&p, payload, 3, 100 * MS);
	ck_assert(pipe_run(&p, 100 * MS) == 120 * MS);
	ck_assert_int_eq(p.action, PIPE_ACT_NONE);
	pipe_run(&p, 120 * MS);
	ck_assert_int_eq(p.action, PIPE_ACT_RESET);
	ck_assert_int_eq(o.bytes, 0);
	pipe_free(&p);
}
END_TEST

START_TEST(slow_close_delays_eof)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_SLOW_CLOSE);

	t.a.delay = 300;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 3, 0);
	pipe_push_eof(&p, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.bytes, 3);
	ck_assert(!o.eof);
	pipe_run(&p, 299 * MS);
	ck_assert(!o.eof);
	pipe_run(&p, 300 * MS);
	ck_assert(o.eof);
	pipe_free(&p);
}
END_TEST

START_TEST(loss_full_and_removal)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LOSS);

	t.a.loss_rate = 1.0;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 100, 0);
	ck_assert(pipe_run(&p, 1000000 * MS) == PIPE_NEVER);
	ck_assert_int_eq(o.bytes, 0);
	ck_assert(p.queued >= 100);
	/* Removing the toxic hands over what it held, at once. */
	pipe_remove(&p, &t, 1000000 * MS);
	pipe_run(&p, 1000000 * MS);
	ck_assert_int_eq(o.bytes, 100);
	ck_assert(pipe_idle(&p));
	pipe_free(&p);
}
END_TEST

START_TEST(loss_fraction)
{
	struct toxic_spec t = spec(TOXIC_LOSS);
	int delayed = 0, n = 2000;

	t.a.loss_rate = 0.2;
	for (int i = 0; i < n; i++) {
		struct pipe p;
		struct out o = { 0 };
		uint64_t due;

		pipe_init(&p, &rng, &ops, &o);
		pipe_add(&p, &t, 0);
		pipe_push(&p, payload, 10, 0);
		due = pipe_run(&p, 0);
		if (o.bytes == 0) {
			delayed++;
			/* One RTO at least; two losses: 200 + 400 ms. */
			ck_assert(due == 200 * MS || due == 600 * MS ||
			    due >= 1400 * MS);
		}
		pipe_free(&p);
	}
	ck_assert_msg(delayed > n * 0.16 && delayed < n * 0.24, "%d of %d",
	    delayed, n);
}
END_TEST

START_TEST(update_flushes)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LATENCY);

	t.a.latency = 10000;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 7, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.bytes, 0);
	t.a.latency = 10;
	pipe_update(&p, &t, 5 * MS);
	pipe_run(&p, 5 * MS);
	ck_assert_int_eq(o.bytes, 7);
	pipe_push(&p, payload, 1, 5 * MS);
	ck_assert(pipe_run(&p, 5 * MS) == 15 * MS);
	pipe_free(&p);
}
END_TEST

START_TEST(toxicity_zero_passes)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec t = spec(TOXIC_LATENCY);

	t.a.latency = 10000;
	t.toxicity = 0;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &t, 0);
	pipe_push(&p, payload, 7, 0);
	pipe_run(&p, 0);
	ck_assert_int_eq(o.bytes, 7);
	pipe_free(&p);
}
END_TEST

START_TEST(chain_order)
{
	struct pipe p;
	struct out o = { 0 };
	struct toxic_spec a = spec(TOXIC_LATENCY), b = spec(TOXIC_LIMIT_DATA);

	a.a.latency = 100;
	b.a.bytes = 4;
	pipe_init(&p, &rng, &ops, &o);
	pipe_add(&p, &a, 0);
	pipe_add(&p, &b, 0);
	pipe_push(&p, payload, 10, 0);
	pipe_run(&p, 50 * MS);
	ck_assert_int_eq(o.bytes, 0);
	pipe_run(&p, 100 * MS);
	ck_assert_int_eq(o.bytes, 4);
	ck_assert(o.close);
	pipe_remove(&p, &a, 100 * MS);
	pipe_remove(&p, &b, 100 * MS);
	ck_assert(pipe_idle(&p));
	pipe_free(&p);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("proxy_pipe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, no_stage_passes);
	tcase_add_test(tc, latency_delays);
	tcase_add_test(tc, jitter_bounded);
	tcase_add_test(tc, bandwidth_paces);
	tcase_add_test(tc, slicer_splits);
	tcase_add_test(tc, limit_data_cuts);
	tcase_add_test(tc, timeout_closes);
	tcase_add_test(tc, reset_peer_after_data);
	tcase_add_test(tc, slow_close_delays_eof);
	tcase_add_test(tc, loss_full_and_removal);
	tcase_add_test(tc, loss_fraction);
	tcase_add_test(tc, update_flushes);
	tcase_add_test(tc, toxicity_zero_passes);
	tcase_add_test(tc, chain_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	log_init("test_proxy_pipe", LOG_LVL_ERROR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
