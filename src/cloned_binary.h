/* cloned_binary: the CVE-2019-5736 defence. zrun re-executes itself from
 * a private read-only overlayfs mount of its own directory (no copy), or
 * where that cannot be made from a sealed memfd copy, so what a container
 * can reach through /proc/PID/exe of an init (a fork of zrun) or through
 * "#!/proc/self/exe" is a file the kernel refuses to write, never the zrun
 * binary on the host. */
#ifndef ZRUN_CLONED_BINARY_H
#define ZRUN_CLONED_BINARY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Return 0 when already running from the overlay or a sealed copy;
 * otherwise make one and re-execute it with argv (does not return on success). -1 with err
 * set when the copy cannot be made or executed. */
int cloned_binary_ensure(char **argv, struct zrun_error *err);

/* The zrun file on the host this zrun runs as (absolute), also from its
 * copy; "" when unknown. Call after cloned_binary_ensure returned 0. */
void cloned_binary_host_path(char *path, size_t len);

/* Commands that never fork an init nor enter a container (start only
 * writes the exec fifo of an init that create already made from the copy):
 * they need no copy. Any other command, new ones included, gets one. */
bool cloned_binary_needless(const char *command);

#endif
