/* The one pseudo-random generator every program shares: xorshift64*,
 * cheap and good enough to pick operations, keys, sizes and losses. Not
 * for anything that must be unpredictable. */
#ifndef RELIABD_RNG_H
#define RELIABD_RNG_H

#include <stdint.h>

/* *s must not be 0; returns the next draw and advances *s. */
static inline uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, 1): the top 53 bits of a draw. */
static inline double
rng_double(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
