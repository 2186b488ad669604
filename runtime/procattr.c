#include "procattr.h"

#include <errno.h>
#include <linux/sched/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

static int apply_personality(const struct spec_linux *lx, struct zrun_error *err)
{
	if (lx == NULL || !lx->has_personality)
		return 0;
	unsigned long persona = strcmp(lx->personality_domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
	if (personality(persona) < 0)
		return zrun_error_set(err, errno, "linux.personality: %s", lx->personality_domain);
	return 0;
}

static int apply_io_priority(const struct spec_process *p, struct zrun_error *err)
{
	static const char *const names[] = { "", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };

	if (!p->has_io_priority)
		return 0;
	int value = (p->io_priority_class << IOPRIO_CLASS_SHIFT) | p->io_priority;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
		return zrun_error_set(err, errno, "process.ioPriority: %s %d",
				      names[p->io_priority_class], p->io_priority);
	return 0;
}

static int apply_scheduler(const struct spec_process *p, struct zrun_error *err)
{
	const struct spec_scheduler *s = p->scheduler;
	struct sched_attr attr;

	if (s == NULL)
		return 0;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.sched_policy = (unsigned)s->policy;
	attr.sched_flags = s->flags;
	attr.sched_nice = s->nice;
	attr.sched_priority = (unsigned)s->priority;
	attr.sched_runtime = s->runtime_ns;
	attr.sched_deadline = s->deadline_ns;
	attr.sched_period = s->period_ns;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return zrun_error_set(err, errno, "process.scheduler: sched_setattr (policy %d, nice %d, "
				      "priority %d)", s->policy, s->nice, s->priority);
	return 0;
}

int procattr_apply(const struct spec *spec, struct zrun_error *err)
{
	if (apply_personality(spec->linux_, err) < 0)
		return -1;
	if (spec->process && (apply_io_priority(spec->process, err) < 0 ||
			      apply_scheduler(spec->process, err) < 0))
		return -1;
	return 0;
}

bool procattr_needs_procfs(const struct spec_linux *lx, const struct spec_process *p)
{
	return (lx && lx->sysctl_len) ||
	       (p->apparmor_profile && p->apparmor_profile[0]) || (p->selinux_label && p->selinux_label[0]);
}

int procattr_apply_oom_score_adj(const struct spec_process *p, int proc_fd, pid_t pid,
				 struct zrun_error *err)
{
	char v[32], what[64], path[64];

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(v, sizeof(v), "%d", p->oom_score_adj);
	snprintf(what, sizeof(what), "process.oomScoreAdj %d", p->oom_score_adj);
	if (pid > 0)
		snprintf(path, sizeof(path), "%d/oom_score_adj", (int)pid);
	else
		snprintf(path, sizeof(path), "self/oom_score_adj");
	if (procfs_write(proc_fd, path, v, what, err) == 0)
		return 0;
	/* The kernel lets anyone raise it, only CAP_SYS_RESOURCE lower it. */
	if (err->errno_value == EACCES)
		return zrun_error_set(err, EACCES, "%s: lowering it needs CAP_SYS_RESOURCE (root on the host)",
				      what);
	return -1;
}

int procattr_apply_rlimits(const struct spec_process *p, struct zrun_error *err)
{
	for (size_t i = 0; i < p->rlimits_len; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
		struct rlimit now;
		if (setrlimit(p->rlimits[i].resource, &rl) == 0)
			continue;
		int e = errno;
		/* Only CAP_SYS_RESOURCE raises a hard limit (root on the host:
		 * a user namespace's root has it only over its own objects). */
		if (e == EPERM && getrlimit(p->rlimits[i].resource, &now) == 0 && rl.rlim_max > now.rlim_max)
			return zrun_error_set(err, e, "process.rlimits: %s: hard limit %llu above the current "
					      "%llu needs CAP_SYS_RESOURCE (root on the host)", p->rlimits[i].type,
					      (unsigned long long)rl.rlim_max, (unsigned long long)now.rlim_max);
		return zrun_error_set(err, e, "process.rlimits: %s", p->rlimits[i].type);
	}
	return 0;
}
