/* hooks: the OCI lifecycle hooks (runtime-spec config.md "POSIX-platform
 * Hooks"). Owns running one list of hooks: each gets the container's state
 * JSON on stdin, only its own args and env, and is killed at its timeout;
 * its output becomes the error message. Where and when each list runs is
 * decided by container.c (runtime namespace) and init.c (container). */
#ifndef ZRUN_HOOKS_H
#define ZRUN_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "state.h"

#define HOOK_OUTPUT_MAX 2048   /* bytes of a hook's stdout+stderr kept for the message */
#define HOOK_STATE_MAX (256 * 1024) /* state JSON handed to the init for its hooks */

/* The runtime-spec "state" a hook reads on stdin (runc's specs.State):
 * ociVersion, id, status, pid, bundle, annotations. malloc'd, NULL on ENOMEM. */
char *hooks_state_json(const struct container_state *st, enum container_status status, pid_t pid);

/* Run the hooks of `list` in order, stopping at the first failure, which
 * fills err ("createRuntime hook #0 /usr/bin/h: exited with status 1: ..."). */
int hooks_run(const struct spec_hook_list *list, const char *kind, const char *state_json,
	      struct zrun_error *err);

/* Run every hook of `list`; failures are warnings (poststart, poststop:
 * "the runtime MUST log a warning" and carry on). */
void hooks_run_warn(const struct spec_hook_list *list, const char *kind, const char *state_json);

/* Hooks that run after create (startContainer, poststart, poststop) are
 * kept in the state dir (hooks.json) by create, so start and delete run
 * what was created even if the bundle changed or went away since. */
bool hooks_after_create(const struct spec_hooks *hooks);
int hooks_save(const char *path, const struct spec_hooks *hooks, struct zrun_error *err);
/* NULL with err->msg empty when there is no such file. */
struct spec *hooks_load(const char *path, struct zrun_error *err);

/* runtime/ never prints: warnings go to this handler (the CLI sets one). */
void hooks_set_warn_handler(void (*fn)(const char *msg, void *data), void *data);
void hooks_warn(const char *msg);

#endif
