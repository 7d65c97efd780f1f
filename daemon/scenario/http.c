/* Bounded reply bodies and close-on-exec sockets for libcurl. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
http_body_init(struct http_body *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->p = malloc(max + 1);
	if (b->p == NULL)
		return -1;
	b->p[0] = '\0';
	return 0;
}

void
http_body_reset(struct http_body *b)
{
	b->n = 0;
	b->overflow = 0;
	b->p[0] = '\0';
}

void
http_body_free(struct http_body *b)
{
	free(b->p);
	b->p = NULL;
}

size_t
http_body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_body *b = arg;
	size_t n = size * nmemb;

	if (n > b->max - b->n) {
		b->overflow = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(b->p + b->n, ptr, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

curl_socket_t
http_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}
