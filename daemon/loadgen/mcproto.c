/* memcached text protocol: requests and an incremental reply parser; see
 * mcproto.h. */
#include "mcproto.h"

#include <stdio.h>
#include <string.h>

const char *
mcp_request_text(enum mcp_request r)
{
	switch (r) {
	case MCP_REQ_GET:
		return "get";
	case MCP_REQ_SET:
		return "set";
	case MCP_REQ_DELETE:
		return "delete";
	}
	return "unknown";
}

const char *
mcp_reply_kind_text(enum mcp_reply_kind k)
{
	switch (k) {
	case MCP_REPLY_NONE:
		return "none";
	case MCP_REPLY_VALUE:
		return "VALUE";
	case MCP_REPLY_MISS:
		return "END";
	case MCP_REPLY_STORED:
		return "STORED";
	case MCP_REPLY_NOT_STORED:
		return "NOT_STORED";
	case MCP_REPLY_EXISTS:
		return "EXISTS";
	case MCP_REPLY_NOT_FOUND:
		return "NOT_FOUND";
	case MCP_REPLY_DELETED:
		return "DELETED";
	case MCP_REPLY_SERVER_ERROR:
		return "SERVER_ERROR";
	case MCP_REPLY_CLIENT_ERROR:
		return "CLIENT_ERROR";
	case MCP_REPLY_ERROR:
		return "ERROR";
	}
	return "unknown";
}

const char *
mcp_state_text(enum mcp_state s)
{
	switch (s) {
	case MCP_ST_LINE:
		return "line";
	case MCP_ST_DATA:
		return "data";
	case MCP_ST_DATA_CR:
		return "data_cr";
	case MCP_ST_DATA_LF:
		return "data_lf";
	case MCP_ST_AFTER_VALUE:
		return "after_value";
	case MCP_ST_BAD:
		return "bad";
	}
	return "unknown";
}

void
mcp_parser_start(struct mcp_parser *p, enum mcp_request req, char *valbuf,
    size_t valcap)
{
	p->state = MCP_ST_LINE;
	p->req = req;
	p->valbuf = valbuf;
	p->valcap = valbuf ? valcap : 0;
	p->got = 0;
	p->linelen = 0;
	p->reply.kind = MCP_REPLY_NONE;
	p->reply.keylen = 0;
	p->reply.key[0] = '\0';
	p->reply.flags = 0;
	p->reply.val = NULL;
	p->reply.len = 0;
	p->reply.truncated = false;
	p->reply.error = NULL;
}

void
mcp_parser_init(struct mcp_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->state = MCP_ST_BAD;  /* until started */
	p->reply.error = "not started";
}

void
mcp_parser_set_grow(struct mcp_parser *p, mcp_grow_fn grow, void *arg)
{
	p->grow = grow;
	p->grow_arg = arg;
}

static enum mcp_result
bad(struct mcp_parser *p, const char *why)
{
	p->state = MCP_ST_BAD;
	p->reply.error = why;
	return MCP_BAD;
}

/* Whether line[0..n) is exactly word, or word followed by a space (and a
 * message) when `msg` is allowed. */
static bool
is_word(const char *line, size_t n, const char *word, bool msg)
{
	size_t wl = strlen(word);

	if (n < wl || memcmp(line, word, wl) != 0)
		return false;
	return n == wl || (msg && line[wl] == ' ');
}

/* A decimal number of at most `max`; advances *pos past it. */
static bool
number(const char *s, size_t n, size_t *pos, uint64_t max, uint64_t *out)
{
	size_t i = *pos;
	uint64_t v = 0;

	if (i >= n || s[i] < '0' || s[i] > '9')
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*pos = i;
	*out = v;
	return true;
}

/* "VALUE <key> <flags> <bytes> [<cas>]" (without "VALUE "). */
static enum mcp_result
value_line(struct mcp_parser *p, const char *s, size_t n)
{
	size_t i = 0, k;
	uint64_t flags, bytes, cas;

	while (i < n && s[i] != ' ')
		i++;
	k = i;
	if (k == 0 || k > MCP_KEY_MAX)
		return bad(p, "bad key in VALUE line");
	for (size_t j = 0; j < k; j++)
		if ((unsigned char)s[j] <= ' ' || s[j] == 0x7f)
			return bad(p, "bad key in VALUE line");
	memcpy(p->reply.key, s, k);
	p->reply.key[k] = '\0';
	p->reply.keylen = k;
	if (i >= n || s[i++] != ' ' || !number(s, n, &i, UINT32_MAX, &flags))
		return bad(p, "bad flags in VALUE line");
	if (i >= n || s[i++] != ' ')
		return bad(p, "no length in VALUE line");
	if (!number(s, n, &i, UINT64_MAX / 2, &bytes))
		return bad(p, "bad length in VALUE line");
	if (bytes > MCP_VALUE_MAX)
		return bad(p, "absurd length in VALUE line");
	if (i < n) {
		if (s[i++] != ' ' || !number(s, n, &i, UINT64_MAX, &cas) ||
		    i != n)
			return bad(p, "bad cas in VALUE line");
	}
	p->reply.flags = (uint32_t)flags;
	p->reply.len = (size_t)bytes;
	p->reply.val = bytes == 0 ? "" : p->valbuf;
	if (bytes > p->valcap)
		p->reply.val = p->grow ? p->grow(p->grow_arg, (size_t)bytes) :
		    NULL;
	p->reply.truncated = p->reply.val == NULL;
	p->got = 0;
	p->state = MCP_ST_DATA;
	return MCP_MORE;
}

/* One complete line (CRLF stripped). MCP_DONE, MCP_MORE (a VALUE line:
 * data follows) or MCP_BAD. */
static enum mcp_result
line(struct mcp_parser *p, const char *s, size_t n)
{
	bool first = p->state == MCP_ST_LINE;
	enum mcp_reply_kind k = MCP_REPLY_NONE;

	if (is_word(s, n, "SERVER_ERROR", true))
		k = MCP_REPLY_SERVER_ERROR;
	else if (is_word(s, n, "CLIENT_ERROR", true))
		k = MCP_REPLY_CLIENT_ERROR;
	else if (is_word(s, n, "ERROR", true))
		k = MCP_REPLY_ERROR;
	if (k != MCP_REPLY_NONE) {
		/* An error in place of the reply, or after a value. */
		p->reply.kind = k;
		return MCP_DONE;
	}
	switch (p->req) {
	case MCP_REQ_GET:
		if (is_word(s, n, "END", false)) {
			p->reply.kind = first ? MCP_REPLY_MISS :
			    MCP_REPLY_VALUE;
			return MCP_DONE;
		}
		if (n > 6 && memcmp(s, "VALUE ", 6) == 0) {
			if (!first)
				return bad(p, "a second VALUE for one key");
			return value_line(p, s + 6, n - 6);
		}
		break;
	case MCP_REQ_SET:
		if (is_word(s, n, "STORED", false))
			k = MCP_REPLY_STORED;
		else if (is_word(s, n, "NOT_STORED", false))
			k = MCP_REPLY_NOT_STORED;
		else if (is_word(s, n, "EXISTS", false))
			k = MCP_REPLY_EXISTS;
		else if (is_word(s, n, "NOT_FOUND", false))
			k = MCP_REPLY_NOT_FOUND;
		break;
	case MCP_REQ_DELETE:
		if (is_word(s, n, "DELETED", false))
			k = MCP_REPLY_DELETED;
		else if (is_word(s, n, "NOT_FOUND", false))
			k = MCP_REPLY_NOT_FOUND;
		break;
	}
	if (k == MCP_REPLY_NONE)
		return bad(p, "unexpected reply line");
	p->reply.kind = k;
	return MCP_DONE;
}

/* Reads a line from in[0..len): whole in the input when it can (no copy),
 * else gathered in p->line. *used: bytes taken. MCP_MORE without a line
 * yet when the input ran out. */
static enum mcp_result
take_line(struct mcp_parser *p, const char *in, size_t len, size_t *used,
    const char **ls, size_t *ln)
{
	const char *nl = memchr(in, '\n', len);
	size_t take = nl ? (size_t)(nl - in) + 1 : len;

	*ls = NULL;
	if (p->linelen == 0 && nl) {
		*used = take;
		*ls = in;
		*ln = take;
	} else {
		if (p->linelen + take > MCP_LINE_MAX)
			return bad(p, "reply line too long");
		memcpy(p->line + p->linelen, in, take);
		p->linelen += take;
		*used = take;
		if (nl == NULL)
			return MCP_MORE;
		*ls = p->line;
		*ln = p->linelen;
		p->linelen = 0;
	}
	if (*ln > MCP_LINE_MAX)
		return bad(p, "reply line too long");
	if (*ln < 2 || (*ls)[*ln - 2] != '\r')
		return bad(p, "reply line not ended by CRLF");
	*ln -= 2;
	return MCP_MORE;
}

enum mcp_result
mcp_parse(struct mcp_parser *p, const char *in, size_t len, size_t *consumed)
{
	size_t pos = 0;

	*consumed = 0;
	while (pos < len) {
		size_t used = 0, n;
		const char *ls;
		enum mcp_result r;

		switch (p->state) {
		case MCP_ST_BAD:
			return MCP_BAD;
		case MCP_ST_LINE:
		case MCP_ST_AFTER_VALUE:
			r = take_line(p, in + pos, len - pos, &used, &ls, &n);
			pos += used;
			*consumed = pos;
			if (r == MCP_BAD)
				return r;
			if (ls == NULL)
				return MCP_MORE;
			r = line(p, ls, n);
			if (r != MCP_MORE)
				return r;
			break;
		case MCP_ST_DATA:
			n = p->reply.len - p->got;
			if (n > len - pos)
				n = len - pos;
			if (!p->reply.truncated)
				memcpy((char *)p->reply.val + p->got, in + pos,
				    n);
			p->got += n;
			pos += n;
			*consumed = pos;
			if (p->got == p->reply.len)
				p->state = MCP_ST_DATA_CR;
			break;
		case MCP_ST_DATA_CR:
			if (in[pos++] != '\r')
				return bad(p, "value not followed by CRLF");
			*consumed = pos;
			p->state = MCP_ST_DATA_LF;
			break;
		case MCP_ST_DATA_LF:
			if (in[pos++] != '\n')
				return bad(p, "value not followed by CRLF");
			*consumed = pos;
			p->state = MCP_ST_AFTER_VALUE;
			break;
		}
	}
	return p->state == MCP_ST_BAD ? MCP_BAD : MCP_MORE;
}

static bool
key_ok(const char *key, size_t klen)
{
	if (klen == 0 || klen > MCP_KEY_MAX)
		return false;
	for (size_t i = 0; i < klen; i++)
		if ((unsigned char)key[i] <= ' ' || key[i] == 0x7f)
			return false;
	return true;
}

/* word + key + tail, or 0. */
static size_t
put3(char *buf, size_t cap, const char *word, size_t wl, const char *key,
    size_t klen, const char *tail, size_t tl)
{
	if (!key_ok(key, klen) || wl + klen + tl > cap)
		return 0;
	memcpy(buf, word, wl);
	memcpy(buf + wl, key, klen);
	memcpy(buf + wl + klen, tail, tl);
	return wl + klen + tl;
}

size_t
mcp_format_get(char *buf, size_t cap, const char *key, size_t klen)
{
	return put3(buf, cap, "get ", 4, key, klen, "\r\n", 2);
}

size_t
mcp_format_delete(char *buf, size_t cap, const char *key, size_t klen)
{
	return put3(buf, cap, "delete ", 7, key, klen, "\r\n", 2);
}

size_t
mcp_format_set(char *buf, size_t cap, const char *key, size_t klen,
    uint32_t flags, uint32_t exptime, size_t bytes)
{
	char tail[64];
	int tl = snprintf(tail, sizeof(tail), " %u %u %zu\r\n", flags, exptime,
	    bytes);

	if (tl < 0 || (size_t)tl >= sizeof(tail))
		return 0;
	return put3(buf, cap, "set ", 4, key, klen, tail, (size_t)tl);
}
