/* steer: which socket of a listener's SO_REUSEPORT group gets each new TCP
 * connection, decided in the kernel. Each version has its own socket of the
 * group; a BPF_PROG_TYPE_SK_REUSEPORT program (raw instructions, no clang)
 * hashes the 4-tuple to one of 100 slots, each naming a version's index in
 * a REUSEPORT_SOCKARRAY: a socket not in the array never gets a connection,
 * and the slots a version holds are its share, in percent. */
#ifndef ZRUN_STEER_H
#define ZRUN_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capacity.h"
#include "error.h"
#include "listener.h"

/* sockets (versions) of one group in the array: one per version */
#define STEER_SOCKS_MAX SERVICE_VERSIONS_MAX
#define STEER_SLOTS 100      /* one slot is one percent of the connections */
/* The index of the service's own socket: where a new connection waits when
 * the socket its slot names is gone (a version killed, before its restart
 * takes the slots over) or no version serves yet, as it would in the shared
 * socket. Slots never name it as a share. */
#define STEER_HOLD STEER_SOCKS_MAX

/* The maps and the program of one listener's group. The group keeps the
 * program once attached, and the program its maps: these fds are only
 * needed to change the steering, and may be closed. */
struct steer {
	int prog_fd;
	int socks_map;    /* REUSEPORT_SOCKARRAY: index -> socket */
	int slots_map;    /* ARRAY of STEER_SLOTS u32: slot -> index */
	int counts_map;   /* ARRAY of STEER_SOCKS_MAX u64: connections steered to index */
	int probe_map;    /* ARRAY of 1 {u32 port, u32 index + 1}: a probe's route */
};

#define STEER_MAPS 4  /* socks, slots, counts, probe: what a record names by id */

/* Can l's connections be steered on this host? 0, or -1 with err saying why
 * not, in the words service status uses ("unix listener", "ZRUN_STEER=off",
 * the kernel's refusal to load the program). */
int steer_supported(const struct listener *l, struct zrun_error *err);

/* A socket of l's group: SO_REUSEPORT (and SO_REUSEADDR), bound, listening,
 * O_CLOEXEC. Until it is added, it gets no connection of a group with a
 * program attached (steer_attach). */
int steer_socket_open(const struct listener *l, struct zrun_error *err);
/* The group's first socket (the service's): the same, but the address must
 * be free, as for a plain listener (EADDRINUSE when anything listens there,
 * a group of another service included). */
int steer_group_open(const struct listener *l, struct zrun_error *err);

/* Make the maps and load the program (every slot names index 0, which is
 * empty until steer_add: no connection is accepted before one is added).
 * s is all -1 on failure. */
int steer_create(struct steer *s, struct zrun_error *err);

/* Attach s's program to the group of sock (any socket of it, listening). */
int steer_attach(const struct steer *s, int sock, struct zrun_error *err);

/* Put sock (listening, in the group) at index, or take index out: from
 * then on it gets no new connection; those in its queue stay for it to
 * accept, and are migrated to a socket the program picks when it closes
 * (the select-or-migrate attach type). Take an index out of every slot
 * (steer_set_shares) before removing it, or its slots' connections are
 * dropped (the client's SYN is retried) until they name another. */
int steer_add(const struct steer *s, unsigned index, int sock, struct zrun_error *err);
int steer_remove(const struct steer *s, unsigned index, struct zrun_error *err);
/* The service's own socket at STEER_HOLD (again after it listens again: a
 * socket that stops listening leaves the array). */
int steer_hold(const struct steer *s, int sock, struct zrun_error *err);

/* Give index[i] percent[i] of the slots (the percents add up to 100). */
int steer_set_shares(const struct steer *s, const unsigned *index, const unsigned *percent, size_t n,
		     struct zrun_error *err);

/* The share of each index, read back from the slots (percent[STEER_SOCKS_MAX]). */
int steer_get_shares(const struct steer *s, unsigned *percent, struct zrun_error *err);

/* Is index in the socket array? */
bool steer_has(const struct steer *s, unsigned index);
/* The cookie of the socket at index (the kernel's id of a socket, never
 * reused while the host runs), 0 when there is none. */
uint64_t steer_cookie(const struct steer *s, unsigned index);

/* Connections the program steered to index since the maps were made
 * (a probe's are not counted). */
uint64_t steer_count(const struct steer *s, unsigned index);

/* An index not in the socket array, or -1 with err when all are taken. */
int steer_free_index(const struct steer *s, struct zrun_error *err);

/* Give the slots evenly to the n indexes (none: every slot names
 * STEER_SOCKS_MAX, no socket: new connections are dropped and retried). */
int steer_serve(const struct steer *s, const unsigned *index, size_t n, struct zrun_error *err);

/* Connections from TCP source port `port` (of any address) go to index,
 * whatever the slots say; port 0 ends the route. For a probe, which binds
 * its port first (an explicitly bound port is never handed to another
 * local connect, so only a remote client that happens to use the same
 * port while the probe runs can follow the route). */
int steer_probe_route(const struct steer *s, uint16_t port, unsigned index, struct zrun_error *err);

/* The ids of the maps (socks, slots, counts, probe), which a record keeps;
 * and the maps again from them (root), checked to be steer's. The
 * program is not kept: the group holds it, and it holds the maps. */
int steer_map_ids(const struct steer *s, uint32_t ids[STEER_MAPS], struct zrun_error *err);
int steer_open_ids(struct steer *s, const uint32_t ids[STEER_MAPS], struct zrun_error *err);

/* The program again, over the maps of those ids (an fd, O_CLOEXEC): for the
 * supervisor, which attaches it to the group at each look, since a version
 * can replace the group's program from its own socket (SO_ATTACH_REUSEPORT_*
 * on any socket of a group acts on the group). */
int steer_program(const uint32_t ids[STEER_MAPS], struct zrun_error *err);

void steer_close(struct steer *s);

#endif
