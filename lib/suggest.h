/* "Did you mean ...": the candidates closest to a mistyped word. */
#ifndef RELIAB_SUGGEST_H
#define RELIAB_SUGGEST_H

#include <stddef.h>

/* The edit distance (insert, delete, substitute, swap two neighbours)
 * between a and b, or SUGGEST_FAR when it is over SUGGEST_MAX_DIST or
 * either word is longer than SUGGEST_MAX_LEN. */
#define SUGGEST_MAX_LEN 64
#define SUGGEST_MAX_DIST 8
#define SUGGEST_FAR (SUGGEST_MAX_DIST + 1)
unsigned suggest_distance(const char *a, const char *b);

/* Fills out[] (cap entries) with the candidates close to word, closest
 * first (ties in the candidates' order): those within a third of the
 * longer word's length (at least 1), and those word is a prefix of.
 * Returns how many; 0 when none is close. */
size_t suggest(const char *word, const char *const *cands, size_t ncands,
    const char **out, size_t cap);

/* Writes "a", "a or b" or "a, b or c" from suggest()'s result into buf
 * (each quoted); "" when n is 0. Returns buf. */
char *suggest_join(const char *const *names, size_t n, char *buf,
    size_t buflen);

#endif
