/* Re-execute zrun from a read-only overlay or a sealed memfd copy (see
 * cloned_binary.h).
 *
 * The attack (runc GHSA-gxmr-w5mj-v8hh): a container program that is
 * "#!/proc/self/exe" makes the kernel run the binary the init is, zrun,
 * as a process inside the container; another process there opens
 * /proc/PID/exe and, once that process exits (ETXTBSY until then), opens
 * the file again for writing and replaces the host's zrun. A file of an
 * overlayfs with no upper layer, or a memfd with F_SEAL_WRITE, cannot be
 * written by anyone, root included. runc 1.2 does the first, crun the
 * second. The overlay shares the page cache: a created container's init
 * holds no 1.7 MB copy of zrun until it starts. */
#include "cloned_binary.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define CLONE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* The marker the overlay re-exec sets for the new image, which believes it
 * only after checking where it runs from. */
#define SEALED_ENV "_ZRUN_SEALED_EXE"
/* The host file the copy was made from, for the copy, which has no path
 * of its own (a memfd) or only one inside a detached mount ("/zrun"). */
#define HOST_EXE_ENV "_ZRUN_HOST_EXE"

static bool is_sealed_memfd(int self)
{
	int seals = fcntl(self, F_GET_SEALS);

	return seals >= 0 && (seals & CLONE_SEALS) == CLONE_SEALS;
}

/* On a read-only overlayfs mount: with lower layers only, no write can
 * reach any file of it, whatever is done to the mount. */
static bool is_readonly_overlay(int self)
{
	struct statfs sf;

	return fstatfs(self, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC && (sf.f_flags & ST_RDONLY);
}

/* runc 1.2's zero-copy way: a detached overlayfs mount whose only layers
 * are the binary's directory and a second directory (overlayfs wants two
 * lower layers to have no upper one), mounted read-only and attached
 * nowhere; the binary is executed through it. No copy: ~0.1 ms instead of
 * ~1.4 ms for the memfd. Returns only on failure (then the memfd is used). */
static void exec_from_overlay(char **argv)
{
	static const char *const second_layers[] = { "/dev", "/run", "/tmp" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0 || exe[0] != '/')
		return;
	exe[n] = '\0';
	if (setenv(HOST_EXE_ENV, exe, 1) < 0)
		return;
	char *slash = strrchr(exe, '/');
	const char *name = slash + 1;
	const char *dir = slash == exe ? "/" : exe;
	*slash = '\0';
	if (strpbrk(dir, ":\\,") != NULL)   /* would need escaping in lowerdir= */
		return;
	const char *second = NULL;
	size_t dir_len = strlen(dir);
	for (size_t i = 0; i < sizeof(second_layers) / sizeof(second_layers[0]) && !second; i++) {
		size_t l = strlen(second_layers[i]);
		/* layers may not contain one another */
		if (strncmp(dir, second_layers[i], l < dir_len ? l : dir_len) != 0)
			second = second_layers[i];
	}
	if (second == NULL)
		return;
	char lower[PATH_MAX + 16];
	snprintf(lower, sizeof(lower), "%s:%s", dir, second);
	int ctx = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (ctx < 0)
		return;
	int mnt = -1, bin = -1;
	/* xino only makes noise in dmesg when the layers are on two filesystems */
	if (syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "lowerdir", lower, 0) == 0 &&
	    (syscall(SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "xino", "off", 0), true) &&
	    syscall(SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = (int)syscall(SYS_fsmount, ctx, FSMOUNT_CLOEXEC,
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	close(ctx);
	if (mnt >= 0)
		bin = openat(mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (mnt >= 0)
		close(mnt);
	if (bin < 0)
		return;
	if (setenv(SEALED_ENV, "1", 1) == 0)
		syscall(SYS_execveat, bin, "", argv, environ, AT_EMPTY_PATH);
	unsetenv(SEALED_ENV);
	close(bin);
}

int cloned_binary_ensure(char **argv, struct zrun_error *err)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (self < 0)
		return zrun_error_set(err, errno, "open /proc/self/exe");
	bool marked = getenv(SEALED_ENV) != NULL;
	unsetenv(SEALED_ENV);
	if (is_sealed_memfd(self) || (marked && is_readonly_overlay(self))) {
		close(self);
		return 0;
	}
	/* a copy learns its host file only from the zrun that made it */
	unsetenv(HOST_EXE_ENV);
	exec_from_overlay(argv);
	if (fstat(self, &st) < 0) {
		int e = errno;
		close(self);
		return zrun_error_set(err, e, "stat /proc/self/exe");
	}
	/* MFD_EXEC: with vm.memfd_noexec=1 a memfd is not executable unless
	 * asked for (6.3+); older kernels refuse the flag with EINVAL. */
	int mfd = memfd_create("zrun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("zrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		int e = errno;
		close(self);
		return zrun_error_set(err, e, "memfd for the zrun copy (CVE-2019-5736 defence)");
	}
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(self);
			close(mfd);
			return zrun_error_set(err, e, "copy zrun into a memfd");
		}
	}
	close(self);
	if (fcntl(mfd, F_ADD_SEALS, CLONE_SEALS) < 0) {
		int e = errno;
		close(mfd);
		return zrun_error_set(err, e, "seal the zrun copy");
	}
	char host[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", host, sizeof(host) - 1);
	if (n > 0 && host[0] == '/') {
		host[n] = '\0';
		setenv(HOST_EXE_ENV, host, 1);
	}
	/* An ELF needs no path after exec, so the close-on-exec fd is fine. */
	fexecve(mfd, argv, environ);
	int e = errno;
	close(mfd);
	return zrun_error_set(err, e, "execute the sealed zrun copy (CVE-2019-5736 defence)");
}

void cloned_binary_host_path(char *path, size_t len)
{
	const char *host = getenv(HOST_EXE_ENV);
	char self[PATH_MAX];
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	/* believed only in a copy, as SEALED_ENV is: a zrun run from its
	 * file is that file */
	bool copy = fd >= 0 && (is_sealed_memfd(fd) || is_readonly_overlay(fd));

	if (fd >= 0)
		close(fd);
	path[0] = '\0';
	if (copy && host != NULL && host[0] == '/')
		snprintf(path, len, "%s", host);
	else if (!copy && realpath("/proc/self/exe", self) != NULL)
		snprintf(path, len, "%s", self);
	/* not for the containers, hooks and daemons this zrun starts */
	unsetenv(HOST_EXE_ENV);
}

bool cloned_binary_needless(const char *command)
{
	static const char *const readers[] = { "start", "state", "kill", "delete", "list", "spec",
		"features", "pause", "resume", "update", "events", "ps", "logs", "checkpoint", "restore" };

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (strcmp(command, readers[i]) == 0)
			return true;
	return false;
}
