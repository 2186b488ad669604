/* capabilities: the five capability sets of process.capabilities, applied
 * with libcap around the switch to the container's user. */
#ifndef ZRUN_CAPABILITIES_H
#define ZRUN_CAPABILITIES_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* In the parent, before anything is made: a warning (hooks_warn) for each
 * name libcap does not know ("process.capabilities.bounding: unknown
 * capability CAP_FOO: ignored"); the sets are applied without it. */
void caps_warn_unknown(const struct spec_capabilities *caps);

/* A capability name given on the command line (exec --cap): an error when
 * libcap does not know it. */
int caps_check_name(const char *name, struct zrun_error *err);

/* Before the uid switch: drop what is not in the bounding set and ask the
 * kernel to keep permitted capabilities across setuid (PR_SET_KEEPCAPS). */
int caps_prepare(const struct spec_capabilities *caps, struct zrun_error *err);

/* The switch to process.user with its capabilities, split in two so that
 * everything but the switch itself happens before the seccomp filter is
 * loaded (runtime-spec: with noNewPrivileges unset the filter must be
 * loaded while we still hold CAP_SYS_ADMIN, i.e. before the switch).
 * prepare: bounding set, PR_SET_KEEPCAPS, umask, and the sets computed;
 * finish: groups, gid, uid, capset, ambient - syscalls only. */
struct caps_switch {
	const struct spec_user *user;
	bool has_caps;
	struct __user_cap_data_struct data[2];
	int ambient[64];
	size_t ambient_len;
};
int caps_switch_prepare(const struct spec_process *p, struct caps_switch *sw, struct zrun_error *err);
/* IN_USER_NS: the container has a user namespace (a joined one whose
 * setgroups is "deny" refuses even an empty group list). */
int caps_switch_finish(const struct caps_switch *sw, bool in_user_ns, struct zrun_error *err);

#endif
