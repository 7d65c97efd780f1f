/* What the two libcurl users (the Toxiproxy client and the loadgen
 * sampler) share: a bounded reply body and close-on-exec sockets. */
#ifndef RELIABD_SCENARIO_HTTP_H
#define RELIABD_SCENARIO_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

/* A reply body of at most `max` bytes, kept NUL-terminated; `p` holds
 * max + 1 bytes. A longer reply sets `overflow` and aborts the transfer. */
struct http_body {
	char *p;
	size_t n, max;
	int overflow;
};

/* 0, or -1 on no memory. */
int http_body_init(struct http_body *b, size_t max);
void http_body_reset(struct http_body *b);
void http_body_free(struct http_body *b);
/* CURLOPT_WRITEFUNCTION, with the body as CURLOPT_WRITEDATA. */
size_t http_body_write(char *ptr, size_t size, size_t nmemb, void *arg);

/* CURLOPT_OPENSOCKETFUNCTION: libcurl opens its sockets without
 * SOCK_CLOEXEC. */
curl_socket_t http_open_socket(void *arg, curlsocktype purpose,
    struct curl_sockaddr *a);

#endif
