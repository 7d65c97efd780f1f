/* The loadgen sampler thread. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "scrape_url.h"
#include "log.h"
#include "http.h"
#include "sampler.h"
#include "util.h"

#define SAMPLER_BODY_MAX PROM_INPUT_MAX

struct sampler {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int active, stop;
	int efd;
	char url[400];            /* "": the address is not known yet */
	unsigned url_gen;         /* bumped on each sampler_set_addr */
	struct lg_sample queue[SAMPLER_QUEUE];
	size_t head, count;
	uint64_t next;            /* the next scrape, monotonic ms */
	double open_timeout_ms;   /* -1 unknown */
	unsigned long failures;
	struct http_body body;
};

static int
scrape(struct sampler *s, CURL *c, const char *url, struct lg_sample *out)
{
	CURLcode rc;
	long status = 0;
	uint64_t t0 = now_mono_ms();
	double w0 = now_wall();

	http_body_reset(&s->body);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		log_debug("%s: %s", url, s->body.overflow ? "body too large" :
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		log_debug("%s: HTTP %ld", url, status);
		return -1;
	}
	/* The body was made somewhere between the request and the reply:
	 * the middle, so a slow reply does not skew a rate window. */
	out->mono_ms = t0 + (now_mono_ms() - t0) / 2;
	out->wall = w0 + (now_wall() - w0) / 2;
	if (sample_from_text(s->body.p, s->body.n, out) != 0) {
		log_debug("%s: no memcache_operations_total", url);
		return -1;
	}
	return 0;
}

static void *
run(void *arg)
{
	struct sampler *s = arg;
	CURL *c = curl_easy_init();
	struct lg_sample *smp = malloc(sizeof *smp);
	char url[sizeof s->url] = "";
	unsigned gen = 0;

	if (!c || !smp) {
		log_error("out of memory; the loadgen is not sampled");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_USERAGENT, "reliabd-scenario");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 500L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->body);
	pthread_mutex_lock(&s->mu);
	s->next = now_mono_ms();
	while (!s->stop) {
		uint64_t now;
		struct timespec ts;
		int active = s->active;

		now = now_mono_ms();
		if (now < s->next) {
			/* The condvar uses CLOCK_MONOTONIC (see sampler_start). */
			uint64_t at_ns = now_mono_ns() +
			    (s->next - now) * 1000000;
			ts.tv_sec = (time_t)(at_ns / 1000000000);
			ts.tv_nsec = (long)(at_ns % 1000000000);
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		s->next += active ? SAMPLER_INTERVAL_MS : SAMPLER_IDLE_MS;
		if (s->next < now)
			s->next = now + (active ? SAMPLER_INTERVAL_MS :
			    SAMPLER_IDLE_MS);
		if (gen != s->url_gen || !url[0]) {
			/* The client moved (a port-0 loadgen restarted). */
			gen = s->url_gen;
			strlcpy_r(url, s->url, sizeof url);
			s->open_timeout_ms = -1;
			if (url[0])
				curl_easy_setopt(c, CURLOPT_URL, url);
		}
		pthread_mutex_unlock(&s->mu);
		int ok = url[0] && scrape(s, c, url, smp) == 0;
		pthread_mutex_lock(&s->mu);
		if (!ok) {
			if (active)
				s->failures++;
			else if (s->open_timeout_ms < 0)
				/* The loadgen is not up yet (the workers start
				 * together): try again soon, so a start-scenario
				 * right after the lab is up can already judge the
				 * recovery phase against the breaker's open time. */
				s->next = now_mono_ms() + SAMPLER_RETRY_MS;
			continue;
		}
		s->open_timeout_ms = -1;
		for (size_t i = 0; i < smp->nservers; i++)
			if (smp->servers[i].open_timeout_s * 1000.0 >
			    s->open_timeout_ms)
				s->open_timeout_ms =
				    smp->servers[i].open_timeout_s * 1000.0;
		if (!active)
			continue;
		if (s->count == SAMPLER_QUEUE) {
			/* The engine is behind: drop the oldest. */
			s->head = (s->head + 1) % SAMPLER_QUEUE;
			s->count--;
		}
		s->queue[(s->head + s->count) % SAMPLER_QUEUE] = *smp;
		s->count++;
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof one) < 0 && errno != EAGAIN)
			log_warn("eventfd: %s", strerror(errno));
	}
	pthread_mutex_unlock(&s->mu);
out:
	free(smp);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

/* The /metrics URL of `addr` into url ("" for port 0: not known yet). */
static int
addr_url(const char *addr, char *url, size_t len, char *err, size_t errlen)
{
	struct scrape_url u;
	char uerr[160];

	if (scrape_url_parse(addr, &u, uerr, sizeof uerr) != 0) {
		snprintf(err, errlen, "%s: %s", addr, uerr);
		return -1;
	}
	url[0] = '\0';
	if (u.hp.port == 0)
		return 0;
	scrape_url_format(&u, url, len);
	return 0;
}

struct sampler *
sampler_start(const char *addr, char *err, size_t errlen)
{
	struct sampler *s;
	pthread_condattr_t ca;
	char url[sizeof s->url];

	if (addr_url(addr, url, sizeof url, err, errlen) != 0)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (http_body_init(&s->body, SAMPLER_BODY_MAX) != 0) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	strlcpy_r(s->url, url, sizeof s->url);
	s->open_timeout_ms = -1;
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		http_body_free(&s->body);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		snprintf(err, errlen, "pthread_create failed");
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		close(s->efd);
		http_body_free(&s->body);
		free(s);
		return NULL;
	}
	return s;
}

void
sampler_stop(struct sampler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	close(s->efd);
	http_body_free(&s->body);
	free(s);
}

int
sampler_fd(const struct sampler *s)
{
	return s->efd;
}

void
sampler_set_active(struct sampler *s, int active)
{
	pthread_mutex_lock(&s->mu);
	if (s->active != active) {
		s->active = active;
		/* A run begins: its first sample now, not at the idle pace. */
		if (active)
			s->next = now_mono_ms();
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

int
sampler_set_addr(struct sampler *s, const char *addr)
{
	char url[sizeof s->url], err[200];

	if (addr_url(addr, url, sizeof url, err, sizeof err) != 0) {
		log_warn("%s", err);
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	if (strcmp(url, s->url) != 0) {
		strlcpy_r(s->url, url, sizeof s->url);
		s->url_gen++;
		s->next = now_mono_ms();
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t
sampler_drain(struct sampler *s, struct lg_sample *out, size_t cap)
{
	size_t n = 0;
	uint64_t v;

	if (read(s->efd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->mu);
	while (s->count && n < cap) {
		out[n++] = s->queue[s->head];
		s->head = (s->head + 1) % SAMPLER_QUEUE;
		s->count--;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

double
sampler_open_timeout_ms(struct sampler *s)
{
	double v;

	pthread_mutex_lock(&s->mu);
	v = s->open_timeout_ms;
	pthread_mutex_unlock(&s->mu);
	return v;
}

unsigned long
sampler_failures(struct sampler *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->mu);
	n = s->failures;
	pthread_mutex_unlock(&s->mu);
	return n;
}
