/* The supervisor's protocol table (src/service/protocol.h): every message
 * type encodes and decodes back to itself over a real socket, each on its
 * own channel only; every malformed message (unknown opcode, the wrong
 * channel, an id missing, invalid or where none belongs, a NUL inside, too
 * many or too few fds, too long) is refused and every fd it brought is
 * closed, counted through /proc/self/fd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdmsg.h"
#include "protocol.h"
#include "unit.h"

#define N_LISTENERS 3

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
}

/* A message of op that fits its type: an id of its kind, its fds. */
static struct proto_msg sample(enum proto_op op)
{
	const struct proto_type *t = &proto_types[op];
	struct proto_msg m = { .op = op };
	int n = t->fds == PROTO_FDS_LISTENERS ? N_LISTENERS : t->fds;

	if (t->id == PROTO_ID_CONTAINER)
		snprintf(m.id, sizeof(m.id), "api-v2.1_x+y");
	else if (t->id == PROTO_ID_LISTENER)
		snprintf(m.id, sizeof(m.id), "%d", N_LISTENERS - 1);
	for (int i = 0; i < n; i++)
		m.fds[m.nfds++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return m;
}

TEST(every_type_round_trips_on_its_channel)
{
	int sv[2];

	pair(sv);
	int before = unit_open_fds();
	for (int op = 0; op < PROTO_OPS; op++) {
		const struct proto_type *t = &proto_types[op];
		struct proto_msg m = sample((enum proto_op)op), got = { .op = PROTO_OPS };
		CHECK(t->name != NULL && t->opcode != 0);
		CHECK_INT(proto_send(sv[0], &m, N_LISTENERS), 0);
		fdmsg_close(m.fds, m.nfds);
		if (proto_recv(sv[1], t->channel, N_LISTENERS, &got, MSG_DONTWAIT) < 0) {
			printf("#   %s: refused (errno %d)\n", t->name, errno);
			unit_case_failed = 1;
			continue;
		}
		CHECK_INT(got.op, op);
		CHECK_STR(got.id, m.id);
		CHECK_INT(got.nfds, m.nfds);
		for (size_t i = 0; i < got.nfds; i++)
			CHECK(fcntl(got.fds[i], F_GETFD) & FD_CLOEXEC);
		fdmsg_close(got.fds, got.nfds);
	}
	CHECK_INT(unit_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

TEST(one_opcode_per_channel_and_every_request_has_a_reply_type)
{
	for (int a = 0; a < PROTO_OPS; a++) {
		for (int b = a + 1; b < PROTO_OPS; b++)
			if (proto_types[a].channel == proto_types[b].channel)
				CHECK(proto_types[a].opcode != proto_types[b].opcode);
		enum proto_op r = proto_types[a].reply;
		if (proto_types[a].channel == PROTO_REQUEST && a != PROTO_QUIT)
			CHECK(r < PROTO_OPS && proto_types[r].channel == PROTO_REPLY);
	}
}

TEST(encode_refuses_a_message_that_does_not_fit_its_type)
{
	char buf[PROTO_MSG_MAX];
	struct proto_msg m = { .op = PROTO_LOG, .fds = { 0 }, .nfds = 1 };

	CHECK_INT(proto_encode(&m, N_LISTENERS, buf, sizeof(buf)), -1);        /* no id */
	snprintf(m.id, sizeof(m.id), "../x");
	CHECK_INT(proto_encode(&m, N_LISTENERS, buf, sizeof(buf)), -1);        /* a path */
	snprintf(m.id, sizeof(m.id), "v1");
	m.nfds = 0;
	CHECK_INT(proto_encode(&m, N_LISTENERS, buf, sizeof(buf)), -1);        /* no fd */
	m.nfds = 1;
	CHECK_INT(proto_encode(&m, N_LISTENERS, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "Lv1", 3) == 0);
	struct proto_msg f = { .op = PROTO_FETCH, .id = "x" };
	CHECK_INT(proto_encode(&f, N_LISTENERS, buf, sizeof(buf)), -1);        /* an id where none goes */
	struct proto_msg l = { .op = PROTO_LISTENERS, .nfds = N_LISTENERS - 1 };
	CHECK_INT(proto_encode(&l, N_LISTENERS, buf, sizeof(buf)), -1);        /* a listener short */
	struct proto_msg a = { .op = PROTO_KEEP_LISTENER, .id = "3", .nfds = 1 };
	CHECK_INT(proto_encode(&a, N_LISTENERS, buf, sizeof(buf)), -1);        /* no listener 3 */
	struct proto_msg bad = { .op = PROTO_OPS };
	CHECK_INT(proto_encode(&bad, N_LISTENERS, buf, sizeof(buf)), -1);
}

/* raw bytes with nfds copies of /dev/null, decoded on ch: refused, none left open */
static void refused(enum proto_channel ch, const char *what, const char *bytes, size_t len, size_t nfds)
{
	int sv[2];
	struct proto_msg m;

	pair(sv);
	int before = unit_open_fds();
	int fds[PROTO_FDS_MAX + 4];
	for (size_t i = 0; i < nfds; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fdmsg_send(sv[0], bytes, len, fds, nfds) != (ssize_t)len)
		abort();
	fdmsg_close(fds, nfds);
	errno = 0;
	int r = proto_recv(sv[1], ch, N_LISTENERS, &m, MSG_DONTWAIT);
	if (r != -1 || errno != EBADMSG || unit_open_fds() != before) {
		printf("#   %s: expected refused (-1, EBADMSG) and %d fds open, saw %d (errno %d) and %d open\n", what,
		       before, r, errno, unit_open_fds());
		unit_case_failed = 1;
		if (r == 0)
			fdmsg_close(m.fds, m.nfds);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(each_malformed_message_is_refused_and_its_fds_closed)
{
	char longer[PROTO_MSG_MAX + 8];

	memset(longer, 'a', sizeof(longer));
	longer[0] = 'L';
	refused(PROTO_REQUEST, "unknown opcode", "Zv1", 3, 1);
	refused(PROTO_REQUEST, "a reply sent as a request", "E", 1, 0);
	refused(PROTO_REQUEST, "a keep tag sent as a request", "A0", 2, 1);
	refused(PROTO_KEEP, "a request sent to the fdstore", "F", 1, 0);
	refused(PROTO_REQUEST, "log without an id", "L", 1, 1);
	refused(PROTO_REQUEST, "log with an id that climbs out of logs/", "L../../x", 8, 1);
	refused(PROTO_REQUEST, "log with a NUL inside", "Lv1\0../x", 8, 1);
	refused(PROTO_REQUEST, "log without its fd", "Lv1", 3, 0);
	refused(PROTO_REQUEST, "log with two fds", "Lv1", 3, 2);
	refused(PROTO_REQUEST, "notify with more fds than a message takes", "Sv1", 3, PROTO_FDS_MAX + 2);
	refused(PROTO_REQUEST, "fetch with an fd", "F", 1, 1);
	refused(PROTO_REQUEST, "quit with a tail", "Qjunk", 5, 0);
	refused(PROTO_REQUEST, "ping with a newline", "P\n", 2, 0);
	refused(PROTO_REQUEST, "longer than any message", longer, sizeof(longer), 1);
	refused(PROTO_REPLY, "listeners, one short", "F", 1, N_LISTENERS - 1);
	refused(PROTO_REPLY, "listeners, one too many", "F", 1, N_LISTENERS + 1);
	refused(PROTO_KEEP, "a listener index past the last", "A3", 2, 1);
	refused(PROTO_KEEP, "a listener index that is no number", "A1x", 3, 1);
	refused(PROTO_KEEP, "a listener index with a sign", "A-1", 3, 1);
	refused(PROTO_KEEP, "end with an fd", ".", 1, 1);
}

TEST(an_empty_message_is_the_end_not_a_request)
{
	int sv[2];
	struct proto_msg m;

	pair(sv);
	close(sv[0]);
	errno = 0;
	CHECK_INT(proto_recv(sv[1], PROTO_REQUEST, N_LISTENERS, &m, MSG_DONTWAIT), -1);
	CHECK_INT(errno, ECONNRESET);
	close(sv[1]);
}

int main(void)
{
	RUN(every_type_round_trips_on_its_channel);
	RUN(one_opcode_per_channel_and_every_request_has_a_reply_type);
	RUN(encode_refuses_a_message_that_does_not_fit_its_type);
	RUN(each_malformed_message_is_refused_and_its_fds_closed);
	RUN(an_empty_message_is_the_end_not_a_request);
	UNIT_DONE();
}
