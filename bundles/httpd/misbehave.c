/* Misbehaviours of the demo httpd, on purpose (misbehave.h). */
#include "misbehave.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

void misbehave_bind_abstract(const char *who, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *n = name[0] == '@' ? name + 1 : name;
	size_t len = strlen(n);
	int fd;

	if (len + 1 >= sizeof(sa.sun_path)) {
		fprintf(stderr, "httpd %s: --bind-abstract %s: too long\n", who, name);
		return;
	}
	memcpy(sa.sun_path + 1, n, len);  /* sun_path[0] = 0: abstract */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0)
		fprintf(stderr, "httpd %s: --bind-abstract @%s: %s\n", who, n, strerror(errno));
	else
		fprintf(stderr, "httpd %s: bound @%s\n", who, n);
	/* the fd stays open: the name stays taken */
}

void misbehave_shutdown_listeners(const char *who, const int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		int r = shutdown(fds[i], SHUT_RDWR);
		fprintf(stderr, "httpd %s: shutdown(fd %d, SHUT_RDWR): %s\n", who, fds[i],
			r == 0 ? "done" : strerror(errno));
	}
}
