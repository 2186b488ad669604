#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"

static int parse_port(const char *s, const char *spec, struct zrun_error *err)
{
	char *end;
	long port = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || port < 1 || port > 65535)
		return zrun_error_set(err, 0, "--listen %s: port must be 1-65535", spec);
	return (int)port;
}

static int parse_tcp(const char *rest, const char *spec, struct listener *l, struct zrun_error *err)
{
	const char *colon;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');
		if (close == NULL || close[1] != ':')
			return zrun_error_set(err, 0, "--listen %s: expected tcp://[IPV6]:PORT", spec);
		snprintf(l->host, sizeof(l->host), "%.*s", (int)(close - rest - 1), rest + 1);
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL)
			return zrun_error_set(err, 0, "--listen %s: expected tcp://HOST:PORT", spec);
		snprintf(l->host, sizeof(l->host), "%.*s", (int)(colon - rest), rest);
	}
	l->port = parse_port(colon + 1, spec, err);
	if (l->port < 0)
		return -1;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&l->addr;
	memset(&l->addr, 0, sizeof(l->addr));
	if (strcmp(l->host, "") == 0 || strcmp(l->host, "*") == 0)
		snprintf(l->host, sizeof(l->host), "0.0.0.0");
	if (strcmp(l->host, "localhost") == 0)
		snprintf(l->host, sizeof(l->host), "127.0.0.1");
	if (inet_pton(AF_INET, l->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)l->port);
		l->addr_len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, l->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)l->port);
		l->addr_len = sizeof(*in6);
	} else {
		return zrun_error_set(err, 0, "--listen %s: \"%s\" is not an IPv4 or IPv6 address", spec, l->host);
	}
	l->kind = LISTENER_TCP;
	return 0;
}

int listener_parse(const char *spec, int index, struct listener *l, struct zrun_error *err)
{
	const char *url = spec;
	const char *eq = strchr(spec, '=');
	const char *scheme = strstr(spec, "://");

	memset(l, 0, sizeof(*l));
	if (eq && (scheme == NULL || eq < scheme) && strncmp(spec, "unix:", 5) != 0) {
		size_t n = (size_t)(eq - spec);
		if (n == 0 || n >= sizeof(l->name))
			return zrun_error_set(err, 0, "--listen %s: the name before '=' must be 1-63 characters", spec);
		for (size_t i = 0; i < n; i++)
			if (spec[i] == ':' || spec[i] == ',' || spec[i] < 0x21 || spec[i] > 0x7e)
				return zrun_error_set(err, 0, "--listen %s: invalid listener name", spec);
		memcpy(l->name, spec, n);
		url = eq + 1;
	} else {
		snprintf(l->name, sizeof(l->name), "l%d", index);
	}
	if (strlen(url) >= sizeof(l->url))
		return zrun_error_set(err, 0, "--listen %s: too long", spec);
	snprintf(l->url, sizeof(l->url), "%s", url);
	if (strncmp(url, "tcp://", 6) == 0)
		return parse_tcp(url + 6, spec, l, err);
	if (strncmp(url, "unix:", 5) == 0) {
		const char *path = url + 5;
		if (path[0] != '/' || strlen(path) >= sizeof(l->path))
			return zrun_error_set(err, 0, "--listen %s: unix:PATH needs an absolute path under 108 bytes", spec);
		snprintf(l->path, sizeof(l->path), "%s", path);
		struct sockaddr_un *un = (struct sockaddr_un *)&l->addr;
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", path);
		l->addr_len = sizeof(*un);
		l->kind = LISTENER_UNIX;
		return 0;
	}
	return zrun_error_set(err, 0, "--listen %s: expected [NAME=]tcp://HOST:PORT or unix:/PATH", spec);
}

int listener_open(const struct listener *l, struct zrun_error *err)
{
	int one = 1;
	_cleanup_close_ int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return zrun_error_set(err, errno, "listener %s", l->url);
	if (l->kind == LISTENER_TCP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->kind == LISTENER_UNIX) {
		/* A stale socket file from an earlier service is replaced; any
		 * other kind of file is not. */
		struct stat st;
		if (lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(l->path);
	}
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0)
		return zrun_error_set(err, errno, "listener %s", l->url);
	if (listen(fd, LISTENER_BACKLOG) < 0)
		return zrun_error_set(err, errno, "listen %s", l->url);
	return TAKE_FD(fd);
}

bool listener_listening(int fd)
{
	int accepting = 0;
	socklen_t len = sizeof(accepting);
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0 || !accepting)
		return false;
	/* a unix socket stays "accepting" after shutdown(2), but refuses
	 * every connect: only poll tells (RDHUP for SHUT_RD, HUP for both) */
	return poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL));
}

int listener_repair(const struct listener *l, int fd, struct zrun_error *err)
{
	/* Linux: shutdown(2) of a listening TCP socket disconnects it (state
	 * CLOSE, the accept queue reset) but leaves it bound, and a listen()
	 * makes it listen again, for every holder of the socket at once
	 * (measured on 6.18: connect refused after the shutdown, accepted
	 * after the listen, accept works in the other holders). */
	if (l->kind == LISTENER_TCP && listen(fd, LISTENER_BACKLOG) == 0 && listener_listening(fd))
		return 0;
	/* A unix socket cannot be re-armed (its shutdown flags stay) */
	return listener_replace(l, fd, err) < 0 ? -1 : 1;
}

int listener_replace(const struct listener *l, int fd, struct zrun_error *err)
{
	/* A TCP socket that listens holds the port: shut down, it keeps the
	 * address but lets a new SO_REUSEADDR socket bind it (measured on 6.18) */
	if (l->kind == LISTENER_TCP)
		shutdown(fd, SHUT_RDWR);
	/* a new socket at the same address, at the same fd number, so that
	 * everything that knows the number (the supervisor's tables) holds it */
	int nfd = listener_open(l, err);
	if (nfd < 0)
		return -1;
	if (dup3(nfd, fd, O_CLOEXEC) < 0) {
		int e = errno;
		close(nfd);
		return zrun_error_set(err, e, "listener %s: dup3", l->url);
	}
	close(nfd);
	return 0;
}

unsigned long listener_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

bool listener_sets_equal(const struct listener *a, size_t na, const struct listener *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].url, b[i].url) != 0 || strcmp(a[i].name, b[i].name) != 0)
			return false;
	return true;
}

int listener_netns_enter(const char *path, int nsfd, struct zrun_error *err)
{
	int back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (back < 0)
		return zrun_error_set(err, errno, "open /proc/thread-self/ns/net");
	int ns = nsfd >= 0 ? nsfd : open(path, O_RDONLY | O_CLOEXEC);
	int r = ns < 0 ? -1 : setns(ns, CLONE_NEWNET);
	int e = errno;
	if (nsfd < 0 && ns >= 0)
		close(ns);
	if (r < 0) {
		close(back);
		return zrun_error_set(err, e, "network namespace %s", path ? path : "of the listener");
	}
	return back;
}

void listener_netns_leave(int back)
{
	if (back < 0)
		return;
	/* our own namespace, held open: cannot fail but for a kernel bug */
	if (setns(back, CLONE_NEWNET) < 0)
		abort();
	close(back);
}

int listener_netns_of(int fd)
{
	struct stat a, b;
	int ns = ioctl(fd, SIOCGSKNS);
	if (ns < 0)
		return -1;
	if (fstat(ns, &a) == 0 && stat("/proc/thread-self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev) {
		close(ns);
		return -1;
	}
	return ns;
}
