/* cgroup_v2: the driver for a unified hierarchy at /sys/fs/cgroup. It enables
 * controllers down the tree, maps linux.resources onto the v2 files the way
 * runc converts them, and uses cgroup.kill / cgroup.freeze. Device rules on
 * v2 are an eBPF program, built and attached by cgroup_ebpf.c. */
#include "cgroup_driver.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Enabled in every level above a container, when the level offers them. */
static const char *const wanted_controllers[] = {
	"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", NULL,
};

static int v2_init(struct cgroup *cg, struct zrun_error *err)
{
	if (asprintf(&cg->dir, "%s%s", cg->mount, cg->path) < 0) {
		cg->dir = NULL;
		return zrun_error_set(err, ENOMEM, "cgroup %s", cg->path);
	}
	return 0;
}

static void v2_release(struct cgroup *cg)
{
	(void)cg;
}

static bool words_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, " \n");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " \n");
	}
	return false;
}

/* Enable in dir's cgroup.subtree_control what it offers and we want. If the
 * kernel refuses the set (say, EBUSY from a process living in an inner
 * cgroup), enable what it takes one by one: a limit that then needs a missing
 * controller fails with an error naming the file. */
static int enable_at(struct cgroup *cg, const char *dir, struct zrun_error *err)
{
	char avail[512], enabled[512], req[256] = "", *save = NULL;
	size_t len = 0;
	ssize_t n = cg_read(dir, "cgroup.controllers", avail, sizeof(avail));

	if (n >= 0)
		n = cg_read(dir, "cgroup.subtree_control", enabled, sizeof(enabled));
	if (n < 0)
		return zrun_error_set(err, (int)-n, "cgroup %s: %s: read cgroup.controllers",
				      cg->path, dir);
	for (size_t i = 0; wanted_controllers[i] != NULL; i++) {
		const char *c = wanted_controllers[i];
		if (words_has(avail, c) && !words_has(enabled, c))
			len += (size_t)snprintf(req + len, sizeof(req) - len, "%s+%s", len ? " " : "", c);
	}
	if (len == 0 || cg_write(cg, dir, "cgroup.subtree_control", req, NULL) == 0)
		return 0;
	for (char *tok = strtok_r(req, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		(void)cg_write(cg, dir, "cgroup.subtree_control", tok, NULL);
	return 0;
}

/* Every level from the mount root down to the container's parent. */
static int enable_controllers(struct cgroup *cg, struct zrun_error *err)
{
	char dir[PATH_MAX];
	size_t base = strlen(cg->mount);
	int n = snprintf(dir, sizeof(dir), "%s", cg->dir);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return zrun_error_set(err, ENAMETOOLONG, "cgroup %s", cg->path);
	for (size_t pos = base;; pos++) {
		char saved = dir[pos];
		if (saved == '\0')
			return 0; /* the leaf itself: left to the container */
		if (saved != '/')
			continue;
		dir[pos] = '\0';
		if (enable_at(cg, dir, err) < 0)
			return -1;
		dir[pos] = saved;
	}
}

static int v2_create(struct cgroup *cg, struct zrun_error *err)
{
	if (cg_mkdir_p(cg, cg->mount, cg->path, err) < 0 || enable_controllers(cg, err) < 0)
		return -1;
	cg->dir_fd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->dir_fd < 0)
		return zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, cg->dir);
	return 0;
}

/* A write whose missing file most likely means a controller that is not
 * enabled above us: say so. */
static int v2_write(struct cgroup *cg, const char *file, const char *value, struct zrun_error *err)
{
	size_t len;

	if (cg_write(cg, cg->dir, file, value, err) == 0)
		return 0;
	if (err != NULL && err->errno_value == ENOENT) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len,
			 " (is the %.*s controller enabled in the parent's cgroup.subtree_control?)",
			 (int)strcspn(file, "."), file);
	}
	return -1;
}

static int v2_write_num(struct cgroup *cg, const char *file, int64_t value, struct zrun_error *err)
{
	char buf[32];

	if (value < 0)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, value);
	return v2_write(cg, file, buf, err);
}

/* OCI's swap is memory+swap, v2's memory.swap.max is swap alone (runc's
 * ConvertMemorySwapToCgroupV2Value). Returns 1 and *value when there is
 * something to write, 0 when not, -1 on a contradiction. */
static int swap_value(struct cgroup *cg, const struct spec_resources *r, int64_t *value,
		      struct zrun_error *err)
{
	int64_t limit = r->has_memory_limit ? r->memory_limit : 0;

	if (!r->has_memory_swap || r->memory_swap == 0) {
		*value = -1; /* unlimited memory with no word on swap: swap unlimited too */
		return limit == -1 ? 1 : 0;
	}
	if (r->memory_swap == -1) {
		*value = -1;
		return 1;
	}
	if (limit <= 0)
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.memory.swap %" PRId64
				      ": needs a memory limit", cg->path, r->memory_swap);
	if (r->memory_swap < limit)
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.memory.swap %" PRId64
				      ": must be >= memory.limit %" PRId64, cg->path, r->memory_swap, limit);
	*value = r->memory_swap - limit;
	return 1;
}

static int apply_memory(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	int64_t swap;
	int has_swap = swap_value(cg, r, &swap, err);

	if (has_swap < 0)
		return -1;
	/* 0 is "unset" for the limit, as in runc. */
	if (r->has_memory_limit && r->memory_limit != 0 &&
	    v2_write_num(cg, "memory.max", r->memory_limit, err) < 0)
		return -1;
	if (r->has_memory_reservation &&
	    v2_write_num(cg, "memory.low", r->memory_reservation, err) < 0)
		return -1;
	/* memory.swap.max is absent without swap accounting: nothing to limit. */
	if (has_swap && cg_file_exists(cg->dir, "memory.swap.max") &&
	    v2_write_num(cg, "memory.swap.max", swap, err) < 0)
		return -1;
	/* kernel, kernelTCP, swappiness, disableOOMKiller have no v2 file: ignored, as runc. */
	return 0;
}

/* cpu.max keeps its quota when only the period changes. */
static int apply_cpu_max(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	char quota[32] = "max", value[64];

	if (!r->has_cpu_quota && !r->has_cpu_period)
		return 0;
	if (r->has_cpu_quota && r->cpu_quota > 0) {
		snprintf(quota, sizeof(quota), "%" PRId64, r->cpu_quota);
	} else if (!r->has_cpu_quota) {
		char cur[64];
		if (cg_read(cg->dir, "cpu.max", cur, sizeof(cur)) > 0)
			snprintf(quota, sizeof(quota), "%.*s", (int)strcspn(cur, " "), cur);
	}
	if (r->has_cpu_period && r->cpu_period != 0)
		snprintf(value, sizeof(value), "%s %" PRIu64, quota, r->cpu_period);
	else
		snprintf(value, sizeof(value), "%s", quota);
	return v2_write(cg, "cpu.max", value, err);
}

static int apply_cpu(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	bool cpus = r->cpu_cpus != NULL && r->cpu_cpus[0] != '\0';
	bool mems = r->cpu_mems != NULL && r->cpu_mems[0] != '\0';

	if ((r->has_cpu_realtime_runtime && r->cpu_realtime_runtime != 0) ||
	    (r->has_cpu_realtime_period && r->cpu_realtime_period != 0))
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2",
				      cg->path);
	if (r->has_cpu_shares && r->cpu_shares != 0) {
		/* runc's conversion of shares [2, 262144] to weight [1, 10000]. */
		int64_t weight = 1 + (((int64_t)r->cpu_shares - 2) * 9999) / 262142;
		if (v2_write_num(cg, "cpu.weight", weight, err) < 0)
			return -1;
	}
	if (apply_cpu_max(cg, r, err) < 0)
		return -1;
	if (r->has_cpu_burst && v2_write_num(cg, "cpu.max.burst", (int64_t)r->cpu_burst, err) < 0)
		return -1;
	if (r->has_cpu_idle && v2_write_num(cg, "cpu.idle", r->cpu_idle, err) < 0)
		return -1;
	if (cpus && v2_write(cg, "cpuset.cpus", r->cpu_cpus, err) < 0)
		return -1;
	if (mems && v2_write(cg, "cpuset.mems", r->cpu_mems, err) < 0)
		return -1;
	if (r->has_pids_limit && v2_write_num(cg, "pids.max", r->pids_limit <= 0 ? -1 : r->pids_limit, err) < 0)
		return -1;
	return 0;
}

/* blkio weight [10, 1000] to io.weight [1, 10000], as runc; io.bfq.weight
 * takes the blkio range as it is. */
static int write_io_weight(struct cgroup *cg, const char *device, unsigned weight,
			   struct zrun_error *err)
{
	bool bfq = cg_file_exists(cg->dir, "io.bfq.weight");
	char value[64];

	if (!bfq)
		weight = 1 + (weight >= 10 ? (weight - 10) * 9999 / 990 : 0);
	snprintf(value, sizeof(value), "%s%s%u", device, device[0] ? " " : "", weight);
	return v2_write(cg, bfq ? "io.bfq.weight" : "io.weight", value, err);
}

static int write_io_max(struct cgroup *cg, const char *key, const struct spec_throttle_device *t,
			size_t n, struct zrun_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char value[96];
		snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
			 t[i].major, t[i].minor, key, t[i].rate);
		if (v2_write(cg, "io.max", value, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_io(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	if (r->has_blkio_weight && r->blkio_weight != 0 &&
	    write_io_weight(cg, "", r->blkio_weight, err) < 0)
		return -1;
	for (size_t i = 0; i < r->blkio_weight_device_len; i++) {
		const struct spec_weight_device *w = &r->blkio_weight_device[i];
		char device[48];
		snprintf(device, sizeof(device), "%" PRId64 ":%" PRId64, w->major, w->minor);
		if (w->has_weight && write_io_weight(cg, device, w->weight, err) < 0)
			return -1;
	}
	if (write_io_max(cg, "rbps", r->blkio_throttle_read_bps, r->blkio_throttle_read_bps_len, err) < 0 ||
	    write_io_max(cg, "wbps", r->blkio_throttle_write_bps, r->blkio_throttle_write_bps_len, err) < 0 ||
	    write_io_max(cg, "riops", r->blkio_throttle_read_iops, r->blkio_throttle_read_iops_len, err) < 0 ||
	    write_io_max(cg, "wiops", r->blkio_throttle_write_iops, r->blkio_throttle_write_iops_len, err) < 0)
		return -1;
	return 0;
}

static int apply_hugetlb_unified(struct cgroup *cg, const struct spec_resources *r,
				 struct zrun_error *err)
{
	for (size_t i = 0; i < r->hugepage_limits_len; i++) {
		const struct spec_hugepage_limit *h = &r->hugepage_limits[i];
		char file[128], value[32];
		if (h->page_size == NULL || h->page_size[0] == '\0' || strchr(h->page_size, '/') != NULL ||
		    (size_t)snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size) >= sizeof(file))
			return zrun_error_set(err, 0, "cgroup %s: linux.resources.hugepageLimits: bad pageSize \"%s\"",
					      cg->path, h->page_size != NULL ? h->page_size : "");
		snprintf(value, sizeof(value), "%" PRIu64, h->limit);
		if (v2_write(cg, file, value, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->unified_len; i++) {
		const char *key = r->unified[i].key, *value = r->unified[i].value;
		/* A key names a file in this cgroup's directory, nothing else. */
		if (key == NULL || key[0] == '\0' || strchr(key, '/') != NULL ||
		    strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
			return zrun_error_set(err, 0, "cgroup %s: linux.resources.unified: bad key \"%s\"",
					      cg->path, key != NULL ? key : "");
		if (v2_write(cg, key, value != NULL ? value : "", err) < 0)
			return -1;
	}
	return 0;
}

/* rdma.max as on v1; v2 has no net_cls/net_prio (use eBPF or tc there). */
static int apply_rdma_net(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	if (r->has_network_class_id || r->network_priorities_len > 0)
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.network: classID and priorities need the cgroup v1 net_cls/net_prio controllers; cgroup v2 has none",
				      cg->path);
	for (size_t i = 0; i < r->rdma_len; i++) {
		char value[256];
		if (cg_rdma_value(&r->rdma[i], value, sizeof(value)) < 0)
			return zrun_error_set(err, 0, "cgroup %s: linux.resources.rdma: device name too long",
					      cg->path);
		if ((r->rdma[i].has_hca_handles || r->rdma[i].has_hca_objects) &&
		    v2_write(cg, "rdma.max", value, err) < 0)
			return -1;
	}
	return 0;
}

static int v2_apply(struct cgroup *cg, const struct spec_resources *r, bool creating,
		    struct zrun_error *err)
{
	if (r != NULL && (apply_memory(cg, r, err) < 0 || apply_cpu(cg, r, err) < 0 ||
			  apply_io(cg, r, err) < 0 || apply_rdma_net(cg, r, err) < 0 ||
			  apply_hugetlb_unified(cg, r, err) < 0))
		return -1;
	/* Devices: an eBPF program (cgroup_ebpf.c), made at create and
	 * replaced by an update that names device rules. */
	if (creating || (r != NULL && r->devices_len > 0))
		return cgroup_v2_devices(cg, r, err);
	return 0;
}

static int v2_add_pid(struct cgroup *cg, pid_t pid, struct zrun_error *err)
{
	char value[24];

	snprintf(value, sizeof(value), "%d", (int)pid);
	return cg_write(cg, cg->dir, "cgroup.procs", value, err);
}

static const char *v2_pids_dir(struct cgroup *cg)
{
	return cg->dir;
}

/* The value of key ("populated", "frozen") in cgroup.events, or -errno. */
static int events_value(struct cgroup *cg, const char *key)
{
	char buf[256];
	size_t n = strlen(key);
	ssize_t len = cg_read(cg->dir, "cgroup.events", buf, sizeof(buf));

	if (len < 0)
		return (int)len;
	for (char *line = buf; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, n) == 0 && line[n] == ' ')
			return atoi(line + n + 1);
	}
	return -ENOENT;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct zrun_error *err)
{
	uint64_t deadline = (uint64_t)now_ms() + CGROUP_FREEZE_TIMEOUT_MS;
	unsigned pause_ms = 1;

	if (cg_write(cg, cg->dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (;;) {
		int v = events_value(cg, "frozen");
		if (v < 0)
			return zrun_error_set(err, -v, "cgroup %s: cgroup.events: read frozen", cg->path);
		if (v == (frozen ? 1 : 0))
			return 0;
		if ((uint64_t)now_ms() >= deadline)
			return zrun_error_set(err, ETIMEDOUT, "cgroup %s: cgroup.events: frozen still %d after %d ms",
					      cg->path, v, CGROUP_FREEZE_TIMEOUT_MS);
		sleep_ms(pause_ms);
		if (pause_ms < 16)
			pause_ms *= 2;
	}
}

static int v2_kill_all(struct cgroup *cg, int sig, struct zrun_error *err)
{
	/* cgroup.kill (5.14+) kills the whole subtree atomically, forks included. */
	if (sig == SIGKILL && cg_file_exists(cg->dir, "cgroup.kill")) {
		struct zrun_error kill_err;
		if (cg_write(cg, cg->dir, "cgroup.kill", "1", &kill_err) == 0 ||
		    kill_err.errno_value == ENOENT)
			return 0;
		if (err != NULL)
			*err = kill_err;
		return -1;
	}
	return cg_kill_frozen(cg, sig, err);
}

static bool v2_is_empty(struct cgroup *cg)
{
	int v = events_value(cg, "populated");

	return v == 0 || v == -ENOENT;
}

static int v2_destroy(struct cgroup *cg, struct zrun_error *err)
{
	return cg_remove_tree(cg, cg->dir, err);
}

const struct cgroup_driver cgroup_v2_driver = {
	.init = v2_init,
	.create = v2_create,
	.apply = v2_apply,
	.add_pid = v2_add_pid,
	.pids_dir = v2_pids_dir,
	.freeze = v2_freeze,
	.kill_all = v2_kill_all,
	.is_empty = v2_is_empty,
	.destroy = v2_destroy,
	.release = v2_release,
};
