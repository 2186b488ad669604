/* container_wait_console: a foreground `run` or `exec`: one poll loop over a
 * signalfd and the process's pidfd; signals sent to zrun are forwarded to
 * it. With a pty master (a terminal and no --console-socket) the same loop
 * relays the terminal: our stdin (raw, when it is a tty) to the master, the
 * master to our stdout, and our window size on SIGWINCH. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"

#define RELAY_DRAIN_MS 200  /* output still in the pty after the process exited */

static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
				 SIGWINCH, SIGCONT, SIGALRM };

static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
}

void container_wait_prepare(void)
{
	sigset_t set;

	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* The terminal side of the loop. Input waits in buf until the master takes
 * it, and stdin is not read meanwhile: a slow program slows the typist, it
 * never blocks the loop. */
struct relay {
	int master;             /* -1: no terminal to relay */
	bool stdin_open;
	bool master_open;
	bool raw;               /* stdin was put in raw mode: restore it */
	struct termios saved;
	char buf[4096];
	size_t len, off;
};

static void relay_resize(const struct relay *r)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		ioctl(r->master, TIOCSWINSZ, &ws);
}

static void relay_start(struct relay *r, int master)
{
	memset(r, 0, sizeof(*r));
	r->master = master;
	if (master < 0)
		return;
	r->stdin_open = r->master_open = true;
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	/* Our stdout may go away before the program does: a write error, not
	 * a SIGPIPE that kills the relay. */
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &r->saved) == 0) {
		struct termios raw = r->saved;
		cfmakeraw(&raw);
		r->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	/* process.consoleSize, when given, was set on the pty: keep it until
	 * our own window changes. Otherwise start with our size. */
	struct winsize ws;
	if (ioctl(master, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 0 && ws.ws_col == 0)
		relay_resize(r);
}

static void relay_stop(struct relay *r)
{
	if (r->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &r->saved);
	if (r->master >= 0)
		close(r->master);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;  /* our stdout is gone: drop the output */
		buf += n;
		len -= (size_t)n;
	}
}

/* Copy what the master has to stdout; false once it has no more (EIO: no
 * process holds the peer any more). */
static bool relay_output(struct relay *r)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(r->master, buf, sizeof(buf));
		if (n > 0) {
			write_all(STDOUT_FILENO, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		r->master_open = false;
		return false;
	}
}

static void relay_input(struct relay *r, short revents)
{
	if (r->len == 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(STDIN_FILENO, r->buf, sizeof(r->buf));
		if (n > 0) {
			r->len = (size_t)n;
			r->off = 0;
		} else if (n == 0 || errno != EINTR) {
			r->stdin_open = false;
		}
	}
}

static void relay_flush_input(struct relay *r)
{
	while (r->len > 0) {
		ssize_t n = write(r->master, r->buf + r->off, r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			r->len = 0;  /* the pty is gone: nothing takes input any more */
			return;
		}
		r->off += (size_t)n;
		r->len -= (size_t)n;
	}
}

/* After the process exited: the pty may still hold output it wrote last. */
static void relay_drain(struct relay *r)
{
	struct pollfd p = { .fd = r->master, .events = POLLIN };

	while (r->master_open && poll(&p, 1, RELAY_DRAIN_MS) > 0)
		if (!relay_output(r) || (p.revents & POLLHUP))
			break;
}

static void on_signal(pid_t pid, const struct relay *r, int sig)
{
	/* Resizing the pty signals its foreground process group itself. */
	if (sig == SIGWINCH && r->master >= 0)
		relay_resize(r);
	else
		kill(pid, sig);
}

int container_wait_console(pid_t pid, int master)
{
	struct relay r;
	sigset_t set;
	int sfd, pidfd, status = 0;

	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	relay_start(&r, master);
	while (pidfd >= 0 && sfd >= 0) {
		struct pollfd p[4] = {
			{ .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
			{ .fd = r.master_open ? r.master : -1, .events = POLLIN | (r.len ? POLLOUT : 0) },
			{ .fd = r.stdin_open && r.len == 0 ? STDIN_FILENO : -1, .events = POLLIN },
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			on_signal(pid, &r, (int)si.ssi_signo);
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			relay_output(&r);
		if (p[3].revents)
			relay_input(&r, p[3].revents);
		if (r.len && r.master_open)
			relay_flush_input(&r);
	}
	if (master >= 0)
		relay_drain(&r);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	relay_stop(&r);
	if (pidfd >= 0)
		close(pidfd);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

