/* notify_listen PATH: a stand-in for systemd's notification socket. Binds
 * a Unix datagram socket at PATH and prints every assignment of every
 * datagram as "SECONDS.MILLIS KEY=VALUE" (wall clock), one a line, until
 * SIGTERM or SIGINT. Tests set NOTIFY_SOCKET=PATH for the program under
 * test and read what it told "systemd", and when. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* sd_notify messages are small; systemd itself reads at most this. */
#define DGRAM_MAX 4096

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
print_dgram(const char *buf, size_t len)
{
	struct timespec ts;
	const char *p = buf, *end = buf + len, *nl;

	clock_gettime(CLOCK_REALTIME, &ts);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p)
			printf("%lld.%03ld %.*s\n", (long long)ts.tv_sec,
			    ts.tv_nsec / 1000000, (int)(nl - p), p);
		p = nl + 1;
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sigaction sa = { .sa_handler = on_signal };
	char buf[DGRAM_MAX + 1];
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notify_listen PATH (at most %zu "
				"bytes)\n",
		    sizeof(sun.sun_path) - 1);
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	/* No SA_RESTART: recv() returns EINTR and the loop sees `stop`. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("notify_listen: socket");
		return 1;
	}
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("notify_listen: bind");
		close(fd);
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, buf, DGRAM_MAX, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("notify_listen: recv");
			break;
		}
		print_dgram(buf, (size_t)n);
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
