/* daemon: the entry of the per-service daemons (the fdstore and the
 * supervisor), shared by the main of zrun (the fallback image) and of
 * zrun-daemon (src/daemon/main.c). */
#ifndef ZRUN_DAEMON_H
#define ZRUN_DAEMON_H

/* When argv is {DAEMON_FDSTORE or DAEMON_SUPERVISOR, NAME} with the state
 * root in the environment (fdstore_exec), run that daemon (never returns);
 * otherwise return. */
void daemon_main(int argc, char **argv);

#endif
