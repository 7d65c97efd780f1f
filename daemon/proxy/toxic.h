/* Toxics as the Toxiproxy API names them: types, streams, attributes, and
 * their JSON shape. Pure data: no I/O, so the API parser, the engine and
 * the tests share it. */
#ifndef RELIABD_PROXY_TOXIC_H
#define RELIABD_PROXY_TOXIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Names of proxies and toxics: 1..TOXIC_NAME_MAX printable ASCII bytes,
 * no '/' (they are path segments of the API). */
#define TOXIC_NAME_MAX 128
/* Largest time attribute (ms), and largest size attribute (bytes). */
#define TOXIC_MS_MAX (30LL * 24 * 3600 * 1000)
#define TOXIC_BYTES_MAX (1LL << 50)

enum toxic_type {
	TOXIC_LATENCY,
	TOXIC_BANDWIDTH,
	TOXIC_SLOW_CLOSE,
	TOXIC_TIMEOUT,
	TOXIC_RESET_PEER,
	TOXIC_SLICER,
	TOXIC_LIMIT_DATA,
	TOXIC_LOSS,
	TOXIC_TYPE_COUNT,
};
const char *toxic_type_text(enum toxic_type type);
int toxic_type_parse(const char *s, enum toxic_type *out);

/* upstream = client to server, downstream = server to client. */
enum toxic_stream {
	STREAM_UPSTREAM,
	STREAM_DOWNSTREAM,
	STREAM_COUNT,
};
const char *toxic_stream_text(enum toxic_stream s);
int toxic_stream_parse(const char *s, enum toxic_stream *out);

/* Every attribute of every type; a type uses its own (see toxic.c). */
struct toxic_attrs {
	int64_t latency;        /* latency: ms */
	int64_t jitter;         /* latency: ms */
	int64_t rate;           /* bandwidth: KB/s (1000 bytes) */
	int64_t delay;          /* slow_close: ms; slicer: us */
	int64_t timeout;        /* timeout, reset_peer: ms */
	int64_t average_size;   /* slicer: bytes */
	int64_t size_variation; /* slicer: bytes */
	int64_t bytes;          /* limit_data */
	double loss_rate;       /* loss: 0..1 (JSON "rate") */
};

struct toxic_spec {
	char name[TOXIC_NAME_MAX + 1];
	enum toxic_type type;
	enum toxic_stream stream;
	double toxicity; /* 0..1: chance a connection is affected */
	struct toxic_attrs a;
};

/* An API error: the HTTP status and Toxiproxy's message. */
struct api_error {
	int status;
	char msg[256];
};
void api_error_set(struct api_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool toxic_name_valid(const char *s);

/* Applies the "attributes" object to spec->a for spec->type: known keys
 * are checked (integers >= 0 within bounds; loss rate 0..1), unknown
 * keys ignored as Toxiproxy does. 0, or -1 with err (400). */
int toxic_attrs_apply(struct toxic_spec *spec, json_t *attrs,
    struct api_error *err);

/* {"name","type","stream","toxicity","attributes":{...}}; new ref. */
json_t *toxic_to_json(const struct toxic_spec *spec);

#endif
