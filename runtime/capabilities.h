/* capabilities: the five capability sets of process.capabilities, applied
 * with libcap around the switch to the container's user. */
#ifndef ZRUN_CAPABILITIES_H
#define ZRUN_CAPABILITIES_H

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

/* After the uid switch: set effective, permitted, inheritable, then ambient. */
int caps_apply(const struct spec_capabilities *caps, struct zrun_error *err);

/* The switch to process.user with its capabilities, for the init and for an
 * exec'd process alike: groups, gid, uid, the capability sets, umask.
 * IN_USER_NS: the container has a user namespace (a joined one whose
 * setgroups is "deny" refuses even an empty group list). */
int caps_switch_user(const struct spec_process *p, bool in_user_ns, struct zrun_error *err);

#endif
