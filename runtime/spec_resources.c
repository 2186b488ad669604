/* spec_resources.c: linux.resources, the cgroup settings. Every optional
 * number keeps a has_ flag: absent means "leave the kernel default", which
 * is not the same as zero. Ranges the kernel will check are left to it. */
#include "spec_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int opt_int(struct json_ctx *c, yajl_val obj, const char *key, bool *has, int64_t *out)
{
	int r = json_get_int(c, obj, key, INT64_MIN, INT64_MAX, out);

	*has = r > 0;
	return r < 0 ? -1 : 0;
}

static int opt_uint(struct json_ctx *c, yajl_val obj, const char *key, uint64_t max, bool *has,
		    uint64_t *out)
{
	int r = json_get_uint(c, obj, key, max, out);

	*has = r > 0;
	return r < 0 ? -1 : 0;
}

static int opt_u16(struct json_ctx *c, yajl_val obj, const char *key, bool *has, uint16_t *out)
{
	uint64_t n = 0;

	if (opt_uint(c, obj, key, UINT16_MAX, has, &n) < 0)
		return -1;
	*out = (uint16_t)n;
	return 0;
}

/* Enter obj[key] when it is an object: 1 with the path pushed, 0, -1. */
static int enter(struct json_ctx *c, yajl_val top, const char *key, yajl_val *v, size_t *saved)
{
	int r = json_get_object(c, top, key, v);

	if (r > 0)
		*saved = json_path_key(c, key);
	return r;
}

/* ---- devices ---- */

static int parse_device_rule(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_device_cgroup *d = item;
	char *type = NULL;
	int r;

	if (json_require(c, json_get_bool(c, v, "allow", &d->allow), "allow") < 0)
		return -1;
	r = json_get_string(c, v, "type", &type);
	if (r < 0)
		return -1;
	d->type = 'a';
	if (r > 0) {
		bool ok = strlen(type) == 1 && strchr("acb", type[0]) != NULL;

		d->type = type[0];
		free(type);
		if (!ok)
			return json_fail_key(c, "type", "must be one of \"a\", \"c\", \"b\"");
	}
	if (opt_int(c, v, "major", &d->has_major, &d->major) < 0 ||
	    opt_int(c, v, "minor", &d->has_minor, &d->minor) < 0)
		return -1;
	if (json_get_string(c, v, "access", &d->access) < 0)
		return -1;
	if (d->access != NULL && (d->access[0] == '\0' ||
				  strspn(d->access, "rwm") != strlen(d->access)))
		return json_fail_key(c, "access", "must be a non-empty combination of r, w, m");
	return 0;
}

/* ---- memory, cpu, pids ---- */

static int parse_memory(struct json_ctx *c, yajl_val top, struct spec_resources *r)
{
	size_t saved;
	yajl_val v;
	int got = enter(c, top, "memory", &v, &saved);

	if (got <= 0)
		return got;
	if (opt_int(c, v, "limit", &r->has_memory_limit, &r->memory_limit) < 0 ||
	    opt_int(c, v, "reservation", &r->has_memory_reservation, &r->memory_reservation) < 0 ||
	    opt_int(c, v, "swap", &r->has_memory_swap, &r->memory_swap) < 0 ||
	    opt_int(c, v, "kernel", &r->has_memory_kernel, &r->memory_kernel) < 0 ||
	    opt_int(c, v, "kernelTCP", &r->has_memory_kernel_tcp, &r->memory_kernel_tcp) < 0 ||
	    opt_uint(c, v, "swappiness", UINT64_MAX, &r->has_memory_swappiness,
		     &r->memory_swappiness) < 0)
		return -1;
	got = json_get_bool(c, v, "disableOOMKiller", &r->disable_oom_killer);
	if (got < 0)
		return -1;
	r->has_disable_oom_killer = got > 0;
	got = json_get_bool(c, v, "useHierarchy", &r->use_hierarchy);
	if (got < 0)
		return -1;
	r->has_use_hierarchy = got > 0;
	json_path_restore(c, saved);
	return 0;
}

static int parse_cpu(struct json_ctx *c, yajl_val top, struct spec_resources *r)
{
	size_t saved;
	yajl_val v;
	int got = enter(c, top, "cpu", &v, &saved);

	if (got <= 0)
		return got;
	if (opt_uint(c, v, "shares", UINT64_MAX, &r->has_cpu_shares, &r->cpu_shares) < 0 ||
	    opt_int(c, v, "quota", &r->has_cpu_quota, &r->cpu_quota) < 0 ||
	    opt_uint(c, v, "burst", UINT64_MAX, &r->has_cpu_burst, &r->cpu_burst) < 0 ||
	    opt_uint(c, v, "period", UINT64_MAX, &r->has_cpu_period, &r->cpu_period) < 0 ||
	    opt_int(c, v, "realtimeRuntime", &r->has_cpu_realtime_runtime,
		    &r->cpu_realtime_runtime) < 0 ||
	    opt_uint(c, v, "realtimePeriod", UINT64_MAX, &r->has_cpu_realtime_period,
		     &r->cpu_realtime_period) < 0 ||
	    opt_int(c, v, "idle", &r->has_cpu_idle, &r->cpu_idle) < 0)
		return -1;
	if (json_get_string(c, v, "cpus", &r->cpu_cpus) < 0 ||
	    json_get_string(c, v, "mems", &r->cpu_mems) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_net_priority(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_net_priority *p = item;
	uint64_t prio = 0;

	if (json_require(c, json_get_string(c, v, "name", &p->name), "name") < 0 ||
	    json_require(c, json_get_uint(c, v, "priority", UINT32_MAX, &prio), "priority") < 0)
		return -1;
	p->priority = (uint32_t)prio;
	return 0;
}

static int parse_pids_and_network(struct json_ctx *c, yajl_val top, struct spec_resources *r)
{
	uint64_t class_id = 0;
	size_t saved;
	yajl_val v;
	int got;

	got = enter(c, top, "pids", &v, &saved);
	if (got < 0)
		return -1;
	if (got > 0) {
		if (opt_int(c, v, "limit", &r->has_pids_limit, &r->pids_limit) < 0)
			return -1;
		json_path_restore(c, saved);
	}
	got = enter(c, top, "network", &v, &saved);
	if (got < 0)
		return -1;
	if (got > 0) {
		void *items = NULL;
		if (opt_uint(c, v, "classID", UINT32_MAX, &r->has_network_class_id, &class_id) < 0)
			return -1;
		r->network_class_id = (uint32_t)class_id;
		got = json_get_objects(c, v, "priorities", sizeof(struct spec_net_priority),
				       parse_net_priority, &items, &r->network_priorities_len);
		r->network_priorities = items;
		if (got < 0)
			return -1;
		json_path_restore(c, saved);
	}
	return 0;
}

/* rdma: {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}} */
static int parse_rdma(struct json_ctx *c, yajl_val top, struct spec_resources *r)
{
	size_t saved, n;
	yajl_val v;
	int got = enter(c, top, "rdma", &v, &saved);

	if (got <= 0)
		return got;
	n = v->u.object.len;
	r->rdma = calloc(n ? n : 1, sizeof(*r->rdma));
	if (r->rdma == NULL)
		return json_oom(c);
	for (size_t i = 0; i < n; i++) {
		struct spec_rdma_limit *l = &r->rdma[r->rdma_len];
		uint64_t x = 0;
		size_t dev_saved = json_path_key(c, v->u.object.keys[i]);
		if (!YAJL_IS_OBJECT(v->u.object.values[i]))
			return json_fail(c, "must be an object");
		if ((l->device = strdup(v->u.object.keys[i])) == NULL)
			return json_oom(c);
		r->rdma_len++;
		if (opt_uint(c, v->u.object.values[i], "hcaHandles", UINT32_MAX, &l->has_hca_handles, &x) < 0)
			return -1;
		l->hca_handles = (uint32_t)x;
		if (opt_uint(c, v->u.object.values[i], "hcaObjects", UINT32_MAX, &l->has_hca_objects, &x) < 0)
			return -1;
		l->hca_objects = (uint32_t)x;
		json_path_restore(c, dev_saved);
	}
	json_path_restore(c, saved);
	return 0;
}

/* ---- blockIO, hugepages ---- */

static int parse_weight_device(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_weight_device *d = item;

	if (json_require(c, json_get_int(c, v, "major", INT64_MIN, INT64_MAX, &d->major),
			 "major") < 0 ||
	    json_require(c, json_get_int(c, v, "minor", INT64_MIN, INT64_MAX, &d->minor),
			 "minor") < 0)
		return -1;
	if (opt_u16(c, v, "weight", &d->has_weight, &d->weight) < 0 ||
	    opt_u16(c, v, "leafWeight", &d->has_leaf_weight, &d->leaf_weight) < 0)
		return -1;
	return 0;
}

static int parse_throttle_device(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_throttle_device *d = item;

	if (json_require(c, json_get_int(c, v, "major", INT64_MIN, INT64_MAX, &d->major),
			 "major") < 0 ||
	    json_require(c, json_get_int(c, v, "minor", INT64_MIN, INT64_MAX, &d->minor),
			 "minor") < 0 ||
	    json_require(c, json_get_uint(c, v, "rate", UINT64_MAX, &d->rate), "rate") < 0)
		return -1;
	return 0;
}

static int parse_throttles(struct json_ctx *c, yajl_val v, struct spec_resources *r)
{
	struct {
		const char *key;
		struct spec_throttle_device **list;
		size_t *len;
	} lists[] = {
		{ "throttleReadBpsDevice", &r->blkio_throttle_read_bps,
		  &r->blkio_throttle_read_bps_len },
		{ "throttleWriteBpsDevice", &r->blkio_throttle_write_bps,
		  &r->blkio_throttle_write_bps_len },
		{ "throttleReadIOPSDevice", &r->blkio_throttle_read_iops,
		  &r->blkio_throttle_read_iops_len },
		{ "throttleWriteIOPSDevice", &r->blkio_throttle_write_iops,
		  &r->blkio_throttle_write_iops_len },
	};
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		void *items = NULL;
		int got = json_get_objects(c, v, lists[i].key, sizeof(struct spec_throttle_device),
					   parse_throttle_device, &items, lists[i].len);

		*lists[i].list = items;
		if (got < 0)
			return -1;
	}
	return 0;
}

static int parse_block_io(struct json_ctx *c, yajl_val top, struct spec_resources *r)
{
	void *items = NULL;
	size_t saved;
	yajl_val v;
	int got = enter(c, top, "blockIO", &v, &saved);

	if (got <= 0)
		return got;
	if (opt_u16(c, v, "weight", &r->has_blkio_weight, &r->blkio_weight) < 0 ||
	    opt_u16(c, v, "leafWeight", &r->has_blkio_leaf_weight, &r->blkio_leaf_weight) < 0)
		return -1;
	got = json_get_objects(c, v, "weightDevice", sizeof(struct spec_weight_device),
			       parse_weight_device, &items, &r->blkio_weight_device_len);
	r->blkio_weight_device = items;
	if (got < 0 || parse_throttles(c, v, r) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_hugepage_limit(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_hugepage_limit *h = item;

	if (json_require(c, json_get_string(c, v, "pageSize", &h->page_size), "pageSize") < 0 ||
	    json_require(c, json_get_uint(c, v, "limit", UINT64_MAX, &h->limit), "limit") < 0)
		return -1;
	return 0;
}

/* ---- resources ---- */

int spec_parse_resources(struct json_ctx *c, yajl_val v, struct spec_resources *r)
{
	void *items = NULL;
	int got;

	got = json_get_objects(c, v, "devices", sizeof(struct spec_device_cgroup),
			       parse_device_rule, &items, &r->devices_len);
	r->devices = items;
	if (got < 0)
		return -1;
	if (parse_memory(c, v, r) < 0 || parse_cpu(c, v, r) < 0 ||
	    parse_pids_and_network(c, v, r) < 0 || parse_block_io(c, v, r) < 0 ||
	    parse_rdma(c, v, r) < 0)
		return -1;
	items = NULL;
	got = json_get_objects(c, v, "hugepageLimits", sizeof(struct spec_hugepage_limit),
			       parse_hugepage_limit, &items, &r->hugepage_limits_len);
	r->hugepage_limits = items;
	if (got < 0)
		return -1;
	return spec_parse_kv(c, v, "unified", &r->unified, &r->unified_len) < 0 ? -1 : 0;
}

void spec_resources_free(struct spec_resources *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; r->devices != NULL && i < r->devices_len; i++)
		free(r->devices[i].access);
	free(r->devices);
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_device);
	free(r->blkio_throttle_read_bps);
	free(r->blkio_throttle_write_bps);
	free(r->blkio_throttle_read_iops);
	free(r->blkio_throttle_write_iops);
	for (i = 0; r->hugepage_limits != NULL && i < r->hugepage_limits_len; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (i = 0; r->network_priorities != NULL && i < r->network_priorities_len; i++)
		free(r->network_priorities[i].name);
	free(r->network_priorities);
	for (i = 0; r->rdma != NULL && i < r->rdma_len; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	spec_kv_free(r->unified, r->unified_len);
}

void spec_resources_destroy(struct spec_resources *r)
{
	spec_resources_free(r);
	free(r);
}

struct spec_resources *spec_parse_resources_doc(const char *json, size_t len, const char *origin,
						struct zrun_error *err)
{
	struct spec_resources *r;
	struct json_ctx c;
	yajl_val top = json_parse(json, len, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, origin, err);

	if (top == NULL)
		return NULL;
	json_ctx_init(&c, origin, err);
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		json_oom(&c);
	} else if (!YAJL_IS_OBJECT(top)) {
		json_fail(&c, "must be a JSON object (OCI linux.resources)");
		free(r);
		r = NULL;
	} else if (spec_parse_resources(&c, top, r) < 0) {
		spec_resources_destroy(r);
		r = NULL;
	}
	yajl_tree_free(top);
	return r;
}
