/* steer: a listener's SO_REUSEPORT group steered by the SK_REUSEPORT
 * program, on loopback with real connections (ports 32000-32099, this
 * suite's raw range): who gets them, in what shares, and what becomes of
 * the connections queued at a socket that leaves. Needs root (bpf). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "steer.h"
#include "unit.h"

#define PORT_BASE 32000

static struct listener tcp_listener(int port)
{
	struct listener l;
	struct zrun_error err;
	char spec[64];

	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d", port);
	if (listener_parse(spec, 0, &l, &err) < 0)
		abort();
	return l;
}

/* Why the last client() failed, for the message: a guest whose loopback
 * is down fails every connect (ENETUNREACH), not only the dropped ones. */
static const char *client_failure = "";

/* A connected client (reset on close: no TIME_WAIT to exhaust the ports),
 * or -1 when the connection is not made within wait_ms. It comes from a
 * random address of 127/8: the kernel hands out ephemeral ports in a fixed
 * order, so from one address a run sees nearly the same 4-tuples (the same
 * hashes) as the last, and its error is the same every run. */
static int client(const struct listener *l, int wait_ms)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int so_err = 0;
	socklen_t len = sizeof(so_err);

	struct sockaddr_in from = { .sin_family = AF_INET };

	from.sin_addr.s_addr = htonl(0x7f000000u | (((uint32_t)random() % 0xfffffeu) + 1));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (bind(fd, (const struct sockaddr *)&from, sizeof(from)) < 0 ||
	    (connect(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0 && errno != EINPROGRESS)) {
		client_failure = strerror(errno);
		close(fd);
		return -1;
	}
	if (poll(&p, 1, wait_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) < 0 || so_err != 0) {
		client_failure = so_err != 0 ? strerror(so_err) : "not connected in time";
		close(fd);
		return -1;
	}
	return fd;
}

/* Which of the n sockets has a connection to accept (accepted and closed)? */
static int accepted_by(const int *socks, int n, int wait_ms)
{
	struct pollfd p[8];

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = socks[i], .events = POLLIN };
	if (poll(p, (nfds_t)n, wait_ms) <= 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (p[i].revents & POLLIN) {
			int c = accept4(socks[i], NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				close(c);
			return c >= 0 ? i : -1;
		}
	return -1;
}

/* Make conns connections; seen[i]: how many socket i accepted. Stops at
 * the tenth failed connect: with every connect failing, 20000 of them would
 * take hours in an emulated guest, and the counts fail the test anyway. */
static void spread(const struct listener *l, const int *socks, int n, int conns, int *seen)
{
	int failed = 0;

	for (int i = 0; i < n; i++)
		seen[i] = 0;
	for (int k = 0; k < conns && failed < 10; k++) {
		int c = client(l, 1000);
		int who = c >= 0 ? accepted_by(socks, n, 1000) : -1;
		if (who >= 0)
			seen[who]++;
		if (c >= 0)
			close(c);
		else
			failed++;
	}
	if (failed > 0)
		printf("#   %d connects failed (the last: %s)\n", failed, client_failure);
}

/* A group of n sockets on port with the program attached; none in the map. */
static int group(const struct listener *l, struct steer *s, int *socks, int n)
{
	struct zrun_error err;

	if (steer_create(s, &err) < 0) {
		printf("#   steer_create: %s\n", err.msg);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		socks[i] = steer_socket_open(l, &err);
		if (socks[i] < 0) {
			printf("#   steer_socket_open: %s\n", err.msg);
			return -1;
		}
	}
	if (steer_attach(s, socks[0], &err) < 0) {
		printf("#   steer_attach: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void ungroup(struct steer *s, int *socks, int n)
{
	for (int i = 0; i < n; i++)
		if (socks[i] >= 0)
			close(socks[i]);
	steer_close(s);
}

TEST(no_socket_in_the_map_no_connection_is_accepted)
{
	struct listener l = tcp_listener(PORT_BASE + 1);
	struct steer s;
	int socks[2] = { -1, -1 };

	CHECK(group(&l, &s, socks, 2) == 0);
	/* SK_DROP: the kernel answers the SYN with a reset (no SYN retry to
	 * wait for), it does not queue it */
	int c = client(&l, 300);
	if (c >= 0)
		printf("#   expected no connection while the map is empty, saw one accepted by socket %d\n",
		       accepted_by(socks, 2, 100));
	CHECK(c < 0);
	/* refused by the program, not unreachable (a loopback that is down) */
	CHECK_STR(client_failure, strerror(ECONNREFUSED));
	if (c >= 0)
		close(c);
	ungroup(&s, socks, 2);
}

TEST(a_socket_not_in_the_map_never_gets_a_connection)
{
	struct listener l = tcp_listener(PORT_BASE + 2);
	struct zrun_error err;
	struct steer s;
	int socks[3] = { -1, -1, -1 }, seen[3];
	unsigned index[] = { 0, 1 }, percent[] = { 50, 50 };

	CHECK(group(&l, &s, socks, 3) == 0);
	CHECK(steer_add(&s, 0, socks[0], &err) == 0);
	CHECK(steer_add(&s, 1, socks[1], &err) == 0);
	CHECK(steer_set_shares(&s, index, percent, 2, &err) == 0);
	CHECK(steer_has(&s, 1) && !steer_has(&s, 2));
	spread(&l, socks, 3, 2000, seen);
	printf("#   2000 connections: in the map %d and %d, not in the map %d (expected 0)\n", seen[0], seen[1],
	       seen[2]);
	CHECK_INT(seen[2], 0);
	CHECK_INT(seen[0] + seen[1], 2000);
	ungroup(&s, socks, 3);
}

TEST(shares_are_honoured_within_one_point)
{
	struct listener l = tcp_listener(PORT_BASE + 3);
	struct zrun_error err;
	struct steer s;
	int socks[2] = { -1, -1 }, seen[2];
	unsigned index[] = { 0, 1 }, percent[] = { 10, 90 }, back[STEER_SOCKS_MAX];
	const int conns = 20000;

	CHECK(group(&l, &s, socks, 2) == 0);
	CHECK(steer_add(&s, 0, socks[0], &err) == 0);
	CHECK(steer_add(&s, 1, socks[1], &err) == 0);
	CHECK(steer_set_shares(&s, index, percent, 2, &err) == 0);
	CHECK(steer_get_shares(&s, back, &err) == 0);
	CHECK_INT(back[0], 10);
	CHECK_INT(back[1], 90);
	spread(&l, socks, 2, conns, seen);
	double share = 100.0 * seen[0] / conns;
	printf("#   asked 10%%, saw %.2f%% (%d of %d); the program counted %llu and %llu\n", share, seen[0], conns,
	       (unsigned long long)steer_count(&s, 0), (unsigned long long)steer_count(&s, 1));
	CHECK(share >= 9.0 && share <= 11.0);
	CHECK_INT(seen[0] + seen[1], conns);
	CHECK_INT(steer_count(&s, 0), seen[0]);
	CHECK_INT(steer_count(&s, 1), seen[1]);
	ungroup(&s, socks, 2);
}

/* A bare ACK from a 4-tuple with no socket (as a client's late segment
 * after the server's side went), through a raw socket. */
static int stray_ack(const struct listener *l)
{
	const struct sockaddr_in *to = (const struct sockaddr_in *)&l->addr;
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002u) };
	struct tcphdr th = { .source = htons(40999), .dest = to->sin_port, .seq = htonl(1), .ack_seq = htonl(1),
			     .doff = 5, .ack = 1, .window = htons(1024) };
	/* the checksum over the pseudo-header and the header */
	uint32_t sum = (ntohl(from.sin_addr.s_addr) >> 16) + (ntohl(from.sin_addr.s_addr) & 0xffff) +
		       (ntohl(to->sin_addr.s_addr) >> 16) + (ntohl(to->sin_addr.s_addr) & 0xffff) + IPPROTO_TCP +
		       sizeof(th);
	const uint16_t *w = (const uint16_t *)&th;
	for (size_t i = 0; i < sizeof(th) / 2; i++)
		sum += ntohs(w[i]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	th.check = htons((uint16_t)~sum);
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&from, sizeof(from)) < 0 ||
	    sendto(fd, &th, sizeof(th), 0, (const struct sockaddr *)to, sizeof(*to)) != (ssize_t)sizeof(th)) {
		printf("#   the raw ACK: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The counts are of connections: a segment that finds no socket of its own
 * goes through the program too (the kernel answers it with a reset). */
TEST(a_segment_that_is_not_a_syn_is_steered_but_not_counted)
{
	struct listener l = tcp_listener(PORT_BASE + 8);
	struct zrun_error err;
	struct steer s;
	int socks[1] = { -1 };
	unsigned only[] = { 0 };

	CHECK(group(&l, &s, socks, 1) == 0);
	CHECK(steer_add(&s, 0, socks[0], &err) == 0);
	CHECK(steer_serve(&s, only, 1, &err) == 0);
	int c = client(&l, 1000);
	CHECK(c >= 0 && accepted_by(socks, 1, 1000) == 0);
	CHECK(stray_ack(&l) == 0);
	usleep(100 * 1000); /* the ACK is taken in by the loopback's softirq */
	if (steer_count(&s, 0) != 1)
		printf("#   one connection and one stray ACK: expected a count of 1, saw %llu\n",
		       (unsigned long long)steer_count(&s, 0));
	CHECK_INT(steer_count(&s, 0), 1);
	if (c >= 0)
		close(c);
	ungroup(&s, socks, 1);
}

/* A version that leaves: out of the slots, out of the map, then closed
 * with connections still in its queue; they go to the ready socket. */
TEST(a_closing_socket_s_queued_connections_migrate_to_a_ready_one)
{
	struct listener l = tcp_listener(PORT_BASE + 4);
	struct zrun_error err;
	struct steer s;
	int socks[2] = { -1, -1 }, clients[50], made = 0;
	unsigned only_old[] = { 0 }, only_new[] = { 1 }, all[] = { 100 };

	CHECK(group(&l, &s, socks, 2) == 0);
	CHECK(steer_add(&s, 0, socks[0], &err) == 0);
	CHECK(steer_add(&s, 1, socks[1], &err) == 0);
	CHECK(steer_set_shares(&s, only_old, all, 1, &err) == 0);
	for (int k = 0; k < 50; k++) {
		clients[k] = client(&l, 1000);
		made += clients[k] >= 0;
	}
	if (made != 50)
		printf("#   expected 50 connections queued, made %d (the last failure: %s)\n", made, client_failure);
	CHECK_INT(made, 50);
	CHECK(steer_set_shares(&s, only_new, all, 1, &err) == 0);
	CHECK(steer_remove(&s, 0, &err) == 0);
	close(socks[0]);
	socks[0] = -1;
	/* accepted_by polls: a connection that was not migrated (reset, or
	 * not made) must fail the test, not block it in accept() */
	int got = 0;
	while (got < 50 && accepted_by(&socks[1], 1, 1000) == 0)
		got++;
	printf("#   50 connections queued at the closed socket: %d accepted by the ready one (expected 50)\n", got);
	CHECK_INT(got, 50);
	for (int k = 0; k < 50; k++)
		if (clients[k] >= 0)
			close(clients[k]);
	ungroup(&s, socks, 2);
}

/* The probe's connection reaches the socket it proves, which holds no slot;
 * every other connection keeps to the slots. */
TEST(a_probe_s_port_reaches_a_socket_without_slots)
{
	struct listener l = tcp_listener(PORT_BASE + 6);
	struct zrun_error err;
	struct steer s;
	int socks[2] = { -1, -1 }, seen[2];
	unsigned serving[] = { 0 };

	CHECK(group(&l, &s, socks, 2) == 0);
	CHECK(steer_add(&s, 0, socks[0], &err) == 0);
	CHECK(steer_add(&s, 1, socks[1], &err) == 0);
	CHECK(steer_serve(&s, serving, 1, &err) == 0);
	int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(from);
	CHECK(bind(probe, (struct sockaddr *)&from, sizeof(from)) == 0);
	CHECK(getsockname(probe, (struct sockaddr *)&from, &len) == 0);
	CHECK(steer_probe_route(&s, ntohs(from.sin_port), 1, &err) == 0);
	/* the others before the probe's: no late segment of the probe's
	 * connection (in an emulated guest under load one of 500 was seen at
	 * socket 1 when they came after it) can be taken for one of them */
	spread(&l, socks, 2, 500, seen);
	printf("#   500 other connections while the route is set: %d and %d (expected 500 and 0)\n", seen[0], seen[1]);
	CHECK_INT(seen[1], 0);
	CHECK(connect(probe, (const struct sockaddr *)&l.addr, l.addr_len) == 0);
	int who = accepted_by(socks, 2, 1000);
	if (who != 1)
		printf("#   the probe's connection: expected socket 1 (no slot), saw %d\n", who);
	CHECK_INT(who, 1);
	CHECK(steer_probe_route(&s, 0, 0, &err) == 0);
	CHECK_INT(steer_count(&s, 1), 0);
	close(probe);
	ungroup(&s, socks, 2);
}

TEST(serve_splits_the_slots_and_maps_reopen_by_id)
{
	struct listener l = tcp_listener(PORT_BASE + 7);
	struct zrun_error err;
	struct steer s, again;
	int socks[3] = { -1, -1, -1 };
	unsigned three[] = { 0, 1, 2 }, shares[STEER_SOCKS_MAX];
	uint32_t ids[STEER_MAPS];

	CHECK(group(&l, &s, socks, 3) == 0);
	for (unsigned i = 0; i < 3; i++)
		CHECK(steer_add(&s, i, socks[i], &err) == 0);
	CHECK_INT(steer_free_index(&s, &err), 3);
	CHECK(steer_serve(&s, three, 3, &err) == 0);
	CHECK(steer_map_ids(&s, ids, &err) == 0);
	CHECK(steer_open_ids(&again, ids, &err) == 0);
	CHECK(steer_get_shares(&again, shares, &err) == 0);
	printf("#   shares of 3 sockets: %u %u %u (expected 34 33 33)\n", shares[0], shares[1], shares[2]);
	CHECK(shares[0] == 34 && shares[1] == 33 && shares[2] == 33);
	CHECK(steer_serve(&again, NULL, 0, &err) == 0);
	CHECK(steer_get_shares(&s, shares, &err) == 0);
	CHECK(shares[0] == 0 && shares[1] == 0 && shares[2] == 0);
	uint32_t wrong[STEER_MAPS] = { ids[1], ids[0], ids[2], ids[3] };
	CHECK(steer_open_ids(&again, wrong, &err) < 0);
	steer_close(&again);
	ungroup(&s, socks, 3);
}

TEST(steering_off_and_unix_listeners_say_why)
{
	struct listener l = tcp_listener(PORT_BASE + 5), u;
	struct zrun_error err;

	setenv("ZRUN_STEER", "off", 1);
	CHECK(steer_supported(&l, &err) < 0);
	CHECK_STR(err.msg, "steering is off (ZRUN_STEER=off)");
	unsetenv("ZRUN_STEER");
	CHECK(listener_parse("unix:/run/zrun-steer-test.sock", 0, &u, &err) == 0);
	CHECK(steer_supported(&u, &err) < 0);
	CHECK_STR(err.msg, "unix:/run/zrun-steer-test.sock is a unix listener: a unix socket has no SO_REUSEPORT group");
	int r = steer_supported(&l, &err);
	if (r < 0)
		printf("#   this host cannot steer: %s\n", err.msg);
	CHECK_INT(r, 0);
}

int main(void)
{
	srandom((unsigned)getpid());
	RUN(no_socket_in_the_map_no_connection_is_accepted);
	RUN(a_socket_not_in_the_map_never_gets_a_connection);
	RUN(shares_are_honoured_within_one_point);
	RUN(a_segment_that_is_not_a_syn_is_steered_but_not_counted);
	RUN(a_closing_socket_s_queued_connections_migrate_to_a_ready_one);
	RUN(a_probe_s_port_reaches_a_socket_without_slots);
	RUN(serve_splits_the_slots_and_maps_reopen_by_id);
	RUN(steering_off_and_unix_listeners_say_why);
	UNIT_DONE();
}
