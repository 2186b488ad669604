/* fault: named fault points for the fault-injection tests.
 *
 * Inert unless the environment variable ZRUN_TEST_FAULT is set (read once):
 *   ZRUN_TEST_FAULT=<point>[:<action>][@<n>]
 * action: kill (default) SIGKILLs this process at the point; fail[=ERRNO]
 * (ERRNO one of ENOSPC, EMFILE, EIO, ENOMEM, EINVAL; EIO when omitted) makes the
 * point fail with that errno so the caller takes its error path; stop
 * SIGSTOPs it there (the test changes the world, then sends SIGCONT: a race
 * window held open). The fault fires at the n-th time this process
 * reaches the point (default 1) and only then, so clean-up code that
 * passes the same point again is not hit. */
#ifndef ZRUN_FAULT_H
#define ZRUN_FAULT_H

#include "error.h"

#ifdef ZRUN_TEST_HOOKS
/* Only the test build (build-test/zrun, and the ASan build) has them: the
 * shipped zrun does not read ZRUN_TEST_FAULT, so no environment can make
 * it kill itself or fail on purpose. */

/* A kill point: SIGKILL (or SIGSTOP) ourselves when ZRUN_TEST_FAULT names
 * it (a `fail` action is ignored here). */
void fault_point(const char *name);

/* A kill or fail point. Returns 0, or (fail) -1 with errno set; err, when
 * not NULL, then says "injected fault at <name>: <strerror>". */
int fault_check(const char *name, struct zrun_error *err);
#else
static inline void fault_point(const char *name)
{
	(void)name;
}

static inline int fault_check(const char *name, struct zrun_error *err)
{
	(void)name;
	(void)err;
	return 0;
}
#endif

#endif
