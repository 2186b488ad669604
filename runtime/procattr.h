/* procattr: the per-process kernel attributes of config.json that the init
 * sets on itself before exec and the program inherits: linux.personality,
 * process.ioPriority (ioprio_set) and process.scheduler (sched_setattr). */
#ifndef ZRUN_PROCATTR_H
#define ZRUN_PROCATTR_H

#include "error.h"
#include "spec.h"

/* In the init, before the user switch (a real-time policy needs CAP_SYS_NICE). */
int procattr_apply(const struct spec *spec, struct zrun_error *err);

/* Whether the init (LX: linux, for its sysctls) or an exec'd process (LX
 * NULL) writes to /proc: sysctls, oomScoreAdj, LSM exec labels. */
bool procattr_needs_procfs(const struct spec_linux *lx, const struct spec_process *p);

/* process.oomScoreAdj (written through PROC_FD, see procfs.h) and
 * process.rlimits, before the user switch (raising a limit needs
 * CAP_SYS_RESOURCE). */
int procattr_apply_limits(const struct spec_process *p, int proc_fd, struct zrun_error *err);

#endif
