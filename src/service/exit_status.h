/* exit_status: how a version's init ended, for the one who is not its
 * parent (the supervisor, a swap probing it): the wait status from /proc
 * while it is a zombie, else from its pidfd (Linux 6.15+), and the words
 * status and errors use for it ("exit 1", "signal 9"). */
#ifndef ZRUN_EXIT_STATUS_H
#define ZRUN_EXIT_STATUS_H

#include <stddef.h>
#include <sys/types.h>

/* The wait status of the process (pid, start: its /proc starttime, which
 * tells a reused pid) that exited; pidfd may be -1. -1 when unknown. */
int exit_status_of(pid_t pid, unsigned long long start, int pidfd);

/* "exit N", "signal N", or "unknown" for -1. */
void exit_status_describe(int status, char *buf, size_t len);

#endif
