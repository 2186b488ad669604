#include "lsm.h"

#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool lsm_apparmor_enabled(void)
{
	char c = 0;
	int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	ssize_t n = read(fd, &c, 1);
	close(fd);
	return n == 1 && c == 'Y';
}

bool lsm_selinux_enabled(void)
{
	/* selinuxfs is mounted only when SELinux is on (enforcing or permissive). */
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int lsm_validate(const struct spec *spec, struct zrun_error *err)
{
	const struct spec_process *p = spec->process;
	const char *mount_label = spec->linux_ ? spec->linux_->mount_label : NULL;

	if (p && p->apparmor_profile && p->apparmor_profile[0] && !lsm_apparmor_enabled())
		return zrun_error_set(err, 0, "process.apparmorProfile: AppArmor profile \"%s\" requested "
				      "but AppArmor is not enabled on this host", p->apparmor_profile);
	if (p && p->selinux_label && p->selinux_label[0] && !lsm_selinux_enabled())
		return zrun_error_set(err, 0, "process.selinuxLabel: SELinux label \"%s\" requested "
				      "but SELinux is not enabled on this host", p->selinux_label);
	if (mount_label && mount_label[0] && !lsm_selinux_enabled())
		return zrun_error_set(err, 0, "linux.mountLabel: SELinux label \"%s\" requested "
				      "but SELinux is not enabled on this host", mount_label);
	return 0;
}

int lsm_apply_exec_labels(const struct spec_process *p, int proc_fd, struct zrun_error *err)
{
	if (p->apparmor_profile && p->apparmor_profile[0]) {
		char cmd[4096];
		snprintf(cmd, sizeof(cmd), "exec %s", p->apparmor_profile);
		/* The LSM's own file first (5.8+, stacked LSMs), else the shared one. */
		const char *path = procfs_exists(proc_fd, "thread-self/attr/apparmor/exec") == 0
			? "thread-self/attr/apparmor/exec" : "thread-self/attr/exec";
		if (procfs_write(proc_fd, path, cmd, "process.apparmorProfile", err) < 0)
			return -1;
	}
	if (p->selinux_label && p->selinux_label[0] &&
	    procfs_write(proc_fd, "thread-self/attr/exec", p->selinux_label, "process.selinuxLabel", err) < 0)
		return -1;
	return 0;
}
