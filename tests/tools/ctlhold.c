/* Holds control connections the way a hostile local user would.
 *   ctlhold SOCK N SECS EVERY_MS [UID...]
 * opens N connections to SOCK and keeps them for SECS seconds. With
 * EVERY_MS > 0, every EVERY_MS each open connection gets one byte ("{",
 * a request that never completes) and each one the daemon closed is
 * opened again. With UIDs, the connections are shared among one process
 * per uid, each running as that uid (and the socket's group), so the
 * daemon sees that peer uid. Prints "held H refused R reconnects C" per
 * process at the end: H open at the end, R closed by the daemon. Every
 * wait is bounded. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_UIDS 64

static pid_t kids[MAX_UIDS];
static int nkids;

/* SIGTERM to the parent ends every child too. */
static void
on_term(int sig)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], sig);
	_exit(0);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connect: a full backlog is a failure, not a wait. */
static int
open_one(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
hold(const char *path, int n, int secs, int every_ms)
{
	static struct pollfd pfd[MAX_CONNS];
	long long end = now_ms() + secs * 1000LL, next = 0;
	int held, refused = 0, reconnects = 0;
	char buf[4096];

	for (int i = 0; i < n; i++) {
		pfd[i].fd = open_one(path);
		pfd[i].events = POLLIN;
	}
	while (now_ms() < end) {
		long long t = now_ms();
		int wait = (int)(end - t);

		if (every_ms > 0 && t >= next) {
			for (int i = 0; i < n; i++) {
				if (pfd[i].fd < 0) {
					pfd[i].fd = open_one(path);
					reconnects += pfd[i].fd >= 0;
				}
				if (pfd[i].fd >= 0)
					(void)!send(pfd[i].fd, "{", 1,
					    MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			next = t + every_ms;
		}
		if (every_ms > 0 && next - t < wait)
			wait = (int)(next - t);
		if (wait < 0)
			wait = 0;
		if (poll(pfd, (nfds_t)n, wait) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			refused++;
		}
	}
	held = 0;
	for (int i = 0; i < n; i++)
		held += pfd[i].fd >= 0;
	printf("held %d refused %d reconnects %d\n", held, refused,
	    reconnects);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct stat st;
	int n, secs, every, nuids;

	if (argc < 5) {
		fprintf(stderr, "usage: ctlhold SOCK N SECS EVERY_MS [UID...]\n");
		return 2;
	}
	n = atoi(argv[2]);
	secs = atoi(argv[3]);
	every = atoi(argv[4]);
	nuids = argc - 5;
	if (n < 1 || n > MAX_CONNS || secs < 1 || secs > 300 || every < 0 ||
	    nuids > MAX_UIDS) {
		fprintf(stderr, "ctlhold: bad N, SECS or EVERY_MS\n");
		return 2;
	}
	if (nuids == 0) {
		hold(argv[1], n, secs, every);
		return 0;
	}
	if (stat(argv[1], &st) < 0) {
		perror(argv[1]);
		return 3;
	}
	signal(SIGTERM, on_term);
	for (int u = 0; u < nuids; u++) {
		int share = n / nuids + (u < n % nuids);
		uid_t uid = (uid_t)strtoul(argv[5 + u], NULL, 10);
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			on_term(SIGTERM);
		}
		if (pid > 0) {
			kids[nkids++] = pid;
			continue;
		}
		signal(SIGTERM, SIG_DFL);
		/* The peer credentials are taken at connect(): become the
		 * user first. The socket's group grants the access. */
		if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 ||
		    setuid(uid) < 0) {
			perror("ctlhold: setuid");
			_exit(3);
		}
		hold(argv[1], share, secs, every);
		_exit(0);
	}
	for (int u = 0; u < nuids; u++)
		wait(NULL);
	return 0;
}
