/* The control protocol: newline-delimited JSON over a Unix stream socket.
 *
 *   request  {"id":7,"cmd":"start-scenario","args":{...}}
 *   reply    {"id":7,"ok":true,"result":{...}}
 *            {"id":7,"ok":false,"error":{"code":"unknown-scenario","message":"..."}}
 *   event    {"event":"phase",...}            (after "watch")
 *
 * Parsing is apart from execution: this codec only turns lines into
 * validated structs and back. */
#ifndef RELIABD_PROTO_H
#define RELIABD_PROTO_H

#include <jansson.h>
#include <stddef.h>

#define PROTO_VERSION 1
#define PROTO_LINE_MAX (64 * 1024)
#define PROTO_CMD_MAX 32
#define PROTO_MSG_MAX 512
/* jansson has no depth limit of its own; a request is shallow. */
#define PROTO_DEPTH_MAX 8

/* Stable error codes: scripts match on these strings. */
enum proto_err {
	PROTO_OK = 0,
	PROTO_E_BAD_JSON,        /* "bad-json" */
	PROTO_E_LINE_TOO_LONG,   /* "line-too-long" */
	PROTO_E_BAD_REQUEST,     /* "bad-request": not a request object */
	PROTO_E_UNKNOWN_COMMAND, /* "unknown-command" */
	PROTO_E_BAD_ARGUMENTS,   /* "bad-arguments" */
	PROTO_E_UNKNOWN_SCENARIO,/* "unknown-scenario" */
	PROTO_E_NOT_FOUND,       /* "not-found" */
	PROTO_E_BUSY,            /* "busy" */
	PROTO_E_UNAVAILABLE,     /* "unavailable": the worker is not running */
	PROTO_E_TIMEOUT,         /* "timeout" */
	PROTO_E_BAD_CONFIG,      /* "bad-config" */
	PROTO_E_INTERNAL,        /* "internal" */
	PROTO_E__COUNT
};
const char *proto_err_code(enum proto_err err);
/* The enum for a code string; PROTO_E_INTERNAL when unknown. */
enum proto_err proto_err_from_code(const char *code);

struct proto_request {
	json_int_t id;       /* 0 when the client sent none */
	char cmd[PROTO_CMD_MAX];
	json_t *args;        /* always an object (empty if absent); owned */
};

/* Decodes one line (without its newline). On error returns the error
 * and, when the id could be read, sets req->id so the reply can carry
 * it; the message says what was wrong. */
enum proto_err proto_decode_request(const char *line, size_t len,
    struct proto_request *req, char *msg, size_t msglen);
void proto_request_clear(struct proto_request *req);

/* Replies (new references). `result` is stolen; NULL means {}. */
json_t *proto_reply_ok(json_int_t id, json_t *result);
json_t *proto_reply_error(json_int_t id, enum proto_err err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
json_t *proto_request_new(json_int_t id, const char *cmd, json_t *args);

/* One compact line with its "\n" (malloc'd); NULL on no memory or when
 * longer than PROTO_LINE_MAX. */
char *proto_encode(const json_t *msg, size_t *len);

/* A decoded reply or event, as reliabctl reads them. */
enum proto_msg_kind {
	PROTO_MSG_REPLY,
	PROTO_MSG_EVENT,
	PROTO_MSG_REQUEST,
};
const char *proto_msg_kind_text(enum proto_msg_kind kind);

struct proto_msg {
	enum proto_msg_kind kind;
	json_int_t id;
	int ok;
	json_t *result;              /* reply ok: owned */
	enum proto_err err;          /* reply error */
	char code[PROTO_CMD_MAX];
	char message[PROTO_MSG_MAX];
	json_t *root;                /* whole message; owned */
};
enum proto_err proto_decode_msg(const char *line, size_t len,
    struct proto_msg *msg, char *errmsg, size_t errlen);
void proto_msg_clear(struct proto_msg *msg);

/* Argument helpers: each returns 0, or -1 with a message naming the
 * argument. Absent optional arguments leave *out unchanged. */
int proto_arg_string(const json_t *args, const char *key, int required,
    const char **out, char *msg, size_t msglen);
int proto_arg_int(const json_t *args, const char *key, int required,
    json_int_t min, json_int_t max, json_int_t *out, char *msg,
    size_t msglen);
int proto_arg_bool(const json_t *args, const char *key, int *out, char *msg,
    size_t msglen);
/* Rejects keys not in the NULL-terminated list. */
int proto_args_only(const json_t *args, const char *const *allowed, char *msg,
    size_t msglen);

#endif
