/* Where a client's /metrics is: "HOST:PORT" (path /metrics, as every
 * worker of ours serves it) or "http://HOST:PORT/PATH" (an external
 * client on this or another host). One parser for the config, the
 * scenario worker's client list and reliabctl check-client. */
#ifndef RELIABD_SCRAPE_URL_H
#define RELIABD_SCRAPE_URL_H

#include <stddef.h>

#include "addr.h"

/* Longest text accepted, with the NUL. */
#define SCRAPE_URL_MAX 256
#define SCRAPE_PATH_MAX 128

struct scrape_url {
	struct hostport hp;          /* port 0 only in the HOST:PORT form */
	char path[SCRAPE_PATH_MAX];  /* starts with '/' */
};

/* 0, or -1 with a message; no name lookup. */
int scrape_url_parse(const char *s, struct scrape_url *out, char *err,
    size_t errlen);
/* "http://HOST:PORT/PATH"; returns what snprintf returns. */
int scrape_url_format(const struct scrape_url *u, char *out, size_t size);

#endif
