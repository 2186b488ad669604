/* steer: the SK_REUSEPORT program and its maps, with raw bpf(2) (no libbpf,
 * no clang, no BTF), as runtime/cgroup_ebpf.c does for device rules. */
#include "steer.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STEER_LOG_SIZE 4096
#define STEER_PROG_MAX 32   /* the program is 32 instructions */

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

/* slot = hash % 100; index = slots[slot]; select socks[index]; counts[index]++.
 * The hash is the kernel's hash of the 4-tuple (the same for a request
 * migrated from a closing socket), so a client keeps its version. A slot
 * naming an empty index drops the SYN (the client retries it) rather than
 * let the kernel pick any socket of the group, which may be a version that
 * is not ready. */
static size_t build_program(struct bpf_insn *p, const struct steer *s)
{
	size_t n = 0, to_drop[2], to_pass;

	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct sk_reuseport_md, hash), 0);
	p[n++] = INSN(BPF_ALU | BPF_MOD | BPF_K, BPF_REG_2, 0, 0, STEER_SLOTS);
	p[n++] = INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_2, -4, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	n = ld_map(p, n, BPF_REG_1, s->slots_map);
	p[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	to_drop[0] = n;
	p[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_0, 0, 0);
	p[n++] = INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_3, -8, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	n = ld_map(p, n, BPF_REG_2, s->socks_map);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
	p[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_select_reuseport);
	to_drop[1] = n;
	p[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -8);
	n = ld_map(p, n, BPF_REG_1, s->counts_map);
	p[n++] = INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	to_pass = n;
	p[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	p[n++] = INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	p[to_pass].off = (int16_t)(n - to_pass - 1);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < 2; i++)
		p[to_drop[i]].off = (int16_t)(n - to_drop[i] - 1);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_DROP);
	p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
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
	int *fds[] = { &s->prog_fd, &s->socks_map, &s->slots_map, &s->counts_map };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int steer_create(struct steer *s, struct zrun_error *err)
{
	*s = (struct steer){ .prog_fd = -1, .socks_map = -1, .slots_map = -1, .counts_map = -1 };
	/* BPF fds are O_CLOEXEC by the kernel (anon inodes made with it) */
	s->socks_map = map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, sizeof(uint64_t), STEER_SOCKS_MAX, "zrun_socks");
	if (s->socks_map < 0) {
		int e = errno;
		steer_close(s);
		return zrun_error_set(err, e, "steering: REUSEPORT_SOCKARRAY map");
	}
	s->slots_map = map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t), STEER_SLOTS, "zrun_slots");
	s->counts_map = map_create(BPF_MAP_TYPE_ARRAY, sizeof(uint64_t), STEER_SOCKS_MAX, "zrun_counts");
	if (s->slots_map < 0 || s->counts_map < 0) {
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

int steer_socket_open(const struct listener *l, struct zrun_error *err)
{
	int one = 1;

	if (l->kind != LISTENER_TCP)
		return zrun_error_set(err, 0, "listener %s: a unix socket has no SO_REUSEPORT group", l->url);
	int fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return zrun_error_set(err, errno, "listener %s", l->url);
	/* SO_REUSEPORT before bind(): the group is the sockets bound to one
	 * address with it set, by one user */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) < 0 || listen(fd, LISTENER_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "listener %s: a socket of its SO_REUSEPORT group", l->url);
	}
	return fd;
}

int steer_attach(const struct steer *s, int sock, struct zrun_error *err)
{
	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &s->prog_fd, sizeof(s->prog_fd)) < 0)
		return zrun_error_set(err, errno, "steering: SO_ATTACH_REUSEPORT_EBPF");
	return 0;
}

int steer_add(const struct steer *s, unsigned index, int sock, struct zrun_error *err)
{
	uint64_t fd = (uint64_t)sock;

	if (index >= STEER_SOCKS_MAX)
		return zrun_error_set(err, 0, "steering: socket index %u: at most %d sockets", index, STEER_SOCKS_MAX);
	if (map_update(s->socks_map, index, &fd, BPF_ANY) < 0)
		return zrun_error_set(err, errno, "steering: socket %u into the map", index);
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
	uint64_t cookie;

	return index < STEER_SOCKS_MAX && map_lookup(s->socks_map, index, &cookie) == 0;
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
