/* daemon: the entry of the per-service daemons (the fdstore and the
 * supervisor), shared by the main of zrun (the fallback image) and of
 * zrun-daemon (src/daemon/main.c). */
#ifndef ZRUN_DAEMON_H
#define ZRUN_DAEMON_H

#include <stddef.h>

/* When argv is {DAEMON_FDSTORE or DAEMON_SUPERVISOR, NAME} with the state
 * root in the environment (fdstore_exec), run that daemon (never returns);
 * otherwise return. */
void daemon_main(int argc, char **argv);

/* The file to exec the daemons from for the zrun at zrun_path (absolute):
 * DAEMON_BINARY in its directory when there is one, else "/proc/self/exe"
 * (this zrun: a zrun copied alone, or the sanitizer build, whose daemons
 * stay sanitized). Into exe (len bytes). */
void daemon_binary_for(const char *zrun_path, char *exe, size_t len);

#endif
