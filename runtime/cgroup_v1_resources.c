/* cgroup_v1_resources: linux.resources written to the cgroup v1 files of the
 * controller that owns each one (memory.limit_in_bytes, cpu.shares, ...). A
 * limit whose controller is not mounted is an error, never silently dropped. */
#include "cgroup_driver.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The directory of controller's hierarchy, or an error naming it. */
static const char *need_dir(struct cgroup *cg, const char *controller, struct zrun_error *err)
{
	struct cgroup_hierarchy *h = v1_find(cg, controller);

	if (h == NULL) {
		zrun_error_set(err, 0, "cgroup %s: linux.resources needs the %s controller, which is not mounted",
			       cg->path, controller);
		return NULL;
	}
	return h->dir;
}

static int write_u64(struct cgroup *cg, const char *dir, const char *file, uint64_t value,
		     struct zrun_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return cg_write(cg, dir, file, buf, err);
}

/* Kernel memory limits are gone or refused on new kernels (5.16+ returns
 * EOPNOTSUPP, later ones drop the file): not worth failing a container for. */
static int write_kmem(struct cgroup *cg, const char *dir, const char *file, int64_t value,
		      struct zrun_error *err)
{
	if (cg_write_i64(cg, dir, file, value, err) == 0)
		return 0;
	if (err != NULL && (err->errno_value == ENOENT || err->errno_value == EOPNOTSUPP)) {
		zrun_error_clear(err);
		return 0;
	}
	return -1;
}

/* memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every
 * step, so the order of the two writes depends on raising or lowering
 * (runc's setMemoryAndSwap). 0 means unset, as in runc. */
static int memory_limits(struct cgroup *cg, const char *dir, const struct spec_resources *r,
			 struct zrun_error *err)
{
	bool has_memsw = cg_file_exists(dir, "memory.memsw.limit_in_bytes");
	bool has_limit = r->has_memory_limit && r->memory_limit != 0;
	bool has_swap = has_memsw && r->has_memory_swap && r->memory_swap != 0;
	int64_t swap = r->memory_swap;

	/* Unlimited memory with no word about swap: unlimited swap too. */
	if (has_limit && r->memory_limit == -1 && !has_swap && has_memsw) {
		has_swap = true;
		swap = -1;
	}
	if (has_limit && has_swap) {
		char cur[32];
		ssize_t n = cg_read(dir, "memory.limit_in_bytes", cur, sizeof(cur));
		if (n < 0)
			return zrun_error_set(err, (int)-n, "cgroup %s: memory.limit_in_bytes: read", cg->path);
		if (swap == -1 || strtoull(cur, NULL, 10) < (uint64_t)swap) {
			if (cg_write_i64(cg, dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
				return -1;
			return cg_write_i64(cg, dir, "memory.limit_in_bytes", r->memory_limit, err);
		}
	}
	if (has_limit && cg_write_i64(cg, dir, "memory.limit_in_bytes", r->memory_limit, err) < 0)
		return -1;
	if (has_swap && cg_write_i64(cg, dir, "memory.memsw.limit_in_bytes", swap, err) < 0)
		return -1;
	return 0;
}

static int apply_memory(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	const char *dir;

	if (!(r->has_memory_limit || r->has_memory_reservation || r->has_memory_swap ||
	      r->has_memory_kernel || r->has_memory_kernel_tcp || r->has_memory_swappiness ||
	      r->has_disable_oom_killer || r->has_use_hierarchy))
		return 0;
	if ((dir = need_dir(cg, "memory", err)) == NULL)
		return -1;
	if (r->has_use_hierarchy &&
	    cg_write(cg, dir, "memory.use_hierarchy", r->use_hierarchy ? "1" : "0", err) < 0)
		return -1;
	if (r->has_memory_kernel &&
	    write_kmem(cg, dir, "memory.kmem.limit_in_bytes", r->memory_kernel, err) < 0)
		return -1;
	if (r->has_memory_kernel_tcp &&
	    write_kmem(cg, dir, "memory.kmem.tcp.limit_in_bytes", r->memory_kernel_tcp, err) < 0)
		return -1;
	if (memory_limits(cg, dir, r, err) < 0)
		return -1;
	if (r->has_memory_reservation &&
	    cg_write_i64(cg, dir, "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0)
		return -1;
	if (r->has_memory_swappiness &&
	    write_u64(cg, dir, "memory.swappiness", r->memory_swappiness, err) < 0)
		return -1;
	if (r->has_disable_oom_killer &&
	    cg_write(cg, dir, "memory.oom_control", r->disable_oom_killer ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

/* A period/runtime pair the kernel checks against each other: period first
 * (so a new quota is judged against the new period); if the kernel refuses
 * the period with the old quota in place, write the quota and retry. */
static int write_pair(struct cgroup *cg, const char *dir, const char *period_file,
		      const char *period, const char *quota_file, const char *quota,
		      struct zrun_error *err)
{
	if (period != NULL && cg_write(cg, dir, period_file, period, err) < 0) {
		if (quota == NULL || err == NULL || err->errno_value != EINVAL)
			return -1;
		if (cg_write(cg, dir, quota_file, quota, err) < 0)
			return -1;
		return cg_write(cg, dir, period_file, period, err);
	}
	return quota != NULL ? cg_write(cg, dir, quota_file, quota, err) : 0;
}

static int apply_cpu(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	char period[32], quota[32], rt_period[32], rt_runtime[32];
	const char *dir;

	if (!(r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst ||
	      r->has_cpu_realtime_runtime || r->has_cpu_realtime_period || r->has_cpu_idle))
		return 0;
	if ((dir = need_dir(cg, "cpu", err)) == NULL)
		return -1;
	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    write_u64(cg, dir, "cpu.shares", r->cpu_shares, err) < 0)
		return -1;
	snprintf(period, sizeof(period), "%" PRIu64, r->cpu_period);
	snprintf(quota, sizeof(quota), "%" PRId64, r->cpu_quota);
	if (write_pair(cg, dir, "cpu.cfs_period_us", r->has_cpu_period ? period : NULL,
		       "cpu.cfs_quota_us", r->has_cpu_quota ? quota : NULL, err) < 0)
		return -1;
	if (r->has_cpu_burst && write_u64(cg, dir, "cpu.cfs_burst_us", r->cpu_burst, err) < 0)
		return -1;
	snprintf(rt_period, sizeof(rt_period), "%" PRIu64, r->cpu_realtime_period);
	snprintf(rt_runtime, sizeof(rt_runtime), "%" PRId64, r->cpu_realtime_runtime);
	if (write_pair(cg, dir, "cpu.rt_period_us", r->has_cpu_realtime_period ? rt_period : NULL,
		       "cpu.rt_runtime_us", r->has_cpu_realtime_runtime ? rt_runtime : NULL, err) < 0)
		return -1;
	if (r->has_cpu_idle && cg_write_i64(cg, dir, "cpu.idle", r->cpu_idle, err) < 0)
		return -1;
	return 0;
}

static int apply_cpuset_pids(struct cgroup *cg, const struct spec_resources *r,
			     struct zrun_error *err)
{
	bool cpus = r->cpu_cpus != NULL && r->cpu_cpus[0] != '\0';
	bool mems = r->cpu_mems != NULL && r->cpu_mems[0] != '\0';
	const char *dir;

	if (cpus || mems) {
		if ((dir = need_dir(cg, "cpuset", err)) == NULL)
			return -1;
		if (cpus && cg_write(cg, dir, "cpuset.cpus", r->cpu_cpus, err) < 0)
			return -1;
		if (mems && cg_write(cg, dir, "cpuset.mems", r->cpu_mems, err) < 0)
			return -1;
	}
	if (r->has_pids_limit) {
		if ((dir = need_dir(cg, "pids", err)) == NULL)
			return -1;
		if (r->pids_limit <= 0)
			return cg_write(cg, dir, "pids.max", "max", err);
		return cg_write_i64(cg, dir, "pids.max", r->pids_limit, err);
	}
	return 0;
}

/* CFQ's blkio.weight is gone since 5.0; BFQ offers blkio.bfq.weight instead. */
static int write_weight(struct cgroup *cg, const char *dir, const char *file, const char *bfq_file,
			const char *value, struct zrun_error *err)
{
	if (!cg_file_exists(dir, file) && cg_file_exists(dir, bfq_file))
		file = bfq_file;
	return cg_write(cg, dir, file, value, err);
}

static int write_throttle(struct cgroup *cg, const char *dir, const char *file,
			  const struct spec_throttle_device *t, size_t n, struct zrun_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char value[64];
		snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %" PRIu64,
			 t[i].major, t[i].minor, t[i].rate);
		if (cg_write(cg, dir, file, value, err) < 0)
			return -1;
	}
	return 0;
}

static int apply_blkio(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	char value[64];
	const char *dir;

	if (!(r->has_blkio_weight || r->has_blkio_leaf_weight || r->blkio_weight_device_len ||
	      r->blkio_throttle_read_bps_len || r->blkio_throttle_write_bps_len ||
	      r->blkio_throttle_read_iops_len || r->blkio_throttle_write_iops_len))
		return 0;
	if ((dir = need_dir(cg, "blkio", err)) == NULL)
		return -1;
	snprintf(value, sizeof(value), "%u", (unsigned)r->blkio_weight);
	if (r->has_blkio_weight &&
	    write_weight(cg, dir, "blkio.weight", "blkio.bfq.weight", value, err) < 0)
		return -1;
	snprintf(value, sizeof(value), "%u", (unsigned)r->blkio_leaf_weight);
	if (r->has_blkio_leaf_weight && cg_write(cg, dir, "blkio.leaf_weight", value, err) < 0)
		return -1;
	for (size_t i = 0; i < r->blkio_weight_device_len; i++) {
		const struct spec_weight_device *w = &r->blkio_weight_device[i];
		snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
			 (unsigned)w->weight);
		if (w->has_weight && write_weight(cg, dir, "blkio.weight_device",
						  "blkio.bfq.weight_device", value, err) < 0)
			return -1;
		snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
			 (unsigned)w->leaf_weight);
		if (w->has_leaf_weight && cg_write(cg, dir, "blkio.leaf_weight_device", value, err) < 0)
			return -1;
	}
	if (write_throttle(cg, dir, "blkio.throttle.read_bps_device", r->blkio_throttle_read_bps,
			   r->blkio_throttle_read_bps_len, err) < 0 ||
	    write_throttle(cg, dir, "blkio.throttle.write_bps_device", r->blkio_throttle_write_bps,
			   r->blkio_throttle_write_bps_len, err) < 0 ||
	    write_throttle(cg, dir, "blkio.throttle.read_iops_device", r->blkio_throttle_read_iops,
			   r->blkio_throttle_read_iops_len, err) < 0 ||
	    write_throttle(cg, dir, "blkio.throttle.write_iops_device", r->blkio_throttle_write_iops,
			   r->blkio_throttle_write_iops_len, err) < 0)
		return -1;
	return 0;
}

static int apply_hugetlb_netcls(struct cgroup *cg, const struct spec_resources *r,
				struct zrun_error *err)
{
	const char *dir;

	if (r->hugepage_limits_len > 0 && (dir = need_dir(cg, "hugetlb", err)) == NULL)
		return -1;
	for (size_t i = 0; i < r->hugepage_limits_len; i++) {
		const struct spec_hugepage_limit *h = &r->hugepage_limits[i];
		char file[128];
		if (h->page_size == NULL || h->page_size[0] == '\0' || strchr(h->page_size, '/') != NULL ||
		    (size_t)snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size) >= sizeof(file))
			return zrun_error_set(err, 0, "cgroup %s: linux.resources.hugepageLimits: bad pageSize \"%s\"",
					      cg->path, h->page_size != NULL ? h->page_size : "");
		if (write_u64(cg, dir, file, h->limit, err) < 0)
			return -1;
	}
	if (r->has_network_class_id) {
		if ((dir = need_dir(cg, "net_cls", err)) == NULL ||
		    write_u64(cg, dir, "net_cls.classid", r->network_class_id, err) < 0)
			return -1;
	}
	if (r->network_priorities_len > 0 && (dir = need_dir(cg, "net_prio", err)) == NULL)
		return -1;
	for (size_t i = 0; i < r->network_priorities_len; i++) {
		char value[96];
		snprintf(value, sizeof(value), "%s %u", r->network_priorities[i].name,
			 (unsigned)r->network_priorities[i].priority);
		if (cg_write(cg, dir, "net_prio.ifpriomap", value, err) < 0)
			return -1;
	}
	return 0;
}

/* rdma.max takes "mlx5_1 hca_handle=3 hca_object=10000", the same on v1 and v2. */
int cg_rdma_value(const struct spec_rdma_limit *l, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", l->device);

	if (l->has_hca_handles)
		n += snprintf(buf + n, size - (size_t)n, " hca_handle=%u", (unsigned)l->hca_handles);
	if (l->has_hca_objects)
		n += snprintf(buf + n, size - (size_t)n, " hca_object=%u", (unsigned)l->hca_objects);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static int apply_rdma(struct cgroup *cg, const struct spec_resources *r, struct zrun_error *err)
{
	const char *dir;

	if (r->rdma_len > 0 && (dir = need_dir(cg, "rdma", err)) == NULL)
		return -1;
	for (size_t i = 0; i < r->rdma_len; i++) {
		char value[256];
		if (cg_rdma_value(&r->rdma[i], value, sizeof(value)) < 0)
			return zrun_error_set(err, 0, "cgroup %s: linux.resources.rdma: device name too long",
					      cg->path);
		if (!r->rdma[i].has_hca_handles && !r->rdma[i].has_hca_objects)
			continue;
		if (cg_write(cg, dir, "rdma.max", value, err) < 0)
			return -1;
	}
	return 0;
}

/* One linux.resources.devices entry as the kernel reads it: "c 1:3 rwm". */
static int device_rule(struct cgroup *cg, const struct spec_device_cgroup *d, char *buf,
		       size_t size, struct zrun_error *err)
{
	const char *access = d->access != NULL ? d->access : "rwm";
	char major[24] = "*", minor[24] = "*";

	if ((d->type != 'a' && d->type != 'c' && d->type != 'b') || access[0] == '\0' ||
	    strspn(access, "rwm") != strlen(access) || (d->has_major && d->major < 0) ||
	    (d->has_minor && d->minor < 0))
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.devices: bad rule (type '%c', access \"%s\")",
				      cg->path, d->type, access);
	if (d->type == 'a') {
		snprintf(buf, size, "a");   /* the kernel ignores major, minor, access here */
		return 0;
	}
	if (d->has_major)
		snprintf(major, sizeof(major), "%" PRId64, d->major);
	if (d->has_minor)
		snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type, major, minor, access);
	return 0;
}

/* Deny everything, then the spec's rules in order, then the default devices
 * (after the spec, as runc does, so a leading "deny all" rule keeps them). */
static int apply_devices(struct cgroup *cg, const struct spec_resources *r, bool creating,
			 struct zrun_error *err)
{
	size_t n = r != NULL ? r->devices_len : 0;
	const char *dir;

	if (!creating && n == 0)
		return 0;
	/* No devices hierarchy and no rules asked for: nothing to restrict with. */
	if (n == 0 && v1_find(cg, "devices") == NULL)
		return 0;
	if ((dir = need_dir(cg, "devices", err)) == NULL)
		return -1;
	if (cg_write(cg, dir, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char rule[80];
		if (device_rule(cg, &r->devices[i], rule, sizeof(rule), err) < 0 ||
		    cg_write(cg, dir, r->devices[i].allow ? "devices.allow" : "devices.deny", rule, err) < 0)
			return -1;
	}
	for (size_t i = 0; cgroup_default_device_rules[i] != NULL; i++)
		if (cg_write(cg, dir, "devices.allow", cgroup_default_device_rules[i], err) < 0)
			return -1;
	return 0;
}

int v1_apply(struct cgroup *cg, const struct spec_resources *r, bool creating,
	     struct zrun_error *err)
{
	if (r != NULL && r->unified_len > 0)
		return zrun_error_set(err, 0, "cgroup %s: linux.resources.unified: needs cgroup v2, this host has v1",
				      cg->path);
	if (r != NULL && (apply_memory(cg, r, err) < 0 || apply_cpu(cg, r, err) < 0 ||
			  apply_cpuset_pids(cg, r, err) < 0 || apply_blkio(cg, r, err) < 0 ||
			  apply_hugetlb_netcls(cg, r, err) < 0 || apply_rdma(cg, r, err) < 0))
		return -1;
	return apply_devices(cg, r, creating, err);
}
