/* libFuzzer target: the loadgen's memcached reply parser reads whatever a
 * server (or a rogue one) sends. Input: one byte choosing the request
 * (get, set, delete) and how the rest is cut into reads, then the bytes.
 * Each reply is parsed in pieces and again in one go: both must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/loadgen/mcproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A bigger buffer for values up to 4096 bytes, as the engine's is. */
static char big[4096];

static char *
grow(void *arg, size_t len)
{
	(void)arg;
	return len <= sizeof(big) ? big : NULL;
}

/* Parses in[0..len) in pieces of `step` bytes; how many replies were
 * complete and whether it ended in a protocol error. */
static void
run(enum mcp_request req, const char *in, size_t len, size_t step,
    size_t valcap, unsigned *done, int *badp, size_t *lens)
{
	struct mcp_parser p;
	char *val = malloc(valcap ? valcap : 1);
	size_t pos = 0;

	*done = 0;
	*badp = 0;
	if (val == NULL)
		abort();
	mcp_parser_init(&p);
	mcp_parser_set_grow(&p, grow, NULL);
	mcp_parser_start(&p, req, val, valcap);
	while (pos < len) {
		size_t n = len - pos < step ? len - pos : step, used;
		enum mcp_result r = mcp_parse(&p, in + pos, n, &used);
		if (used > n)
			abort();
		pos += used;
		if (r == MCP_BAD) {
			*badp = 1;
			break;
		}
		if (r == MCP_DONE) {
			if (p.reply.kind == MCP_REPLY_NONE)
				abort();
			if (p.reply.kind == MCP_REPLY_VALUE &&
			    !p.reply.truncated && p.reply.len > valcap &&
			    p.reply.val != big)
				abort();
			if (*done < 8)
				lens[*done] = p.reply.len;
			(*done)++;
			mcp_parser_start(&p, req, val, valcap);
		} else if (used != n) {
			abort(); /* MORE consumes everything */
		}
	}
	free(val);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned d1, d2;
	int b1, b2;
	size_t l1[8] = { 0 }, l2[8] = { 0 };
	enum mcp_request req;
	char *in;

	if (size < 1)
		return 0;
	req = (enum mcp_request)(data[0] % 3);
	in = malloc(size - 1 ? size - 1 : 1);
	if (in == NULL)
		return 0;
	memcpy(in, data + 1, size - 1);
	run(req, in, size - 1, size - 1 ? size - 1 : 1, 128, &d1, &b1, l1);
	run(req, in, size - 1, 1 + data[0] / 3 % 7, 128, &d2, &b2, l2);
	/* Cutting the input differently changes nothing. */
	if (d1 != d2 || b1 != b2 || memcmp(l1, l2, sizeof(l1)) != 0)
		abort();
	free(in);
	return 0;
}
