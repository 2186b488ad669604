/* The `notify` probe: sd_notify's READY=1, as systemd services send it.
 * NEW's NOTIFY_SOCKET is an abstract unix datagram socket, so it needs no
 * path inside the container's rootfs and no mount: an abstract name lives
 * in a network namespace, and a version shares the service's namespace by
 * default, which is the one zrun runs in. Every version of the service can
 * bind names there, so the name must be one nobody can know before zrun
 * binds it: "@zrun-notify-" and 128 random bits, made at create and kept in
 * the version's state (a name derived from the root and the id, as before,
 * let a running version bind the next version's name first, and every
 * notify swap then aborted with "address in use"). `zrun swap` binds it
 * before it starts NEW; a READY=1 counts only from a process of NEW's
 * cgroup (SO_PASSCRED gives the sender's pid). */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "cleanup.h"
#include "fdmsg.h"
#include "probe.h"

#define NOTIFY_DATAGRAM_MAX 4096

int probe_notify_new_name(char *buf, size_t len, struct zrun_error *err)
{
	unsigned char r[16];
	size_t off;

	/* getrandom blocks only before the pool is first seeded (early boot) */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return zrun_error_set(err, errno ? errno : EIO, "notify socket name: getrandom");
	off = (size_t)snprintf(buf, len, "@zrun-notify-");
	for (size_t i = 0; i < sizeof(r) && off + 2 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%02x", r[i]);
	if (off != 13 + 2 * sizeof(r))
		return zrun_error_set(err, ENAMETOOLONG, "notify socket name");
	return 0;
}

/* A version made by a zrun before the names were random: the name it was
 * given then (FNV-1a of the root and the id), so a swap can still bind it. */
static int legacy_address(const char *root, const char *id, char *buf, size_t len)
{
	char real[PATH_MAX];
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a */

	if (realpath(root, real) == NULL)
		snprintf(real, sizeof(real), "%s", root);
	for (const char *p = real; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	int n = snprintf(buf, len, "@zrun-notify-%016llx", (unsigned long long)h);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int probe_notify_bind(const char *root, const char *id, const struct version_config *vc, struct zrun_error *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char name[64];
	int one = 1;

	if (vc->notify_socket[0])
		snprintf(name, sizeof(name), "%s", vc->notify_socket);
	else if (legacy_address(root, id, name, sizeof(name)) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "notify socket of %s", id);
	size_t n = strlen(name);
	if (name[0] != '@' || n >= sizeof(a.sun_path))
		return zrun_error_set(err, EINVAL, "notify socket of %s: \"%s\" is not an abstract name", id, name);
	memcpy(a.sun_path, name, n);
	a.sun_path[0] = '\0';  /* abstract */
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return zrun_error_set(err, errno, "notify socket");
	if (setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		return zrun_error_set(err, errno, "notify socket %s of %s", name, id);
	return TAKE_FD(s);
}

static bool in_version(const struct probe_target *t, pid_t pid)
{
	struct zrun_error ignored;
	struct cgroup *cg = container_state_cgroup(t->st, &ignored);
	pid_t *pids = NULL;
	size_t n = 0;
	bool found = false;

	if (cg && cgroup_pids(cg, &pids, &n, &ignored) == 0)
		for (size_t i = 0; i < n && !found; i++)
			found = pids[i] == pid;
	free(pids);
	cgroup_free(cg);
	return found;
}

static bool has_ready(const char *msg)
{
	for (const char *p = msg; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, "READY=1", 7) == 0 && (p[7] == '\n' || p[7] == '\0'))
			return true;
	return false;
}

/* Read what NEW sent since the last attempt; READY=1 is remembered. */
enum probe_result probe_notify(struct probe_target *t, char *reason, size_t len)
{
	int others = 0;

	if (t->notify_fd < 0) {
		snprintf(reason, len, "no notify socket (it is bound by zrun swap before it starts NEW)");
		return PROBE_FAIL;
	}
	while (!t->notified) {
		char buf[NOTIFY_DATAGRAM_MAX + 1];
		pid_t sender;
		ssize_t n = fdmsg_recv_cred(t->notify_fd, buf, NOTIFY_DATAGRAM_MAX, &sender, MSG_DONTWAIT);
		if (n < 0)
			break;
		buf[n] = '\0';
		if (!has_ready(buf))
			continue;
		if (sender > 0 && in_version(t, sender))
			t->notified = true;
		else
			others++;
	}
	if (t->notified)
		return PROBE_PASS;
	snprintf(reason, len, "no READY=1 on NOTIFY_SOCKET from %s yet%s", t->id,
		 others ? " (a READY=1 from a process outside its cgroup was ignored)" : "");
	return PROBE_FAIL;
}
