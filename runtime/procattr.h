/* procattr: the per-process kernel attributes of config.json that the init
 * sets on itself before exec and the program inherits: linux.personality,
 * process.ioPriority (ioprio_set), process.scheduler (sched_setattr),
 * process.rlimits; and process.oomScoreAdj, set from outside. */
#ifndef ZRUN_PROCATTR_H
#define ZRUN_PROCATTR_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* In the init, before the user switch (a real-time policy needs CAP_SYS_NICE). */
int procattr_apply(const struct spec *spec, struct zrun_error *err);

/* Whether the init (LX: linux, for its sysctls) or an exec'd process (LX
 * NULL) writes to /proc from inside: sysctls, LSM exec labels. */
bool procattr_needs_procfs(const struct spec_linux *lx, const struct spec_process *p);

/* process.oomScoreAdj, written to /proc/PID/oom_score_adj (PID 0: self)
 * through PROC_FD (procfs.h) by a process still outside the container's
 * user namespace; the program inherits it. Inside a user namespace whose
 * root is not the host's, the init's own file is not its to open (it is
 * not dumpable: the file belongs to the host's root), and lowering the
 * score needs CAP_SYS_RESOURCE of the host: runc's nsexec writes it before
 * it clones for the same reason. */
int procattr_apply_oom_score_adj(const struct spec_process *p, int proc_fd, pid_t pid,
				 struct zrun_error *err);

/* process.rlimits, before the user switch (raising a limit needs
 * CAP_SYS_RESOURCE). */
int procattr_apply_rlimits(const struct spec_process *p, struct zrun_error *err);

#endif
