#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "fdmsg.h"

int terminal_connect(const char *path, struct zrun_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return zrun_error_set(err, ENAMETOOLONG, "console socket %s", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return zrun_error_set(err, errno, "console socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "connect to console socket %s", path);
	}
	return fd;
}

int terminal_send_fd(int sock, int fd, const char *name)
{
	return fdmsg_send(sock, name, strlen(name), &fd, 1) < 0 ? -1 : 0;
}

int terminal_recv_fd(int sock, struct zrun_error *err)
{
	char name[128];
	int fd;
	size_t nfds;
	ssize_t n = fdmsg_recv(sock, name, sizeof(name), &fd, 1, &nfds, MSG_DONTWAIT);

	if (n < 0)
		return zrun_error_set(err, errno, "receive the pty master");
	if (n == 0)
		return zrun_error_set(err, ENODATA, "receive the pty master");
	if (nfds != 1)
		return zrun_error_set(err, EPROTO, "receive the pty master");
	return fd;
}

int terminal_setup(int console_socket_fd, const struct spec_process *process, struct zrun_error *err)
{
	char peer_name[64];
	int master, peer;

	if (console_socket_fd < 0)
		return zrun_error_set(err, 0, "process.terminal is set but no --console-socket was given");
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return zrun_error_set(err, errno, "open /dev/ptmx in the container");
	if (unlockpt(master) < 0 || ptsname_r(master, peer_name, sizeof(peer_name)) != 0) {
		int e = errno;
		close(master);
		return zrun_error_set(err, e, "pty");
	}
	peer = open(peer_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0) {
		int e = errno;
		close(master);
		return zrun_error_set(err, e, "open %s", peer_name);
	}
	if (process->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)process->console_size.height,
				      .ws_col = (unsigned short)process->console_size.width };
		ioctl(peer, TIOCSWINSZ, &ws);
	}
	if (terminal_send_fd(console_socket_fd, master, peer_name) < 0) {
		int e = errno;
		close(master);
		close(peer);
		return zrun_error_set(err, e, "send pty master to the console socket");
	}
	close(master);
	close(console_socket_fd);
	if (ioctl(peer, TIOCSCTTY, 0) < 0) {
		int e = errno;
		close(peer);
		return zrun_error_set(err, e, "make %s the controlling terminal", peer_name);
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(peer, i) < 0) {
			int e = errno;
			close(peer);
			return zrun_error_set(err, e, "dup pty");
		}
	}
	close(peer);
	return 0;
}
