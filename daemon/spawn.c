/* fork+exec of a child: channel on fd 3, output on a pipe, and death
 * with the parent. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "log.h"
#include "reliabd.h"
#include "util.h"

#define CHILD_CHANNEL_FD 3

/* In the child, after fork: only async-signal-safe calls, then exec. */
static void __attribute__((noreturn))
child_exec(char *const argv[], char *const envp[], pid_t parent, int chan,
    int out)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* Every signal is blocked (spawn_child): reliabd's handlers, which
	 * would write to its own loop's signal pipe, are replaced by the
	 * defaults before any signal gets through. */
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);
	/* Die with reliabd, even if it is killed with -9. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A session of its own: a terminal's ^C reaches reliabd only, and
	 * reliabd stops the children in order. */
	setsid();

	if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(127);
	if (chan >= 0) {
		if (chan == CHILD_CHANNEL_FD) {
			/* dup2 onto itself would keep close-on-exec set. */
			int fl = fcntl(chan, F_GETFD);

			if (fl < 0 || fcntl(chan, F_SETFD, fl & ~FD_CLOEXEC) < 0)
				_exit(127);
		} else if (dup2(chan, CHILD_CHANNEL_FD) < 0) {
			_exit(127);
		}
	}
	{
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
	}
	execve(argv[0], argv, envp);
	_exit(127);
}

extern char **environ;

/* Variables a worker must not inherit: systemd's are for reliabd alone. */
static int
env_scrubbed(const char *kv)
{
	static const char *const drop[] = { "NOTIFY_SOCKET=", "LISTEN_FDS=",
		"LISTEN_PID=", "LISTEN_FDNAMES=", "WATCHDOG_USEC=",
		"WATCHDOG_PID=", CHANNEL_ENV "=" };

	for (size_t i = 0; i < NELEM(drop); i++)
		if (strncmp(kv, drop[i], strlen(drop[i])) == 0)
			return 1;
	return 0;
}

/* Built before fork: the child may only make async-signal-safe calls. */
static char **
child_env(int want_channel)
{
	static char chan_var[] = CHANNEL_ENV "=3";
	size_t n = 0, j = 0;
	char **envp;

	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (envp == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!env_scrubbed(environ[i]))
			envp[j++] = environ[i];
	if (want_channel)
		envp[j++] = chan_var;
	envp[j] = NULL;
	return envp;
}

pid_t
spawn_child(char *const argv[], int want_channel, int *chan_fd, int *out_fd)
{
	int sv[2] = { -1, -1 }, op[2] = { -1, -1 };
	pid_t parent = getpid(), pid;
	sigset_t all, old;
	char **envp;

	*chan_fd = -1;
	*out_fd = -1;
	if (want_channel &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe2(op, O_CLOEXEC) < 0) {
		log_error("pipe2: %s", strerror(errno));
		goto fail;
	}
	envp = child_env(want_channel);
	if (envp == NULL) {
		log_error("out of memory");
		goto fail;
	}
	/* A SIGTERM (child_stop) may come before the exec: blocked until
	 * the child has its default handlers back, or it would run
	 * reliabd's. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(argv, envp, parent, sv[1], op[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		free(envp);
		goto fail;
	}
	free(envp);
	if (sv[1] >= 0)
		close(sv[1]);
	close(op[1]);
	*chan_fd = sv[0];
	*out_fd = op[0];
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (op[i] >= 0)
			close(op[i]);
	}
	return -1;
}
