/* cleanup: variables that free or close what they hold when they go out of
 * scope (gcc and clang's __attribute__((cleanup)), as systemd and crun use
 * it), for a function that only releases things on its way out: each early
 * return then releases the same things, and none can be forgotten. Not for
 * undo logs, where the order of the steps matters (container.c's create).
 * clang 14's analyzer (make static) does not see the cleanup calls: a
 * malloc'd pointer that no other function takes would be reported leaked
 * at each return, so such a pointer keeps its explicit free. */
#ifndef ZRUN_CLEANUP_H
#define ZRUN_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Each runs after the return value is computed, and keeps errno: a caller
 * may still read the errno of the call that failed. */
static inline void freep(void *p)
{
	int saved = errno;

	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void fclosep(FILE **f)
{
	int saved = errno;

	if (*f != NULL)
		fclose(*f);
	errno = saved;
}

static inline void closedirp(DIR **d)
{
	int saved = errno;

	if (*d != NULL)
		closedir(*d);
	errno = saved;
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)       /* an fd, -1 for none */
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* What a cleanup variable holds, handed to the caller: the variable is
 * left empty (NULL, -1), so it releases nothing on the way out. */
#define TAKE_PTR(p) ({ __typeof__(p) taken_ = (p); (p) = NULL; taken_; })
#define TAKE_FD(fd) ({ int taken_ = (fd); (fd) = -1; taken_; })

#endif
