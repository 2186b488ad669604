/* Misbehaviours of the demo httpd, on purpose: what a hostile or clumsy
 * version does to the others, for the tests of docs/hardening.md. */
#ifndef HTTPD_MISBEHAVE_H
#define HTTPD_MISBEHAVE_H

/* Bind the abstract unix datagram name NAME ("@..." or without the @) and
 * hold it for the process's life: a squatter of other versions' names. */
void misbehave_bind_abstract(const char *who, const char *name);

/* shutdown(fd, SHUT_RDWR) on each listener: the C idiom that wakes acceptor
 * threads while draining, which on a socket shared with other processes
 * stops the listening socket itself, for everyone who holds it. */
void misbehave_shutdown_listeners(const char *who, const int *fds, int n);

/* Change each listener as WHAT says (backlog=N, filter, locked-filter,
 * linger, rcvtimeo, sndtimeo, rcvbuf, sndbuf, rcvlowat, reuseport,
 * reuseport-steal, defer-accept, fastopen, maxseg, user-timeout): what a
 * version can do to the socket it shares, that no poll event shows. Says
 * each on stderr. */
void misbehave_sabotage(const char *who, const int *fds, int n, const char *const *what, int n_what);

#endif
