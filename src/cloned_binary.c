/* Re-execute zrun from a sealed memfd copy (see cloned_binary.h).
 *
 * The attack (runc GHSA-gxmr-w5mj-v8hh): a container program that is
 * "#!/proc/self/exe" makes the kernel run the binary the init is, zrun,
 * as a process inside the container; another process there opens
 * /proc/PID/exe and, once that process exits (ETXTBSY until then), opens
 * the file again for writing and replaces the host's zrun. A memfd with
 * F_SEAL_WRITE cannot be written by anyone, root included. runc and crun
 * do the same (cloned_binary.c). */
#include "cloned_binary.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define CLONE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int cloned_binary_ensure(char **argv, struct zrun_error *err)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (self < 0)
		return zrun_error_set(err, errno, "open /proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & CLONE_SEALS) == CLONE_SEALS) {
		close(self);
		return 0;
	}
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
	/* An ELF needs no path after exec, so the close-on-exec fd is fine. */
	fexecve(mfd, argv, environ);
	int e = errno;
	close(mfd);
	return zrun_error_set(err, e, "execute the sealed zrun copy (CVE-2019-5736 defence)");
}

bool cloned_binary_needless(const char *command)
{
	static const char *const readers[] = { "start", "state", "kill", "delete", "list", "spec",
		"features", "pause", "resume", "update", "events", "ps", "logs" };

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
		if (strcmp(command, readers[i]) == 0)
			return true;
	return false;
}
