/* executable: find a process's program the way execvp would, inside the
 * container (after the mount namespace is joined or the root pivoted), so a
 * missing program fails with the wording podman and containerd map to 127
 * (`exec: "foo": executable file not found in $PATH`). */
#ifndef ZRUN_EXECUTABLE_H
#define ZRUN_EXECUTABLE_H

#include <stddef.h>

#include "error.h"

/* The value of NAME in a NULL-terminated K=V array; NULL if absent. */
const char *env_lookup(char *const *env, const char *name);

/* Resolve name (with a '/' as it is, else along env's PATH or the default
 * PATH) to an executable regular file; the path goes to out. */
int executable_resolve(const char *name, char *const *env, char *out, size_t len,
		       struct zrun_error *err);

#endif
