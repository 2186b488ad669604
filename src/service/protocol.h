/* protocol: every message of a service's two sockets as one typed table.
 * supervisor.sock carries requests from zrun commands to the supervisor and
 * its replies; the supervisor's line to its fdstore carries the fds the
 * fdstore keeps (and the fds a new supervisor starts with, see fdstore.h).
 * A message is an opcode byte, an id for the kinds that name one, and the
 * fds the table says it brings. Both sides go through proto_send and
 * proto_recv (fdmsg.h underneath): a message is taken whole or refused with
 * every fd it brought closed. */
#ifndef ZRUN_PROTOCOL_H
#define ZRUN_PROTOCOL_H

#include <stddef.h>
#include <sys/types.h>

#include "capacity.h"
#include "state.h"

/* Which socket a message travels on: its opcode means something only there. */
enum proto_channel {
	PROTO_REQUEST,   /* a zrun command -> the supervisor (supervisor.sock) */
	PROTO_REPLY,     /* the supervisor -> that command */
	PROTO_KEEP,      /* the supervisor <-> its fdstore: an fd to keep or start with */
};

enum proto_op {
	/* requests */
	PROTO_FETCH,          /* 'F': the listeners, please */
	PROTO_QUIT,           /* 'Q': the service's last version is gone: exit */
	PROTO_PING,           /* 'P': are you there */
	PROTO_RESCAN,         /* 'R': look at the versions again */
	PROTO_LOG,            /* 'L' ID + a version's log pipe (read end) */
	PROTO_NOTIFY,         /* 'S' ID + a version's seccomp notify fd (--intercept) */
	/* replies */
	PROTO_LISTENERS,      /* 'F' + the service's listeners, in order */
	PROTO_PONG,           /* 'P' */
	PROTO_RESCANNED,      /* 'R' */
	PROTO_LOG_TAKEN,      /* 'L' */
	PROTO_NOTIFY_TAKEN,   /* 'S' */
	PROTO_REFUSED,        /* 'E': malformed, or the supervisor cannot take it */
	/* kept fds */
	PROTO_KEEP_LOG,       /* 'L' ID + the read end of version ID's log pipe */
	PROTO_KEEP_NOTIFY,    /* 'S' ID + version ID's seccomp notify fd */
	PROTO_KEEP_LISTENER,  /* 'A' N + a new socket for listener N (one a version shut down) */
	PROTO_KEEP_END,       /* '.': no more kept fds (the end of a new supervisor's set) */
	PROTO_OPS
};

/* What follows the opcode byte. */
enum proto_id {
	PROTO_ID_NONE,        /* nothing: the message is the opcode alone */
	PROTO_ID_CONTAINER,   /* a valid container id (it names ID.log in the log dir: never "../x") */
	PROTO_ID_LISTENER,    /* a listener index, decimal, below the service's count */
};

/* fds count of a message that brings the service's listeners, as many as it has */
#define PROTO_FDS_LISTENERS (-1)

struct proto_type {
	enum proto_channel channel;
	char opcode;
	enum proto_id id;
	int fds;              /* exactly this many, or PROTO_FDS_LISTENERS */
	enum proto_op reply;  /* a request: the reply that says it was done (PROTO_OPS: none) */
	const char *name;
};

extern const struct proto_type proto_types[PROTO_OPS];

/* How long a command waits for the supervisor's reply, and the supervisor
 * for a client's request once it connected. */
#define PROTO_REPLY_TIMEOUT_MS 2000

/* The most fds a message brings: a service's listeners. */
#define PROTO_FDS_MAX LISTENER_MAX
/* The longest message: opcode + id. */
#define PROTO_MSG_MAX (1 + STATE_ID_MAX)

struct proto_msg {
	enum proto_op op;
	char id[STATE_ID_MAX + 1];
	int fds[PROTO_FDS_MAX];
	size_t nfds;
};

/* The bytes of m into buf (no NUL added): their count, or -1 (EINVAL) when
 * m does not fit its type (an id missing or invalid, a wrong fd count;
 * n_listeners for PROTO_FDS_LISTENERS and PROTO_ID_LISTENER). */
ssize_t proto_encode(const struct proto_msg *m, size_t n_listeners, char *buf, size_t len);

/* A received message on channel ch into m (its fds then m's): 0, or -1
 * (EBADMSG) with every one of fds closed when it is no message of ch or
 * does not fit its type. */
int proto_decode(enum proto_channel ch, size_t n_listeners, const char *buf, size_t len, const int *fds,
		 size_t nfds, struct proto_msg *m);

/* Encode and send m with its fds (the caller keeps them): 0 or -1 (errno). */
int proto_send(int sock, const struct proto_msg *m, size_t n_listeners);

/* Receive one message of ch and decode it; flags are recvmsg's. 0, or -1:
 * errno EBADMSG for a message refused (too long, too many fds, malformed;
 * its fds closed), ECONNRESET for the end of the stream or an empty
 * message, else the socket's error. */
int proto_recv(int sock, enum proto_channel ch, size_t n_listeners, struct proto_msg *m, int flags);

/* A message of op with no id and no fd (a request, a plain reply). */
int proto_send_op(int sock, enum proto_op op);

#endif
