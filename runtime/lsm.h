/* lsm: AppArmor and SELinux labels of config.json (process.apparmorProfile,
 * process.selinuxLabel, linux.mountLabel). Applied where the host has the
 * LSM; where it does not, create fails with a clear message instead of
 * silently running the container unconfined. */
#ifndef ZRUN_LSM_H
#define ZRUN_LSM_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

/* In the parent at create: every requested label has its LSM on this host. */
int lsm_validate(const struct spec *spec, struct zrun_error *err);

/* In the init (or an exec'd process) right before execve: the labels the
 * program gets at exec (/proc/self/attr/.../exec), written through PROC_FD
 * (procfs_open() from before the container's mounts). */
int lsm_apply_exec_labels(const struct spec_process *p, int proc_fd, struct zrun_error *err);

#endif
