/* intercept: --intercept, for programs that bind their own port instead of
 * taking LISTEN_FDS. The version's seccomp filter sends bind(2) and
 * listen(2) to the service's supervisor (user notification), which answers
 * them here: a bind of one of the service's addresses gets the shared
 * listening socket in place of the program's own (SECCOMP_IOCTL_NOTIF_ADDFD),
 * a listen on it succeeds without touching the shared backlog, and every
 * other call runs as the program made it. See docs/intercept.md. */
#ifndef ZRUN_INTERCEPT_H
#define ZRUN_INTERCEPT_H

#include <poll.h>
#include <stddef.h>

#include "capacity.h"
#include "error.h"
#include "spec.h"

/* ---- zrun create ---- */

/* Add the notify rules for bind and listen to spec's seccomp profile
 * (merged; the bundle's own rules keep precedence, a conflict is an error).
 * note is recorded as linux.seccomp.listenerPath (the supervisor's socket). */
int intercept_prepare_spec(struct spec *spec, const char *note, struct zrun_error *err);

/* The kernel has what the supervisor needs: user notification, the CONTINUE
 * answer (Linux 5.5) and SECCOMP_IOCTL_NOTIF_ADDFD with SETFD (5.9),
 * checked on the version's own notify fd. Test hook: fault point
 * intercept-addfd (ZRUN_TEST_FAULT=intercept-addfd:fail=EINVAL) makes the
 * ADDFD check fail. */
int intercept_check_kernel(int notify_fd, struct zrun_error *err);

/* ---- the supervisor ---- */

struct interceptor;

/* fds: the supervisor's listening sockets (borrowed, they outlive it). */
struct interceptor *intercept_new(const int *fds, size_t n);
/* The notify fd of version id (owned from now on; one of the same id
 * before it is replaced: a restarted version). 0, or -1 when full. */
int intercept_add(struct interceptor *ic, const char *id, int notify_fd);
/* The fds to poll, and after poll the same p/n with revents. */
size_t intercept_pollfds(struct interceptor *ic, struct pollfd *p, size_t max);
void intercept_handle(struct interceptor *ic, const struct pollfd *p, size_t n);

#endif
