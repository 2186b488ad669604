#include "protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fdmsg.h"

#define NO_REPLY PROTO_OPS

const struct proto_type proto_types[PROTO_OPS] = {
	[PROTO_FETCH] = { PROTO_REQUEST, 'F', PROTO_ID_NONE, 0, PROTO_LISTENERS, "fetch" },
	[PROTO_QUIT] = { PROTO_REQUEST, 'Q', PROTO_ID_NONE, 0, NO_REPLY, "quit" },
	[PROTO_PING] = { PROTO_REQUEST, 'P', PROTO_ID_NONE, 0, PROTO_PONG, "ping" },
	[PROTO_RESCAN] = { PROTO_REQUEST, 'R', PROTO_ID_NONE, 0, PROTO_RESCANNED, "rescan" },
	[PROTO_LOG] = { PROTO_REQUEST, 'L', PROTO_ID_CONTAINER, 1, PROTO_LOG_TAKEN, "log" },
	[PROTO_NOTIFY] = { PROTO_REQUEST, 'S', PROTO_ID_CONTAINER, 1, PROTO_NOTIFY_TAKEN, "notify" },
	[PROTO_LISTENERS] = { PROTO_REPLY, 'F', PROTO_ID_NONE, PROTO_FDS_LISTENERS, NO_REPLY, "listeners" },
	[PROTO_PONG] = { PROTO_REPLY, 'P', PROTO_ID_NONE, 0, NO_REPLY, "pong" },
	[PROTO_RESCANNED] = { PROTO_REPLY, 'R', PROTO_ID_NONE, 0, NO_REPLY, "rescanned" },
	[PROTO_LOG_TAKEN] = { PROTO_REPLY, 'L', PROTO_ID_NONE, 0, NO_REPLY, "log taken" },
	[PROTO_NOTIFY_TAKEN] = { PROTO_REPLY, 'S', PROTO_ID_NONE, 0, NO_REPLY, "notify taken" },
	[PROTO_REFUSED] = { PROTO_REPLY, 'E', PROTO_ID_NONE, 0, NO_REPLY, "refused" },
	[PROTO_KEEP_LOG] = { PROTO_KEEP, 'L', PROTO_ID_CONTAINER, 1, NO_REPLY, "keep log" },
	[PROTO_KEEP_NOTIFY] = { PROTO_KEEP, 'S', PROTO_ID_CONTAINER, 1, NO_REPLY, "keep notify" },
	[PROTO_KEEP_LISTENER] = { PROTO_KEEP, 'A', PROTO_ID_LISTENER, 1, NO_REPLY, "keep listener" },
	[PROTO_KEEP_END] = { PROTO_KEEP, '.', PROTO_ID_NONE, 0, NO_REPLY, "end of kept fds" },
};

static bool id_valid(enum proto_id kind, const char *id, size_t n_listeners)
{
	struct zrun_error ignored;
	char *end;

	switch (kind) {
	case PROTO_ID_NONE:
		return id[0] == '\0';
	case PROTO_ID_CONTAINER:
		return state_validate_id(id, &ignored) == 0;
	case PROTO_ID_LISTENER:
		if (id[0] < '0' || id[0] > '9' || strlen(id) > 3)
			return false;
		return strtoul(id, &end, 10) < n_listeners && *end == '\0';
	}
	return false;
}

static bool fds_fit(const struct proto_type *t, size_t nfds, size_t n_listeners)
{
	return t->fds == PROTO_FDS_LISTENERS ? nfds == n_listeners : nfds == (size_t)t->fds;
}

ssize_t proto_encode(const struct proto_msg *m, size_t n_listeners, char *buf, size_t len)
{
	if ((unsigned)m->op >= PROTO_OPS)
		goto invalid;
	const struct proto_type *t = &proto_types[m->op];
	size_t id_len = strnlen(m->id, sizeof(m->id));
	if (id_len == sizeof(m->id) || !id_valid(t->id, m->id, n_listeners) ||
	    !fds_fit(t, m->nfds, n_listeners) || 1 + id_len > len)
		goto invalid;
	buf[0] = t->opcode;
	memcpy(buf + 1, m->id, id_len);
	return (ssize_t)(1 + id_len);
invalid:
	errno = EINVAL;
	return -1;
}

int proto_decode(enum proto_channel ch, size_t n_listeners, const char *buf, size_t len, const int *fds,
		 size_t nfds, struct proto_msg *m)
{
	/* a NUL would cut the id short of what was sent: "Lv1\0../x" */
	if (len < 1 || len > PROTO_MSG_MAX || nfds > PROTO_FDS_MAX || memchr(buf, '\0', len) != NULL)
		goto refused;
	for (int op = 0; op < PROTO_OPS; op++) {
		const struct proto_type *t = &proto_types[op];
		if (t->channel != ch || t->opcode != buf[0])
			continue;
		memcpy(m->id, buf + 1, len - 1);
		m->id[len - 1] = '\0';
		if (!id_valid(t->id, m->id, n_listeners) || !fds_fit(t, nfds, n_listeners))
			goto refused;
		m->op = (enum proto_op)op;
		memcpy(m->fds, fds, nfds * sizeof(int));
		m->nfds = nfds;
		return 0;
	}
refused:
	fdmsg_close(fds, nfds);
	errno = EBADMSG;
	return -1;
}

int proto_send(int sock, const struct proto_msg *m, size_t n_listeners)
{
	char buf[PROTO_MSG_MAX];
	ssize_t len = proto_encode(m, n_listeners, buf, sizeof(buf));

	if (len < 0)
		return -1;
	return fdmsg_send(sock, buf, (size_t)len, m->fds, m->nfds) == len ? 0 : -1;
}

int proto_send_op(int sock, enum proto_op op)
{
	struct proto_msg m = { .op = op };

	return proto_send(sock, &m, 0);
}

int proto_recv(int sock, enum proto_channel ch, size_t n_listeners, struct proto_msg *m, int flags)
{
	/* one byte more than the longest message: a longer one is cut, and
	 * fdmsg_recv refuses a cut message */
	char buf[PROTO_MSG_MAX + 1];
	int fds[PROTO_FDS_MAX];
	size_t nfds;
	ssize_t len = fdmsg_recv(sock, buf, sizeof(buf), fds, PROTO_FDS_MAX, &nfds, flags);

	if (len < 0)
		return -1;
	if (len == 0) {
		fdmsg_close(fds, nfds);
		errno = ECONNRESET;
		return -1;
	}
	return proto_decode(ch, n_listeners, buf, (size_t)len, fds, nfds, m);
}
