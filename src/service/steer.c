/* steer: the SK_REUSEPORT program and its maps, with raw bpf(2) (no libbpf,
 * no clang, no BTF), as runtime/cgroup_ebpf.c does for device rules. */
#include "steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STEER_LOG_SIZE 4096
#define STEER_PROG_MAX 90   /* the program is under 80 instructions */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_create(enum bpf_map_type type, uint32_t value_size, uint32_t entries, const char *name)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = sizeof(uint32_t);
	attr.value_size = value_size;
	attr.max_entries = entries;
	/* the map_name shows in bpftool: say whose it is */
	strncpy(attr.map_name, name, sizeof(attr.map_name) - 1);
	return (int)sys_bpf(BPF_MAP_CREATE, &attr);
}

static int map_update(int map, uint32_t key, const void *value, uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)value;
	attr.flags = flags;
	return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &attr);
}

static int map_lookup(int map, uint32_t key, void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)map;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* a 64-bit load of a map's fd (two instructions), which the verifier turns
 * into the map */
static size_t ld_map(struct bpf_insn *p, size_t n, uint8_t reg, int fd)
{
	p[n] = INSN(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, fd);
	p[n + 1] = INSN(0, 0, 0, 0, 0);
	return n + 2;
}

/* Forward jumps to a label, resolved when the label is placed. */
enum label { L_PORT, L_SLOTS, L_SELECT, L_HOLD, L_PASS, L_DROP, L_COUNT };

struct asm_ {
	struct bpf_insn *p;
	size_t n;
	size_t from[L_COUNT][4];
	size_t n_from[L_COUNT];
};

static void jump(struct asm_ *a, uint8_t op, uint8_t dst, uint8_t src, int32_t imm, enum label to)
{
	a->from[to][a->n_from[to]++] = a->n;
	a->p[a->n++] = INSN(BPF_JMP | op, dst, src, 0, imm);
}

static void place(struct asm_ *a, enum label l)
{
	for (size_t i = 0; i < a->n_from[l]; i++)
		a->p[a->from[l][i]].off = (int16_t)(a->n - a->from[l][i] - 1);
}

/* r0 = bpf_map_lookup_elem(map, the key at fp+off): NULL when none */
static void lookup(struct asm_ *a, int map, int16_t off)
{
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, off);
	a->n = ld_map(a->p, a->n, BPF_REG_1, map);
	a->p[a->n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
}

/* bpf_sk_select_reuseport(ctx in r6, socks, the index at fp-8, 0): r0 is
 * 0 when the socket at that index took the connection */
static void select_socket(struct asm_ *a, int socks_map)
{
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	a->n = ld_map(a->p, a->n, BPF_REG_2, socks_map);
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8);
	a->p[a->n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
	a->p[a->n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_select_reuseport);
}

#define EMIT(c, d, s, o, i) (a.p[a.n++] = INSN(c, d, s, o, i))
#define CTX(f) offsetof(struct sk_reuseport_md, f)

/* A probe's connection (its TCP source port is the one the probe map
 * names) goes to the socket being probed, which may hold no slot yet: the
 * probe proves the version itself, before any client reaches it. Then
 * slot = hash % 100; index = slots[slot]; select socks[index];
 * counts[index]++. The hash is the kernel's hash of the 4-tuple (the same
 * for a request migrated from a closing socket), so a client keeps its
 * version. A slot naming an empty index (its version was killed, or none
 * serves yet) holds the connection in the service's own socket
 * (STEER_HOLD), as the shared socket would, rather than let the kernel pick
 * any socket of the group, which may be a version that is not ready; with
 * no holding socket either (a service parked, down) the SYN is refused.
 * Only a SYN (or a migrated request) counts as a connection: any segment
 * that finds no socket of its own (an ACK or a reset after the server's
 * side closed) goes through the listener lookup, and so through this
 * program, too; in an emulated guest 3 of 20,000 connections were counted
 * twice so. */
static size_t build_program(struct bpf_insn *p, const struct steer *s)
{
	struct asm_ a = { .p = p };

	EMIT(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	/* the TCP header's source port, when the packet is there (a migrated
	 * request comes with an empty one) */
	EMIT(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_2, BPF_REG_6, CTX(data), 0);
	EMIT(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_3, BPF_REG_6, CTX(data_end), 0);
	/* r8 = 1 unless a SYN without ACK: steered, not counted */
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, 0);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0);
	EMIT(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, 14);
	jump(&a, BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0, L_PORT);
	EMIT(BPF_LDX | BPF_MEM | BPF_B, BPF_REG_4, BPF_REG_2, 13, 0);
	EMIT(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_4, 0, 0, 0x12);   /* SYN | ACK */
	jump(&a, BPF_JEQ | BPF_K, BPF_REG_4, 0, 0x02, L_PORT);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_8, 0, 0, 1);
	place(&a, L_PORT);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0);
	EMIT(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, 2);
	jump(&a, BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 0, L_SLOTS);
	EMIT(BPF_LDX | BPF_MEM | BPF_H, BPF_REG_7, BPF_REG_2, 0, 0);
	EMIT(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -12, 0);
	lookup(&a, s->probe_map, -12);
	jump(&a, BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_SLOTS);
	EMIT(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_0, 0, 0);
	jump(&a, BPF_JNE | BPF_X, BPF_REG_3, BPF_REG_7, 0, L_SLOTS);
	EMIT(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_0, 4, 0);
	jump(&a, BPF_JEQ | BPF_K, BPF_REG_3, 0, 0, L_SLOTS);
	EMIT(BPF_ALU | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -1);
	EMIT(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_3, -8, 0);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_7, 0, 0, 1);   /* r7 = 1: a probe's, not counted */
	jump(&a, BPF_JA, 0, 0, 0, L_SELECT);
	place(&a, L_SLOTS);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_8, 0, 0);
	EMIT(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, CTX(hash), 0);
	EMIT(BPF_ALU | BPF_MOD | BPF_K, BPF_REG_2, 0, 0, STEER_SLOTS);
	EMIT(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_2, -4, 0);
	lookup(&a, s->slots_map, -4);
	jump(&a, BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_DROP);
	EMIT(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_0, 0, 0);
	EMIT(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_3, -8, 0);
	place(&a, L_SELECT);
	select_socket(&a, s->socks_map);
	jump(&a, BPF_JNE | BPF_K, BPF_REG_0, 0, 0, L_HOLD);
	jump(&a, BPF_JNE | BPF_K, BPF_REG_7, 0, 0, L_PASS);
	lookup(&a, s->counts_map, -8);
	jump(&a, BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, L_PASS);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	EMIT(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	jump(&a, BPF_JA, 0, 0, 0, L_PASS);
	place(&a, L_HOLD);
	EMIT(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, STEER_HOLD);
	select_socket(&a, s->socks_map);
	jump(&a, BPF_JNE | BPF_K, BPF_REG_0, 0, 0, L_DROP);
	place(&a, L_PASS);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS);
	EMIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	place(&a, L_DROP);
	EMIT(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_DROP);
	EMIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return a.n;
}

static int load_program(const struct steer *s, struct zrun_error *err)
{
	struct bpf_insn insns[STEER_PROG_MAX];
	size_t n = build_program(insns, s);
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
	/* select-or-migrate (Linux 5.14): the requests left in a closing
	 * socket's queue go through the program to a socket in the array,
	 * instead of being reset (or, with tcp_migrate_req and no such
	 * program, given to any socket of the group, ready or not) */
	attr.expected_attach_type = BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"Apache";
	strncpy(attr.prog_name, "zrun_steer", sizeof(attr.prog_name) - 1);
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	/* again with the verifier's log, for the message */
	char log[STEER_LOG_SIZE] = "";
	int e = errno;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	return zrun_error_set(err, e, "steering: the kernel refused the SK_REUSEPORT program (select-or-migrate, "
			      "Linux >= 5.14)%s%.200s", log[0] ? ": " : "", log);
}

void steer_close(struct steer *s)
{
	int *fds[] = { &s->prog_fd, &s->socks_map, &s->slots_map, &s->counts_map, &s->probe_map };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int steer_create(struct steer *s, struct zrun_error *err)
{
	*s = (struct steer){ .prog_fd = -1, .socks_map = -1, .slots_map = -1, .counts_map = -1, .probe_map = -1 };
	/* BPF fds are O_CLOEXEC by the kernel (anon inodes made with it) */
	s->socks_map = map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, sizeof(uint64_t), STEER_HOLD + 1, "zrun_socks");
	if (s->socks_map < 0) {
		int e = errno;
		steer_close(s);
		return zrun_error_set(err, e, "steering: REUSEPORT_SOCKARRAY map");
	}
	s->slots_map = map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), STEER_SLOTS, "zrun_slots");
	s->counts_map = map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint64_t), STEER_SOCKS_MAX, "zrun_counts");
	s->probe_map = map_create(BPF_MAP_TYPE_ARRAY, 2 * sizeof(uint32_t), 1, "zrun_probe");
	if (s->slots_map < 0 || s->counts_map < 0 || s->probe_map < 0) {
		int e = errno;
		steer_close(s);
		return zrun_error_set(err, e, "steering: array map");
	}
	s->prog_fd = load_program(s, err);
	if (s->prog_fd < 0) {
		steer_close(s);
		return -1;
	}
	return 0;
}

int steer_supported(const struct listener *l, struct zrun_error *err)
{
	const char *env = getenv("ZRUN_STEER");
	struct steer s;

	if (env != NULL && strcmp(env, "off") == 0)
		return zrun_error_set(err, 0, "steering is off (ZRUN_STEER=off)");
	if (l->kind != LISTENER_TCP)
		return zrun_error_set(err, 0, "%s is a unix listener: a unix socket has no SO_REUSEPORT group", l->url);
	if (steer_create(&s, err) < 0)
		return -1;
	steer_close(&s);
	return 0;
}

/* A socket of l's group, listening. The group's first one (first) is bound
 * without SO_REUSEPORT, so that the port must be free: with it, the bind
 * joined any group already there (another service's, whose steering
 * program each supervisor then put back over the other's every second);
 * set after bind(), it still makes a group at listen(). The others set it
 * before bind(): the group is the sockets bound to one address with it set,
 * by one user. */
static int group_socket(const struct listener *l, bool first, struct zrun_error *err)
{
	int one = 1;

	if (l->kind != LISTENER_TCP)
		return zrun_error_set(err, 0, "listener %s: a unix socket has no SO_REUSEPORT group", l->url);
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return zrun_error_set(err, errno, "listener %s", l->url);
	int r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (r == 0 && !first)
		r = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (r == 0 && bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "listener %s%s", l->url,
				      e == EADDRINUSE && first ? ": another program or service listens there" : "");
	}
	if (r == 0 && first)
		r = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (r < 0 || listen(fd, LISTENER_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "listener %s: a socket of its SO_REUSEPORT group", l->url);
	}
	return fd;
}

int steer_group_open(const struct listener *l, struct zrun_error *err)
{
	return group_socket(l, true, err);
}

int steer_socket_open(const struct listener *l, struct zrun_error *err)
{
	return group_socket(l, false, err);
}

int steer_attach(const struct steer *s, int sock, struct zrun_error *err)
{
	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &s->prog_fd, sizeof(s->prog_fd)) < 0)
		return zrun_error_set(err, errno, "steering: SO_ATTACH_REUSEPORT_EBPF");
	return 0;
}

int steer_add(const struct steer *s, unsigned index, int sock, struct zrun_error *err)
{
	uint64_t fd = (uint64_t)sock, none = 0;

	if (index >= STEER_SOCKS_MAX)
		return zrun_error_set(err, 0, "steering: socket index %u: at most %d sockets", index, STEER_SOCKS_MAX);
	/* counts[index] is the count of the socket at index: an index is
	 * reused by the next version made, which showed the connections of
	 * the version that had it before (a replica added by scale showed the
	 * old version's thousands at once) */
	if (map_update(s->counts_map, index, &none, BPF_ANY) < 0)
		return zrun_error_set(err, errno, "steering: the count of socket %u", index);
	if (map_update(s->socks_map, index, &fd, BPF_ANY) < 0)
		return zrun_error_set(err, errno, "steering: socket %u into the map", index);
	return 0;
}

int steer_hold(const struct steer *s, int sock, struct zrun_error *err)
{
	uint64_t fd = (uint64_t)sock;

	if (map_update(s->socks_map, STEER_HOLD, &fd, BPF_ANY) < 0)
		return zrun_error_set(err, errno, "steering: the service's socket into the map");
	return 0;
}

int steer_remove(const struct steer *s, unsigned index, struct zrun_error *err)
{
	union bpf_attr attr;
	uint32_t key = index;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)s->socks_map;
	attr.key = (uint64_t)(uintptr_t)&key;
	/* ENOENT: already out (its socket closed, or removed before) */
	if (sys_bpf(BPF_MAP_DELETE_ELEM, &attr) < 0 && errno != ENOENT)
		return zrun_error_set(err, errno, "steering: socket %u out of the map", index);
	return 0;
}

bool steer_has(const struct steer *s, unsigned index)
{
	return steer_cookie(s, index) != 0;
}

uint64_t steer_cookie(const struct steer *s, unsigned index)
{
	uint64_t cookie;

	/* a REUSEPORT_SOCKARRAY of 8-byte values reads back as the cookie */
	return index < STEER_SOCKS_MAX && map_lookup(s->socks_map, index, &cookie) == 0 ? cookie : 0;
}

int steer_set_shares(const struct steer *s, const unsigned *index, const unsigned *percent, size_t n,
		     struct zrun_error *err)
{
	unsigned total = 0;

	for (size_t i = 0; i < n; i++) {
		if (index[i] >= STEER_SOCKS_MAX)
			return zrun_error_set(err, 0, "steering: socket index %u: at most %d sockets", index[i],
					      STEER_SOCKS_MAX);
		total += percent[i];
	}
	if (total != STEER_SLOTS)
		return zrun_error_set(err, 0, "steering: shares add up to %u%%, not 100%%", total);
	/* One slot at a time: each names a socket in the array at every
	 * instant, the old one or the new one, so no SYN meets an empty slot. */
	uint32_t slot = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < percent[i]; k++, slot++)
			if (map_update(s->slots_map, slot, &index[i], BPF_ANY) < 0)
				return zrun_error_set(err, errno, "steering: slot %u", slot);
	return 0;
}

int steer_get_shares(const struct steer *s, unsigned *percent, struct zrun_error *err)
{
	memset(percent, 0, STEER_SOCKS_MAX * sizeof(*percent));
	for (uint32_t slot = 0; slot < STEER_SLOTS; slot++) {
		uint32_t index;
		if (map_lookup(s->slots_map, slot, &index) < 0)
			return zrun_error_set(err, errno, "steering: slot %u", slot);
		if (index < STEER_SOCKS_MAX)
			percent[index]++;
	}
	return 0;
}

uint64_t steer_count(const struct steer *s, unsigned index)
{
	uint64_t n = 0;

	if (index >= STEER_SOCKS_MAX || map_lookup(s->counts_map, index, &n) < 0)
		return 0;
	return n;
}

int steer_free_index(const struct steer *s, struct zrun_error *err)
{
	for (unsigned i = 0; i < STEER_SOCKS_MAX; i++)
		if (!steer_has(s, i))
			return (int)i;
	return zrun_error_set(err, 0, "steering: %d sockets in the group already", STEER_SOCKS_MAX);
}

int steer_serve(const struct steer *s, const unsigned *index, size_t n, struct zrun_error *err)
{
	unsigned percent[STEER_SOCKS_MAX];
	uint32_t none = STEER_SOCKS_MAX;

	if (n == 0) {
		for (uint32_t slot = 0; slot < STEER_SLOTS; slot++)
			if (map_update(s->slots_map, slot, &none, BPF_ANY) < 0)
				return zrun_error_set(err, errno, "steering: slot %u", slot);
		return 0;
	}
	if (n > STEER_SOCKS_MAX)
		return zrun_error_set(err, 0, "steering: %zu sockets, at most %d", n, STEER_SOCKS_MAX);
	for (size_t i = 0; i < n; i++)
		percent[i] = STEER_SLOTS / (unsigned)n + (i < STEER_SLOTS % n ? 1 : 0);
	return steer_set_shares(s, index, percent, n, err);
}

int steer_probe_route(const struct steer *s, uint16_t port, unsigned index, struct zrun_error *err)
{
	/* the port as the program reads it from the TCP header: network order */
	uint32_t route[2] = { htons(port), port ? index + 1 : 0 };

	if (map_update(s->probe_map, 0, route, BPF_ANY) < 0)
		return zrun_error_set(err, errno, "steering: the probe's route");
	return 0;
}

static int map_id(int fd, uint32_t *id, uint32_t *type)
{
	struct bpf_map_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
		return -1;
	*id = info.id;
	*type = info.type;
	return 0;
}

int steer_map_ids(const struct steer *s, uint32_t ids[STEER_MAPS], struct zrun_error *err)
{
	const int fds[STEER_MAPS] = { s->socks_map, s->slots_map, s->counts_map, s->probe_map };
	uint32_t type;

	for (size_t i = 0; i < STEER_MAPS; i++)
		if (map_id(fds[i], &ids[i], &type) < 0)
			return zrun_error_set(err, errno, "steering: the id of a map");
	return 0;
}

int steer_open_ids(struct steer *s, const uint32_t ids[STEER_MAPS], struct zrun_error *err)
{
	int *fds[STEER_MAPS] = { &s->socks_map, &s->slots_map, &s->counts_map, &s->probe_map };
	/* a map id is not reused while the map lives, but one of a map that
	 * went may be taken by another: check the type of each */
	const uint32_t types[STEER_MAPS] = { BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY,
					     BPF_MAP_TYPE_ARRAY };

	*s = (struct steer){ .prog_fd = -1, .socks_map = -1, .slots_map = -1, .counts_map = -1, .probe_map = -1 };
	for (size_t i = 0; i < STEER_MAPS; i++) {
		union bpf_attr attr;
		uint32_t id, type;
		memset(&attr, 0, sizeof(attr));
		attr.map_id = ids[i];
		attr.open_flags = 0;
		*fds[i] = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr);
		if (*fds[i] < 0 || map_id(*fds[i], &id, &type) < 0 || type != types[i]) {
			int e = *fds[i] < 0 ? errno : 0;
			steer_close(s);
			return zrun_error_set(err, e, "steering: map id %u%s", ids[i], e ? "" : " is not this service's");
		}
	}
	return 0;
}

int steer_program(const uint32_t ids[STEER_MAPS], struct zrun_error *err)
{
	struct steer s;

	if (steer_open_ids(&s, ids, err) < 0)
		return -1;
	int fd = load_program(&s, err);
	steer_close(&s);
	return fd;
}
