/* A rogue memcached for the loadgen tests: a small text-protocol server
 * (get, set, delete) that answers properly in mode "good" and misbehaves
 * on purpose in the others, so a test can show what the client does with
 * each kind of bad reply.
 *
 *   mc_rogue PORT MODEFILE
 *
 * The mode is the first word of MODEFILE, read at start and again on
 * SIGHUP (the test writes the file, then signals):
 *   good       a correct server (values kept in memory)
 *   wrongkey   a get is answered with a value under another key
 *   swapped    a get is answered under its own key with another key's value
 *   corrupt    a get's value has one byte flipped
 *   short      a get's value is cut to half, framed consistently
 *   truncated  a get's reply stops inside the value; the server then
 *              closes its side
 *   absurd     a get's VALUE line claims 18446744073709551615 bytes
 *   garbage    every request is answered with a line that is no reply
 *   silent     connections are accepted and read, never answered
 * In the bad modes sets and deletes are still answered properly (except
 * garbage and silent), so the store keeps values to misuse.
 *
 * Loopback only; one thread, poll(); every buffer bounded. Prints
 * "mc_rogue: port=PORT mode=MODE" on stderr when ready and on each
 * switch, and "mc_rogue: accepted=N bad_replies=N" on SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 8192
#define LINE_MAX_BYTES 2048       /* a request line, as memcached's bound */
#define VALUE_MAX (1024 * 1024)   /* memcached's default item size */
#define OUT_MAX (8 * 1024 * 1024) /* unsent replies per connection */
#define STORE_BUCKETS 65536
#define STORE_MAX_BYTES (256u * 1024 * 1024)

enum mode {
	MODE_GOOD,
	MODE_WRONGKEY,
	MODE_SWAPPED,
	MODE_CORRUPT,
	MODE_SHORT,
	MODE_TRUNCATED,
	MODE_ABSURD,
	MODE_GARBAGE,
	MODE_SILENT,
	MODE_COUNT
};

static const char *const mode_names[MODE_COUNT] = {
	"good", "wrongkey", "swapped", "corrupt", "short", "truncated",
	"absurd", "garbage", "silent",
};

static const char *
mode_text(enum mode m)
{
	return m < MODE_COUNT ? mode_names[m] : "unknown";
}

struct item {
	struct item *next;
	char *key;
	char *val;
	size_t klen, vlen;
	unsigned flags;
};

struct conn {
	int fd;
	bool closing;     /* a truncated reply: shut once it is written */
	bool shut;        /* our side is shut; wait for the client's EOF */
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff, outcap;
};

static struct item *store[STORE_BUCKETS];
static size_t store_bytes;
static struct item *last_set; /* the newest item: "another key's value" */
static enum mode mode;
static volatile sig_atomic_t got_hup, got_term;
static unsigned long accepted, bad_replies;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static int
read_mode(const char *path)
{
	char buf[64] = { 0 };
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "mc_rogue: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	for (int i = 0; i < MODE_COUNT; i++) {
		if (strcmp(buf, mode_names[i]) == 0) {
			mode = (enum mode)i;
			return 0;
		}
	}
	fprintf(stderr, "mc_rogue: unknown mode '%s'\n", buf);
	return -1;
}

static uint32_t
hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static struct item **
find(const char *k, size_t n)
{
	struct item **p = &store[hash(k, n) % STORE_BUCKETS];

	for (; *p; p = &(*p)->next)
		if ((*p)->klen == n && memcmp((*p)->key, k, n) == 0)
			break;
	return p;
}

static void
item_free(struct item *it)
{
	if (it == last_set)
		last_set = NULL;
	store_bytes -= it->klen + it->vlen;
	free(it->key);
	free(it->val);
	free(it);
}

static bool
store_set(const char *k, size_t kl, unsigned flags, const char *v, size_t vl)
{
	struct item **p = find(k, kl), *it;

	if (*p) {
		it = *p;
		*p = it->next;
		item_free(it);
	}
	if (store_bytes + kl + vl > STORE_MAX_BYTES)
		return false;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return false;
	it->key = malloc(kl);
	it->val = malloc(vl ? vl : 1);
	if (!it->key || !it->val) {
		free(it->key);
		free(it->val);
		free(it);
		return false;
	}
	memcpy(it->key, k, kl);
	memcpy(it->val, v, vl);
	it->klen = kl, it->vlen = vl, it->flags = flags;
	it->next = store[hash(k, kl) % STORE_BUCKETS];
	store[hash(k, kl) % STORE_BUCKETS] = it;
	store_bytes += kl + vl;
	last_set = it;
	return true;
}

static bool
store_delete(const char *k, size_t kl)
{
	struct item **p = find(k, kl), *it = *p;

	if (it == NULL)
		return false;
	*p = it->next;
	item_free(it);
	return true;
}

/* Appends to the connection's output; false (and the connection is to be
 * dropped) past OUT_MAX or without memory. */
static bool
out_put(struct conn *c, const void *p, size_t n)
{
	if (c->outlen + n > OUT_MAX)
		return false;
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		char *q;
		while (cap < c->outlen + n)
			cap *= 2;
		q = realloc(c->out, cap);
		if (q == NULL)
			return false;
		c->out = q, c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return true;
}

static bool
out_str(struct conn *c, const char *s)
{
	return out_put(c, s, strlen(s));
}

static bool
out_value(struct conn *c, const char *k, size_t kl, unsigned flags,
    const char *v, size_t vl)
{
	char head[64];

	snprintf(head, sizeof(head), " %u %zu\r\n", flags, vl);
	return out_str(c, "VALUE ") && out_put(c, k, kl) &&
	    out_str(c, head) && out_put(c, v, vl) && out_str(c, "\r\n");
}

/* A value that never came from a set: decodes as nothing valid. */
static const char junk[] = "0123456789abcdef";

/* One key of a get; returns false to stop the reply here (the mode has
 * already broken it) or on an output error (*err). */
static bool
answer_key(struct conn *c, const char *k, size_t kl, bool first, bool *err)
{
	struct item *it = *find(k, kl), *other = last_set;
	bool ok = true;

	if (other && other->klen == kl && memcmp(other->key, k, kl) == 0)
		other = NULL; /* "another key" must be another */
	if (!first || mode == MODE_GOOD) {
		if (it)
			ok = out_value(c, k, kl, it->flags, it->val, it->vlen);
		*err = !ok;
		return ok;
	}
	bad_replies++;
	switch (mode) {
	case MODE_WRONGKEY:
		if (other)
			ok = out_value(c, other->key, other->klen,
			    other->flags, other->val, other->vlen);
		else
			ok = out_value(c, "rogue:other", 11, 0, junk, 16);
		break;
	case MODE_SWAPPED:
		if (other)
			ok = out_value(c, k, kl, other->flags, other->val,
			    other->vlen);
		else
			ok = out_value(c, k, kl, 0, junk, 16);
		break;
	case MODE_CORRUPT:
		if (it && it->vlen > 0) {
			it->val[it->vlen / 2] ^= 0x20;
			ok = out_value(c, k, kl, it->flags, it->val, it->vlen);
			it->val[it->vlen / 2] ^= 0x20;
		} else {
			ok = out_value(c, k, kl, 0, junk, 16);
		}
		break;
	case MODE_SHORT:
		if (it && it->vlen > 1)
			ok = out_value(c, k, kl, it->flags, it->val,
			    it->vlen / 2);
		else
			ok = out_value(c, k, kl, 0, junk, 8);
		break;
	case MODE_TRUNCATED: {
		char head[64];
		snprintf(head, sizeof(head), " 0 %zu\r\n",
		    it ? it->vlen : (size_t)100);
		ok = out_str(c, "VALUE ") && out_put(c, k, kl) &&
		    out_str(c, head) &&
		    out_put(c, it ? it->val : junk,
			it ? it->vlen / 2 : 8);
		c->closing = true; /* shut after this write */
		*err = !ok;
		return false;
	}
	case MODE_ABSURD:
		ok = out_str(c, "VALUE ") && out_put(c, k, kl) &&
		    out_str(c, " 0 18446744073709551615\r\n");
		*err = !ok;
		return false;
	default:
		break;
	}
	*err = !ok;
	return ok;
}

/* Splits a request line into words (at most 8); returns the count. */
static int
split(char *line, char *w[8], size_t wl[8])
{
	int n = 0;
	char *p = line;

	while (*p && n < 8) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w[n] = p;
		while (*p && *p != ' ')
			p++;
		wl[n] = (size_t)(p - w[n]);
		n++;
	}
	return n;
}

static bool
parse_num(const char *s, size_t n, unsigned long long max,
    unsigned long long *v)
{
	unsigned long long x = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (unsigned)(s[i] - '0');
		if (x > max)
			return false;
	}
	*v = x;
	return true;
}

/* Handles every complete request in c->in; false drops the connection. */
static bool
serve(struct conn *c)
{
	size_t off = 0;
	bool ok = true;

	if (c->inlen == 0)
		return true;
	while (ok && !c->closing) {
		char *nl = memchr(c->in + off, '\n', c->inlen - off);
		char line[LINE_MAX_BYTES + 1], *w[8];
		size_t wl[8], len;
		int nw;

		if (nl == NULL) {
			if (c->inlen - off > LINE_MAX_BYTES)
				return false;
			break;
		}
		len = (size_t)(nl - (c->in + off));
		if (len > LINE_MAX_BYTES)
			return false;
		memcpy(line, c->in + off, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		nw = split(line, w, wl);
		if (nw >= 5 && wl[0] == 3 && memcmp(w[0], "set", 3) == 0) {
			unsigned long long flags, exptime, bytes;
			bool noreply = nw >= 6 && wl[5] == 7 &&
			    memcmp(w[5], "noreply", 7) == 0;
			if (!parse_num(w[2], wl[2], UINT32_MAX, &flags) ||
			    !parse_num(w[3], wl[3], UINT32_MAX, &exptime) ||
			    !parse_num(w[4], wl[4], VALUE_MAX, &bytes))
				return false;
			/* The data block and its \r\n must all be here. */
			if (c->inlen - off - len - 1 < bytes + 2)
				break;
			const char *data = nl + 1;
			off += len + 1 + bytes + 2;
			if (mode == MODE_SILENT)
				continue;
			if (mode == MODE_GARBAGE) {
				bad_replies++;
				ok = out_str(c, "GARBAGE \x7f\x01 not a reply\r\n");
				continue;
			}
			bool stored = store_set(w[1], wl[1], (unsigned)flags,
			    data, bytes);
			if (!noreply)
				ok = out_str(c, stored ? "STORED\r\n" :
				    "SERVER_ERROR out of memory\r\n");
			continue;
		}
		off += len + 1;
		if (mode == MODE_SILENT)
			continue;
		if (mode == MODE_GARBAGE && nw > 0) {
			bad_replies++;
			ok = out_str(c, "GARBAGE \x7f\x01 not a reply\r\n");
			continue;
		}
		if (nw >= 2 && ((wl[0] == 3 && memcmp(w[0], "get", 3) == 0) ||
		    (wl[0] == 4 && memcmp(w[0], "gets", 4) == 0))) {
			bool err = false, go = true;
			for (int i = 1; i < nw && go; i++)
				go = answer_key(c, w[i], wl[i], i == 1, &err);
			if (err)
				return false;
			if (go)
				ok = out_str(c, "END\r\n");
		} else if (nw >= 2 && wl[0] == 6 &&
		    memcmp(w[0], "delete", 6) == 0) {
			bool found = store_delete(w[1], wl[1]);
			if (!(nw >= 3 && wl[nw - 1] == 7 &&
			    memcmp(w[nw - 1], "noreply", 7) == 0))
				ok = out_str(c, found ? "DELETED\r\n" :
				    "NOT_FOUND\r\n");
		} else if (nw == 1 && wl[0] == 7 &&
		    memcmp(w[0], "version", 7) == 0) {
			ok = out_str(c, "VERSION 1.6.0-rogue\r\n");
		} else if (nw == 1 && wl[0] == 4 &&
		    memcmp(w[0], "quit", 4) == 0) {
			return false;
		} else if (nw > 0) {
			ok = out_str(c, "ERROR\r\n");
		}
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return ok;
}

static void
conn_free(struct conn *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Reads what is there; false on EOF, error or a bound broken. */
static bool
conn_read(struct conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->incap - c->inlen < 4096) {
			size_t cap = c->incap ? c->incap * 2 : 16384;
			char *q;
			if (cap > VALUE_MAX + 2 * LINE_MAX_BYTES + 16384)
				return false;
			q = realloc(c->in, cap);
			if (q == NULL)
				return false;
			c->in = q, c->incap = cap;
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n > 0) {
			if (c->closing || mode == MODE_SILENT)
				c->inlen = 0; /* read, never answered */
			else
				c->inlen += (size_t)n;
			continue;
		}
		if (n == 0)
			return false;
		return errno == EAGAIN || errno == EINTR;
	}
}

static bool
conn_write(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return true;
}

static int
listen_on(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 1024) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static struct conn *conns[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS + 1];
	struct sigaction sa = { .sa_handler = on_signal };
	size_t nconns = 0;
	int lfd, port;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 || port > 65535) {
		fprintf(stderr, "usage: mc_rogue PORT MODEFILE\n");
		return 2;
	}
	if (read_mode(argv[2]) != 0)
		return 2;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((lfd = listen_on(port)) < 0) {
		fprintf(stderr, "mc_rogue: port %d: %s\n", port,
		    strerror(errno));
		return 1;
	}
	fprintf(stderr, "mc_rogue: port=%d mode=%s\n", port, mode_text(mode));
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			if (read_mode(argv[2]) == 0)
				fprintf(stderr, "mc_rogue: port=%d mode=%s\n",
				    port, mode_text(mode));
		}
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (size_t i = 0; i < nconns; i++)
			pfd[i + 1] = (struct pollfd){ .fd = conns[i]->fd,
				.events = (short)(POLLIN |
				    (conns[i]->outlen ? POLLOUT : 0)) };
		if (poll(pfd, nconns + 1, 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("mc_rogue: poll");
			return 1;
		}
		/* New connections go at the end: this round's pfd indexes
		 * stay those of conns[]. */
		size_t n0 = nconns;
		if (pfd[0].revents & POLLIN) {
			int fd;
			while (nconns < MAX_CONNS &&
			    (fd = accept4(lfd, NULL, NULL,
				SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
				struct conn *c = calloc(1, sizeof(*c));
				int one = 1;
				if (c == NULL) {
					close(fd);
					break;
				}
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof(one));
				c->fd = fd;
				conns[nconns++] = c;
				accepted++;
			}
		}
		for (size_t i = n0; i-- > 0;) {
			struct conn *c = conns[i];
			bool keep = true;
			short ev = pfd[i + 1].revents;

			if (ev & (POLLIN | POLLERR | POLLHUP))
				keep = conn_read(c);
			if (keep && !c->closing)
				keep = serve(c);
			if (keep && (c->outlen || ev & POLLOUT))
				keep = conn_write(c);
			/* A truncated reply: once written, our side shuts;
			 * the client's EOF (read above) ends it. */
			if (keep && c->closing && !c->shut && c->outlen == 0) {
				shutdown(c->fd, SHUT_WR);
				c->shut = true;
			}
			if (!keep) {
				conn_free(c);
				conns[i] = conns[--nconns];
			}
		}
	}
	fprintf(stderr, "mc_rogue: accepted=%lu bad_replies=%lu\n", accepted,
	    bad_replies);
	return 0;
}
