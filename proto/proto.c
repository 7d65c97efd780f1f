/* The control protocol codec: JSON lines to validated structs and back. */
#include "proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_codes[PROTO_E__COUNT] = {
	[PROTO_OK] = "ok",
	[PROTO_E_BAD_JSON] = "bad-json",
	[PROTO_E_LINE_TOO_LONG] = "line-too-long",
	[PROTO_E_BAD_REQUEST] = "bad-request",
	[PROTO_E_UNKNOWN_COMMAND] = "unknown-command",
	[PROTO_E_BAD_ARGUMENTS] = "bad-arguments",
	[PROTO_E_UNKNOWN_SCENARIO] = "unknown-scenario",
	[PROTO_E_NOT_FOUND] = "not-found",
	[PROTO_E_BUSY] = "busy",
	[PROTO_E_UNAVAILABLE] = "unavailable",
	[PROTO_E_TIMEOUT] = "timeout",
	[PROTO_E_BAD_CONFIG] = "bad-config",
	[PROTO_E_INTERNAL] = "internal",
};

const char *
proto_err_code(enum proto_err err)
{
	if ((unsigned)err >= PROTO_E__COUNT)
		return "internal";
	return err_codes[err];
}

enum proto_err
proto_err_from_code(const char *code)
{
	for (int i = 0; i < PROTO_E__COUNT; i++)
		if (strcmp(err_codes[i], code) == 0)
			return (enum proto_err)i;
	return PROTO_E_INTERNAL;
}

const char *
proto_msg_kind_text(enum proto_msg_kind kind)
{
	switch (kind) {
	case PROTO_MSG_REPLY:
		return "reply";
	case PROTO_MSG_EVENT:
		return "event";
	case PROTO_MSG_REQUEST:
		return "request";
	}
	return "unknown";
}

static void
msgf(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
msgf(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

/* Nesting depth, bounded: deeper than PROTO_DEPTH_MAX is refused. */
static int
json_depth_ok(const json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > PROTO_DEPTH_MAX)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v)
			if (!json_depth_ok(v, depth + 1))
				return 0;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!json_depth_ok(v, depth + 1))
				return 0;
	}
	return 1;
}

/* Parses one line into an object, with the common checks. */
static enum proto_err
parse_object(const char *line, size_t len, json_t **out, char *msg,
    size_t msglen)
{
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	if (len > PROTO_LINE_MAX) {
		msgf(msg, msglen, "line longer than %d bytes", PROTO_LINE_MAX);
		return PROTO_E_LINE_TOO_LONG;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		msgf(msg, msglen, "invalid JSON at column %d: %s", jerr.column,
		    jerr.text);
		return PROTO_E_BAD_JSON;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		msgf(msg, msglen, "expected a JSON object");
		return PROTO_E_BAD_REQUEST;
	}
	if (!json_depth_ok(root, 0)) {
		json_decref(root);
		msgf(msg, msglen, "JSON nested deeper than %d levels",
		    PROTO_DEPTH_MAX);
		return PROTO_E_BAD_REQUEST;
	}
	*out = root;
	return PROTO_OK;
}

static int
read_id(const json_t *root, json_int_t *id, char *msg, size_t msglen)
{
	const json_t *jid = json_object_get(root, "id");

	*id = 0;
	if (jid == NULL)
		return 0;
	if (!json_is_integer(jid) || json_integer_value(jid) < 0) {
		msgf(msg, msglen, "\"id\" must be a non-negative integer");
		return -1;
	}
	*id = json_integer_value(jid);
	return 0;
}

static int
cmd_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PROTO_CMD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' ||
			(s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

enum proto_err
proto_decode_request(const char *line, size_t len, struct proto_request *req,
    char *msg, size_t msglen)
{
	enum proto_err err;
	json_t *root, *jcmd, *args;
	const char *key;
	json_t *v;

	memset(req, 0, sizeof(*req));
	err = parse_object(line, len, &root, msg, msglen);
	if (err != PROTO_OK)
		return err;
	if (read_id(root, &req->id, msg, msglen) < 0) {
		json_decref(root);
		return PROTO_E_BAD_REQUEST;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "id") && strcmp(key, "cmd") &&
		    strcmp(key, "args")) {
			msgf(msg, msglen, "unexpected member \"%.64s\"", key);
			json_decref(root);
			return PROTO_E_BAD_REQUEST;
		}
	}
	jcmd = json_object_get(root, "cmd");
	if (!json_is_string(jcmd)) {
		msgf(msg, msglen, "\"cmd\" must be a string");
		json_decref(root);
		return PROTO_E_BAD_REQUEST;
	}
	if (!cmd_name_ok(json_string_value(jcmd))) {
		msgf(msg, msglen, "\"cmd\" is not a command name");
		json_decref(root);
		return PROTO_E_UNKNOWN_COMMAND;
	}
	strcpy(req->cmd, json_string_value(jcmd));
	args = json_object_get(root, "args");
	if (args == NULL) {
		args = json_object();
	} else if (!json_is_object(args)) {
		msgf(msg, msglen, "\"args\" must be an object");
		json_decref(root);
		return PROTO_E_BAD_ARGUMENTS;
	} else {
		json_incref(args);
	}
	json_decref(root);
	if (args == NULL) {
		msgf(msg, msglen, "out of memory");
		return PROTO_E_INTERNAL;
	}
	req->args = args;
	return PROTO_OK;
}

void
proto_request_clear(struct proto_request *req)
{
	json_decref(req->args);
	memset(req, 0, sizeof(*req));
}

json_t *
proto_reply_ok(json_int_t id, json_t *result)
{
	if (result == NULL)
		result = json_object();
	return json_pack("{s:I, s:b, s:o}", "id", id, "ok", 1, "result",
	    result);
}

json_t *
proto_reply_error(json_int_t id, enum proto_err err, const char *fmt, ...)
{
	char text[PROTO_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return json_pack("{s:I, s:b, s:{s:s, s:s}}", "id", id, "ok", 0,
	    "error", "code", proto_err_code(err), "message", text);
}

json_t *
proto_request_new(json_int_t id, const char *cmd, json_t *args)
{
	if (args == NULL)
		args = json_object();
	return json_pack("{s:I, s:s, s:o}", "id", id, "cmd", cmd, "args",
	    args);
}

char *
proto_encode(const json_t *msg, size_t *len)
{
	char *s;
	size_t n;

	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > PROTO_LINE_MAX) {
		free(s);
		return NULL;
	}
	/* json_dumps's buffer is exactly n+1: make room for the newline. */
	{
		char *t = realloc(s, n + 2);

		if (t == NULL) {
			free(s);
			return NULL;
		}
		s = t;
	}
	s[n] = '\n';
	s[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return s;
}

enum proto_err
proto_decode_msg(const char *line, size_t len, struct proto_msg *m,
    char *errmsg, size_t errlen)
{
	enum proto_err err;
	json_t *root, *j;

	memset(m, 0, sizeof(*m));
	err = parse_object(line, len, &root, errmsg, errlen);
	if (err != PROTO_OK)
		return err;
	m->root = root;
	if (json_object_get(root, "event") != NULL) {
		if (!json_is_string(json_object_get(root, "event")))
			goto bad;
		m->kind = PROTO_MSG_EVENT;
		return PROTO_OK;
	}
	if (read_id(root, &m->id, errmsg, errlen) < 0)
		goto bad;
	if (json_object_get(root, "cmd") != NULL) {
		m->kind = PROTO_MSG_REQUEST;
		return PROTO_OK;
	}
	m->kind = PROTO_MSG_REPLY;
	j = json_object_get(root, "ok");
	if (!json_is_boolean(j))
		goto bad;
	m->ok = json_is_true(j);
	if (m->ok) {
		m->result = json_object_get(root, "result");
		if (m->result == NULL)
			goto bad;
		json_incref(m->result);
		return PROTO_OK;
	}
	j = json_object_get(root, "error");
	{
		const char *code = NULL, *text = NULL;

		if (json_unpack(j, "{s:s, s?:s}", "code", &code, "message",
			&text) != 0)
			goto bad;
		snprintf(m->code, sizeof(m->code), "%s", code);
		snprintf(m->message, sizeof(m->message), "%s",
		    text ? text : "");
		m->err = proto_err_from_code(code);
	}
	return PROTO_OK;
bad:
	msgf(errmsg, errlen, "not a reply, request or event");
	proto_msg_clear(m);
	return PROTO_E_BAD_REQUEST;
}

void
proto_msg_clear(struct proto_msg *m)
{
	json_decref(m->result);
	json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

int
proto_arg_string(const json_t *args, const char *key, int required,
    const char **out, char *msg, size_t msglen)
{
	const json_t *v = json_object_get(args, key);

	if (v == NULL) {
		if (!required)
			return 0;
		msgf(msg, msglen, "missing argument \"%s\"", key);
		return -1;
	}
	if (!json_is_string(v)) {
		msgf(msg, msglen, "argument \"%s\" must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
proto_arg_int(const json_t *args, const char *key, int required,
    json_int_t min, json_int_t max, json_int_t *out, char *msg,
    size_t msglen)
{
	const json_t *v = json_object_get(args, key);

	if (v == NULL) {
		if (!required)
			return 0;
		msgf(msg, msglen, "missing argument \"%s\"", key);
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		msgf(msg, msglen,
		    "argument \"%s\" must be an integer from %lld to %lld", key,
		    (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
proto_arg_bool(const json_t *args, const char *key, int *out, char *msg,
    size_t msglen)
{
	const json_t *v = json_object_get(args, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		msgf(msg, msglen, "argument \"%s\" must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int
proto_args_only(const json_t *args, const char *const *allowed, char *msg,
    size_t msglen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)args, key, v) {
		int found = 0;

		for (size_t i = 0; allowed && allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				found = 1;
		if (!found) {
			msgf(msg, msglen, "unknown argument \"%.64s\"", key);
			return -1;
		}
	}
	return 0;
}
