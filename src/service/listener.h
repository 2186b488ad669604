/* listener: a service's listening sockets. Parses `--listen
 * [NAME=]tcp://HOST:PORT | unix:PATH`, makes the sockets (in the namespace
 * zrun runs in), and tells a socket's identity (inode) for the probes. */
#ifndef ZRUN_LISTENER_H
#define ZRUN_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "capacity.h"
#include "error.h"

#define LISTENER_BACKLOG 4096

enum listener_kind { LISTENER_TCP, LISTENER_UNIX };

struct listener {
	char name[64];            /* LISTEN_FDNAMES entry; default "l0", "l1", ... */
	char url[512];            /* as the user wrote it, without the name */
	enum listener_kind kind;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[256];           /* tcp: as written, without brackets */
	int port;                 /* tcp */
	char path[108];           /* unix */
};

/* Parse one --listen value; index names it when no NAME= is given. */
int listener_parse(const char *spec, int index, struct listener *out, struct zrun_error *err);

/* Make the listening socket (O_CLOEXEC, SO_REUSEADDR, backlog 4096).
 * "address already in use" names the address. */
int listener_open(const struct listener *l, struct zrun_error *err);

/* Enter the network namespace at path (or nsfd, when >= 0): sockets made
 * until listener_netns_leave belong to it (a pod's listeners, a probe's
 * connection to them). Returns this thread's namespace as an fd to go back
 * to, or -1 with err. */
int listener_netns_enter(const char *path, int nsfd, struct zrun_error *err);
void listener_netns_leave(int back);
/* The network namespace of socket fd (SIOCGSKNS), O_CLOEXEC; -1 when it is
 * this thread's own (or cannot be told). */
int listener_netns_of(int fd);

/* Does the socket still take connections? (SO_ACCEPTCONN, and no
 * shutdown(2) seen by poll: a version may shut the shared socket down) */
bool listener_listening(int fd);

/* Make the listening socket fd take connections again after a holder shut
 * it down: listen() again (TCP), else a new socket bound to l's address
 * put at fd's number (dup3). 0: the same socket listens again; 1: a new
 * socket is at fd (the other holders keep the dead one); -1: err. */
int listener_repair(const struct listener *l, int fd, struct zrun_error *err);

/* Put a new socket bound to l's address at fd's number (dup3), shutting
 * the old one down first (TCP: it would hold the port): the other holders
 * keep the dead one. For a listener a version broke beyond repair. */
int listener_replace(const struct listener *l, int fd, struct zrun_error *err);

/* The inode of a socket fd (what /proc/PID/fd shows as socket:[N]). */
unsigned long listener_inode(int fd);

/* Two listener sets are the same service: same count, same urls in order. */
bool listener_sets_equal(const struct listener *a, size_t na, const struct listener *b, size_t nb);

#endif
