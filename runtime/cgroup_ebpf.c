/* cgroup_ebpf: device rules on cgroup v2, where there is no devices.allow:
 * a BPF_PROG_TYPE_CGROUP_DEVICE program, generated from the rules, loaded
 * and attached to the cgroup with raw bpf(2) (no libbpf). It gives what the
 * v1 devices controller gives for the same rules: deny by default, the
 * spec's rules, then the default devices, the last matching rule winning. */
#include "cgroup_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EBPF_RULES_MAX 4096
#define EBPF_LOG_SIZE 4096
#define EBPF_OLD_PROGS_MAX 64

struct dev_rule {
	bool allow;
	char type;              /* 'a', 'c', 'b' */
	bool any_major, any_minor;
	uint32_t major, minor;
	unsigned access;        /* BPF_DEVCG_ACC_* bits */
};

struct prog {
	struct bpf_insn *insns;
	size_t len, cap;
	bool failed;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->failed)
		return;
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *n = realloc(p->insns, cap * sizeof(*n));
		if (n == NULL) {
			p->failed = true;
			return;
		}
		p->insns = n;
		p->cap = cap;
	}
	p->insns[p->len++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
						.off = off, .imm = imm };
}

static unsigned access_bits(const char *access)
{
	unsigned bits = 0;

	for (const char *a = access; *a != '\0'; a++)
		bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE
			: *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return bits;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* One rule's block: each test jumps past the block when it fails. The
 * registers hold r2 = device type, r3 = access, r4 = major, r5 = minor. */
static void emit_rule(struct prog *p, const struct dev_rule *r)
{
	size_t jumps[4], n = 0;

	if (r->type != 'a') {
		jumps[n++] = p->len;
		emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
		     r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
		if (r->access != ACC_ALL) {
			/* allow: every requested access is in the rule; deny (as a v1
			 * deny narrows an allow): any requested access is. */
			emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0);
			emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_6, 0, 0,
			     (int32_t)(r->allow ? (~r->access & ACC_ALL) : r->access));
			jumps[n++] = p->len;
			emit(p, BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, BPF_REG_6, 0, 0, 0);
		}
		if (!r->any_major) {
			jumps[n++] = p->len;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)r->major);
		}
		if (!r->any_minor) {
			jumps[n++] = p->len;
			emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)r->minor);
		}
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < n && !p->failed; i++)
		p->insns[jumps[i]].off = (int16_t)(p->len - jumps[i] - 1);
}

/* The rules, newest first so that the first match is the last rule. */
static int build_program(struct prog *p, const struct dev_rule *rules, size_t n)
{
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
	emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
	emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
	emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
	for (size_t i = n; i > 0; i--) {
		emit_rule(p, &rules[i - 1]);
		/* An "a" rule matches everything: what comes before it (and the
		 * default) is unreachable, which the verifier refuses. */
		if (rules[i - 1].type == 'a')
			return p->failed ? -1 : 0;
	}
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0); /* default: deny */
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return p->failed ? -1 : 0;
}

static int rule_from_spec(struct cgroup *cg, const struct spec_device_cgroup *d,
			  struct dev_rule *r, struct zrun_error *err)
{
	const char *access = d->access != NULL ? d->access : "rwm";

	if ((d->has_major && (d->major < 0 || d->major > INT32_MAX)) ||
	    (d->has_minor && (d->minor < 0 || d->minor > INT32_MAX)) ||
	    access[0] == '\0' || strspn(access, "rwm") != strlen(access))
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.devices: bad rule (type '%c', access \"%s\")",
				      cg->path, d->type, access);
	*r = (struct dev_rule){ .allow = d->allow, .type = d->type,
				.any_major = !d->has_major, .any_minor = !d->has_minor,
				.major = (uint32_t)d->major, .minor = (uint32_t)d->minor,
				.access = access_bits(access) };
	return 0;
}

/* "c 1:3 rwm", "c 136:* rwm", as the v1 driver writes them. */
static int rule_from_text(const char *text, struct dev_rule *r)
{
	char type, major[16], minor[16], access[8];

	if (sscanf(text, "%c %15[^:]:%15s %7s", &type, major, minor, access) != 4)
		return -1;
	*r = (struct dev_rule){ .allow = true, .type = type,
				.any_major = strcmp(major, "*") == 0, .any_minor = strcmp(minor, "*") == 0,
				.access = access_bits(access) };
	if (!r->any_major)
		r->major = (uint32_t)strtoul(major, NULL, 10);
	if (!r->any_minor)
		r->minor = (uint32_t)strtoul(minor, NULL, 10);
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load_program(struct cgroup *cg, const struct prog *p, struct zrun_error *err)
{
	static char log[EBPF_LOG_SIZE];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insns;
	attr.insn_cnt = (uint32_t)p->len;
	attr.license = (uint64_t)(uintptr_t)"Apache";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	/* Again with the verifier's log, to say why. */
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	log[0] = '\0';
	fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	return zrun_error_set(err, errno, "cgroup %s: devices: BPF_PROG_LOAD of %zu instructions%s%.200s",
			      cg->path, p->len, log[0] ? ": " : "", log);
}

/* The ids of the device programs attached to this cgroup itself. */
static size_t query_attached(int cg_fd, uint32_t *ids, size_t max)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cg_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = (uint32_t)max;
	if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
		return 0;
	return attr.query.prog_cnt < max ? attr.query.prog_cnt : max;
}

static int attach(struct cgroup *cg, int cg_fd, int prog_fd, struct zrun_error *err)
{
	uint32_t old[EBPF_OLD_PROGS_MAX];
	size_t n_old = query_attached(cg_fd, old, EBPF_OLD_PROGS_MAX);
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cg_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
		return zrun_error_set(err, errno, "cgroup %s: devices: BPF_PROG_ATTACH", cg->path);
	/* The new program is in place: the old ones (an earlier update) go,
	 * never before, so the cgroup is never without a device filter. */
	for (size_t i = 0; i < n_old; i++) {
		int old_fd;
		memset(&attr, 0, sizeof(attr));
		attr.prog_id = old[i];
		old_fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (old_fd < 0)
			continue;
		memset(&attr, 0, sizeof(attr));
		attr.target_fd = (uint32_t)cg_fd;
		attr.attach_bpf_fd = (uint32_t)old_fd;
		attr.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) {
			int saved = errno;
			close(old_fd);
			return zrun_error_set(err, saved, "cgroup %s: devices: BPF_PROG_DETACH of program %u",
					      cg->path, old[i]);
		}
		close(old_fd);
	}
	return 0;
}

int cgroup_v2_devices(struct cgroup *cg, const struct spec_resources *resources,
		      struct zrun_error *err)
{
	size_t n_spec = resources != NULL ? resources->devices_len : 0, n = 0, n_default = 0;
	struct dev_rule *rules;
	struct prog p = { 0 };
	int cg_fd = cg->dir_fd, prog_fd, ret = -1;

	while (cgroup_default_device_rules[n_default] != NULL)
		n_default++;
	if (n_spec > EBPF_RULES_MAX)
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.devices: more than %d rules",
				      cg->path, EBPF_RULES_MAX);
	rules = calloc(n_spec + n_default, sizeof(*rules));
	if (rules == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup %s: devices", cg->path);
	for (size_t i = 0; i < n_spec; i++)
		if (rule_from_spec(cg, &resources->devices[i], &rules[n++], err) < 0)
			goto out;
	for (size_t i = 0; i < n_default; i++)
		if (rule_from_text(cgroup_default_device_rules[i], &rules[n]) == 0)
			n++;
	if (build_program(&p, rules, n) < 0) {
		zrun_error_set(err, ENOMEM, "cgroup %s: devices", cg->path);
		goto out;
	}
	if (cg_fd < 0 && (cg_fd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, cg->dir);
		goto out;
	}
	prog_fd = load_program(cg, &p, err);
	if (prog_fd >= 0) {
		ret = attach(cg, cg_fd, prog_fd, err);
		close(prog_fd); /* the attachment holds the program */
	}
	if (cg_fd != cg->dir_fd)
		close(cg_fd);
out:
	free(p.insns);
	free(rules);
	return ret;
}
