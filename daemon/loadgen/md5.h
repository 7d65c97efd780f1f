/* MD5 (RFC 1321), only for ketama's ring points: not for security. */
#ifndef RELIABD_LOADGEN_MD5_H
#define RELIABD_LOADGEN_MD5_H

#include <stddef.h>
#include <stdint.h>

void md5_digest(const void *data, size_t len, uint8_t out[16]);

#endif
