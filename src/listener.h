/* listener: a service's listening sockets. Parses `--listen
 * [NAME=]tcp://HOST:PORT | unix:PATH`, makes the sockets (in the namespace
 * zrun runs in), and tells a socket's identity (inode) for the probes. */
#ifndef ZRUN_LISTENER_H
#define ZRUN_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "error.h"

#define LISTENER_MAX 16

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

/* The inode of a socket fd (what /proc/PID/fd shows as socket:[N]). */
unsigned long listener_inode(int fd);

/* Two listener sets are the same service: same count, same urls in order. */
bool listener_sets_equal(const struct listener *a, size_t na, const struct listener *b, size_t nb);

#endif
