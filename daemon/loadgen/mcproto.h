/* The memcached text protocol, client side: request formatting and an
 * incremental, bounded reply parser. No I/O here: the engine feeds the
 * bytes it read, in pieces of any size, and gets one reply at a time, the
 * way memcached keeps parsing apart from execution.
 *
 * Replies handled: VALUE <key> <flags> <bytes> [<cas>] / data / END for a
 * get (one key asked, so at most one VALUE), STORED, NOT_STORED, EXISTS,
 * NOT_FOUND, DELETED, and SERVER_ERROR, CLIENT_ERROR, ERROR for any
 * request. Anything else, a line longer than MCP_LINE_MAX, a value length
 * beyond MCP_VALUE_MAX, or data not followed by CRLF is a protocol error:
 * the connection is out of step and must be closed. */
#ifndef RELIABD_LOADGEN_MCPROTO_H
#define RELIABD_LOADGEN_MCPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCP_KEY_MAX 250           /* memcached's own limit */
#define MCP_LINE_MAX 512          /* a VALUE line with a 250-byte key fits */
#define MCP_VALUE_MAX (1u << 30)  /* memcached's largest item (-I 1024m) */
/* The longest request line: "delete " key "\r\n", or a set header. */
#define MCP_REQ_MAX (MCP_KEY_MAX + 64)

enum mcp_request {
	MCP_REQ_GET,
	MCP_REQ_SET,
	MCP_REQ_DELETE,
};
const char *mcp_request_text(enum mcp_request r);

enum mcp_reply_kind {
	MCP_REPLY_NONE,
	MCP_REPLY_VALUE,        /* get: a value (then END) */
	MCP_REPLY_MISS,         /* get: END with no value */
	MCP_REPLY_STORED,
	MCP_REPLY_NOT_STORED,
	MCP_REPLY_EXISTS,
	MCP_REPLY_NOT_FOUND,
	MCP_REPLY_DELETED,
	MCP_REPLY_SERVER_ERROR,
	MCP_REPLY_CLIENT_ERROR,
	MCP_REPLY_ERROR,
};
const char *mcp_reply_kind_text(enum mcp_reply_kind k);

enum mcp_result {
	MCP_MORE,       /* every byte consumed; the reply is not complete */
	MCP_DONE,       /* a reply is complete (*consumed tells how far) */
	MCP_BAD,        /* protocol error; the parser stays in this state */
};

enum mcp_state {
	MCP_ST_LINE,        /* reading a reply line */
	MCP_ST_DATA,        /* reading a value's bytes */
	MCP_ST_DATA_CR,     /* the CR after the data */
	MCP_ST_DATA_LF,     /* the LF after it */
	MCP_ST_AFTER_VALUE, /* reading the line after a value: END */
	MCP_ST_BAD,
};
const char *mcp_state_text(enum mcp_state s);

struct mcp_reply {
	enum mcp_reply_kind kind;
	/* MCP_REPLY_VALUE: the key as the server named it, the flags, the
	 * value (len bytes at val), or, when no buffer could hold it, only
	 * its length, its bytes skipped (truncated). */
	char key[MCP_KEY_MAX + 1];
	size_t keylen;
	uint32_t flags;
	const char *val;
	size_t len;
	bool truncated;
	/* Why MCP_BAD, for a log line. */
	const char *error;
};

/* Asked for a buffer of `len` bytes when a value does not fit the one
 * given; NULL: skip the value. */
typedef char *(*mcp_grow_fn)(void *arg, size_t len);

struct mcp_parser {
	enum mcp_state state;
	enum mcp_request req;
	char *valbuf;           /* where a value's bytes go */
	size_t valcap;
	mcp_grow_fn grow;
	void *grow_arg;
	size_t got;             /* value bytes seen */
	size_t linelen;
	char line[MCP_LINE_MAX];
	struct mcp_reply reply;
};

/* Once, before anything else. */
void mcp_parser_init(struct mcp_parser *p);
/* Ready for the reply to `req`; a value goes to valbuf (valcap bytes); a
 * longer one to what grow gives (if set), else it is skipped and marked
 * truncated. */
void mcp_parser_start(struct mcp_parser *p, enum mcp_request req,
    char *valbuf, size_t valcap);
/* Set once: kept across mcp_parser_start. */
void mcp_parser_set_grow(struct mcp_parser *p, mcp_grow_fn grow, void *arg);
/* Feeds `len` bytes. MCP_DONE: p->reply holds the reply and *consumed how
 * many bytes it took (the rest belongs to the next reply). MCP_MORE: all
 * consumed. MCP_BAD: p->reply.error says why. */
enum mcp_result mcp_parse(struct mcp_parser *p, const char *in, size_t len,
    size_t *consumed);

/* Request lines. Each returns the length written (no NUL counted), or 0
 * if it would not fit in cap or the key is empty, too long or holds a
 * space or control character. A set is its header, then the value, then
 * "\r\n". */
size_t mcp_format_get(char *buf, size_t cap, const char *key, size_t klen);
size_t mcp_format_delete(char *buf, size_t cap, const char *key, size_t klen);
size_t mcp_format_set(char *buf, size_t cap, const char *key, size_t klen,
    uint32_t flags, uint32_t exptime, size_t bytes);

#endif
