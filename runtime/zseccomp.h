/* zseccomp: turns linux.seccomp of config.json into a libseccomp filter.
 * Owns the mapping of OCI names (actions, architectures, operators, flags) to
 * libseccomp, checks them at create time, and loads the filter in the init. */
#ifndef ZRUN_ZSECCOMP_H
#define ZRUN_ZSECCOMP_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Check at create time, in the parent, that every action, architecture,
 * operator and flag is known and usable with the linked libseccomp, by
 * building (never loading) the filter. Unknown syscall names are ignored, as
 * runc does: they may exist on another architecture or kernel. Messages name
 * the JSON path ("linux.seccomp.syscalls[3].action: unknown action ..."). */
int zseccomp_validate(const struct spec_seccomp *s, struct zrun_error *err);

/* Build the libseccomp context without loading it. The context does not set
 * no_new_privs on load: the caller decides. *out is the caller's to
 * seccomp_release(); NULL on failure. */
int zseccomp_build(const struct spec_seccomp *s, scmp_filter_ctx *out, struct zrun_error *err);

/* A filter generated ahead of loading it. prepare: build and generate
 * (libseccomp, allocations: before anything that must be done before the
 * filter); install: one seccomp(2) call, so that between the filter and
 * execve the process makes no syscall of ours that the container's
 * profile did not allow. The caller must have set no_new_privs or hold
 * CAP_SYS_ADMIN. *notify_fd: as for zseccomp_load. */
struct zseccomp_program {
	struct sock_filter *filter;
	unsigned short len;
	unsigned flags;  /* SECCOMP_FILTER_FLAG_* */
	bool notify;     /* a rule uses SCMP_ACT_NOTIFY */
};
int zseccomp_prepare(const struct spec_seccomp *s, struct zseccomp_program *prog, struct zrun_error *err);
int zseccomp_install(const struct zseccomp_program *prog, int *notify_fd, struct zrun_error *err);
void zseccomp_program_free(struct zseccomp_program *prog);

/* Build and load the filter into the calling process; meant for the
 * container's init just before exec. The caller must already have set
 * no_new_privs or hold CAP_SYS_ADMIN. *notify_fd receives the listener fd
 * (O_CLOEXEC) when a rule uses SCMP_ACT_NOTIFY, else -1; notify_fd may be NULL
 * only when no rule uses SCMP_ACT_NOTIFY. */
int zseccomp_load(const struct spec_seccomp *s, int *notify_fd, struct zrun_error *err);

/* In the runtime namespace, at create: connect to s->listener_path and send
 * the runtime-spec containerProcessState (ociVersion, fds ["seccompFd"],
 * pid, metadata = listenerMetadata, state) with notify_fd as SCM_RIGHTS,
 * in one message, as runc does. state_json is the container's state. */
int zseccomp_send_listener(const struct spec_seccomp *s, int notify_fd, pid_t pid,
			   const char *state_json, struct zrun_error *err);

/* Send the syscalls names (NULL-terminated) to a user-notification
 * listener, merged into lx's own profile (made when there is none: default
 * allow): the bundle's unconditional allow of one of them gives way; any
 * other rule of its own for them, a default that denies them, or a notify
 * listener of its own is an error (the bundle keeps precedence). Sets
 * listenerPath to listener_path, so the init loads the filter before "ready"
 * and create receives the notify fd (container_create_opts.seccomp_notify). */
int zseccomp_add_notify(struct spec_linux *lx, const char *const *names, const char *listener_path,
			struct zrun_error *err);

/* Names of the seccomp filter flags zrun knows (NULL-terminated), and
 * whether this libseccomp and kernel can set one (for `zrun features`). */
const char *const *zseccomp_known_flags(void);
bool zseccomp_flag_supported(const char *name);

#endif
