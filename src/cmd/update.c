/* update: change a live container's linux.resources, from an OCI resources
 * JSON (--resources FILE, or - for stdin, as containerd sends it) and/or
 * runc's individual flags, which win over the JSON. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_container.h"
#include "cleanup.h"
#include "cli.h"
#include "json.h"

enum {
	OPT_RESOURCES = 'r', OPT_MEMORY = 256, OPT_MEMORY_RESERVATION, OPT_MEMORY_SWAP,
	OPT_KERNEL_MEMORY, OPT_KERNEL_MEMORY_TCP, OPT_CPU_SHARES, OPT_CPU_QUOTA, OPT_CPU_PERIOD,
	OPT_CPU_RT_PERIOD, OPT_CPU_RT_RUNTIME, OPT_CPUSET_CPUS, OPT_CPUSET_MEMS, OPT_PIDS_LIMIT,
	OPT_BLKIO_WEIGHT, OPT_L3_CACHE, OPT_MEM_BW, OPT_LAST
};

struct update_opts {
	const char *resources;                  /* FILE or "-" */
	const char *value[OPT_LAST - 256];      /* each flag as given, NULL = absent */
};

static const struct cli_opt update_table[] = {
	{ "resources", 'r', required_argument, "FILE", "OCI linux.resources JSON, - for stdin" },
	{ "memory", OPT_MEMORY, required_argument, "BYTES", "memory limit (512m, 1G, -1 unlimited)" },
	{ "memory-reservation", OPT_MEMORY_RESERVATION, required_argument, "BYTES", "memory soft limit" },
	{ "memory-swap", OPT_MEMORY_SWAP, required_argument, "BYTES", "memory plus swap limit (-1 unlimited)" },
	{ "kernel-memory", OPT_KERNEL_MEMORY, required_argument, "BYTES", "kernel memory limit (v1, where the kernel has it)" },
	{ "kernel-memory-tcp", OPT_KERNEL_MEMORY_TCP, required_argument, "BYTES", "kernel TCP buffer limit (v1)" },
	{ "cpu-shares", OPT_CPU_SHARES, required_argument, "N", "CPU shares (relative weight)" },
	{ "cpu-quota", OPT_CPU_QUOTA, required_argument, "USEC", "CPU CFS quota per period" },
	{ "cpu-period", OPT_CPU_PERIOD, required_argument, "USEC", "CPU CFS period" },
	{ "cpu-rt-period", OPT_CPU_RT_PERIOD, required_argument, "USEC", "CPU realtime period (v1)" },
	{ "cpu-rt-runtime", OPT_CPU_RT_RUNTIME, required_argument, "USEC", "CPU realtime runtime (v1)" },
	{ "cpuset-cpus", OPT_CPUSET_CPUS, required_argument, "LIST", "CPUs allowed (0-3,5)" },
	{ "cpuset-mems", OPT_CPUSET_MEMS, required_argument, "LIST", "memory nodes allowed" },
	{ "pids-limit", OPT_PIDS_LIMIT, required_argument, "N", "maximum number of processes (-1 unlimited)" },
	{ "blkio-weight", OPT_BLKIO_WEIGHT, required_argument, "N", "block IO weight (10-1000)" },
	{ "l3-cache-schema", OPT_L3_CACHE, required_argument, "S", "Intel RDT (not supported)" },
	{ "mem-bw-schema", OPT_MEM_BW, required_argument, "S", "Intel RDT (not supported)" },
	{ 0 },
};

static int update_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct update_opts *o = data;

	(void)ctx;
	if (key == OPT_RESOURCES)
		o->resources = arg;
	else if (key >= 256 && key < OPT_LAST)
		o->value[key - 256] = arg;
	return 0;
}

/* go-units RAMInBytes, as runc: "512", "512k", "1.5G", "1GiB", "2 mb";
 * binary multiples. Returns -1 when it is not such a size. */
static int parse_bytes(const char *s, int64_t *out)
{
	static const char units[] = "kmgtp";
	char *end;
	double v;
	const char *u;
	int shift = 0;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (*end == ' ')
		end++;
	if (*end != '\0') {
		u = strchr(units, tolower((unsigned char)*end));
		if (u == NULL)
			return -1;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	v *= (double)(1ULL << shift);
	if (v >= 9.2e18)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int parse_int(const char *s, bool is_signed, int64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	if (is_signed) {
		long long v = strtoll(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || v < min || (v > 0 && (uint64_t)v > max))
			return -1;
		*out = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
			return -1;
		*out = v;
	}
	return 0;
}

static const char *flag_name(int key)
{
	for (const struct cli_opt *o = update_table; o->name != NULL; o++)
		if (o->key == key)
			return o->name;
	return "?";
}

/* The flags onto r, each checked; the message names the flag and value. */
static int apply_flags(struct cli_ctx *ctx, const struct update_opts *o, struct spec_resources *r)
{
	struct { int key; bool *has; int64_t *dest; } bytes[] = {
		{ OPT_MEMORY, &r->has_memory_limit, &r->memory_limit },
		{ OPT_MEMORY_RESERVATION, &r->has_memory_reservation, &r->memory_reservation },
		{ OPT_MEMORY_SWAP, &r->has_memory_swap, &r->memory_swap },
		{ OPT_KERNEL_MEMORY, &r->has_memory_kernel, &r->memory_kernel },
		{ OPT_KERNEL_MEMORY_TCP, &r->has_memory_kernel_tcp, &r->memory_kernel_tcp },
	};
	struct { int key; bool is_signed; int64_t min; uint64_t max; bool *has; void *dest; int size; } nums[] = {
		{ OPT_CPU_SHARES, false, 0, UINT64_MAX, &r->has_cpu_shares, &r->cpu_shares, 8 },
		{ OPT_CPU_QUOTA, true, INT64_MIN, INT64_MAX, &r->has_cpu_quota, &r->cpu_quota, 8 },
		{ OPT_CPU_PERIOD, false, 0, UINT64_MAX, &r->has_cpu_period, &r->cpu_period, 8 },
		{ OPT_CPU_RT_PERIOD, false, 0, UINT64_MAX, &r->has_cpu_realtime_period, &r->cpu_realtime_period, 8 },
		{ OPT_CPU_RT_RUNTIME, true, INT64_MIN, INT64_MAX, &r->has_cpu_realtime_runtime, &r->cpu_realtime_runtime, 8 },
		{ OPT_PIDS_LIMIT, true, INT64_MIN, INT64_MAX, &r->has_pids_limit, &r->pids_limit, 8 },
		{ OPT_BLKIO_WEIGHT, false, 0, UINT16_MAX, &r->has_blkio_weight, &r->blkio_weight, 2 },
	};

	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		const char *v = o->value[bytes[i].key - 256];
		int64_t n = -1;
		if (v == NULL || v[0] == '\0')
			continue;
		if (strcmp(v, "-1") != 0 && parse_bytes(v, &n) < 0)
			return zrun_error_set(&ctx->err, 0, "--%s: invalid value \"%s\" (bytes: 512m, 1G, or -1)",
					      flag_name(bytes[i].key), v);
		*bytes[i].has = true;
		*bytes[i].dest = n;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		const char *v = o->value[nums[i].key - 256];
		uint64_t n;
		if (v == NULL || v[0] == '\0')
			continue;
		if (parse_int(v, nums[i].is_signed, nums[i].min, nums[i].max, &n) < 0)
			return zrun_error_set(&ctx->err, 0, "--%s: invalid value \"%s\" (%s integer)",
					      flag_name(nums[i].key), v,
					      nums[i].is_signed ? "an" : "a non-negative");
		*nums[i].has = true;
		if (nums[i].size == 2)
			*(uint16_t *)nums[i].dest = (uint16_t)n;
		else
			*(uint64_t *)nums[i].dest = n; /* int64 fields share the representation */
	}
	if (o->value[OPT_L3_CACHE - 256] != NULL || o->value[OPT_MEM_BW - 256] != NULL)
		return zrun_error_set(&ctx->err, 0, "--l3-cache-schema/--mem-bw-schema: Intel RDT is not supported by zrun");
	for (int key = OPT_CPUSET_CPUS; key <= OPT_CPUSET_MEMS; key++) {
		const char *v = o->value[key - 256];
		char **dest = key == OPT_CPUSET_CPUS ? &r->cpu_cpus : &r->cpu_mems;
		if (v == NULL)
			continue;
		free(*dest);
		if ((*dest = strdup(v)) == NULL)
			return zrun_error_set(&ctx->err, ENOMEM, "--%s", flag_name(key));
	}
	return 0;
}

/* FILE or stdin, bounded like a config.json. */
static struct spec_resources *read_resources(struct cli_ctx *ctx, const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (strcmp(path, "-") != 0) {
		if (json_read_file(path, SPEC_MAX_BYTES, &buf, &len, &ctx->err) < 0)
			return NULL;
	} else {
		if ((buf = malloc(SPEC_MAX_BYTES + 1)) == NULL) {
			zrun_error_set(&ctx->err, ENOMEM, "--resources -");
			return NULL;
		}
		for (;;) {
			ssize_t n = read(STDIN_FILENO, buf + len, SPEC_MAX_BYTES + 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				zrun_error_set(&ctx->err, errno, "--resources -: read stdin");
				return NULL;
			}
			if (n == 0)
				break;
			len += (size_t)n;
			if (len > SPEC_MAX_BYTES) {
				zrun_error_set(&ctx->err, 0, "--resources -: more than %d bytes", SPEC_MAX_BYTES);
				return NULL;
			}
		}
	}
	return spec_parse_resources_doc(buf, len, strcmp(path, "-") == 0 ? "stdin" : path, &ctx->err);
}

static int run_update(struct cli_ctx *ctx, int argc, char **argv)
{
	struct update_opts o = { 0 };
	struct spec_resources *r;
	int first, ret = cli_parse(ctx, argc, argv, &first, update_opt, &o);

	if (ret != 0)
		return ret > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	r = o.resources != NULL ? read_resources(ctx, o.resources) : calloc(1, sizeof(*r));
	if (r == NULL) {
		if (o.resources == NULL)
			zrun_error_set(&ctx->err, ENOMEM, "resources");
		return zrun_error_prefix(&ctx->err, "update %s", argv[first]);
	}
	ret = apply_flags(ctx, &o, r);
	if (ret == 0)
		ret = container_update(ctx->root, argv[first], r, &ctx->err);
	spec_resources_destroy(r);
	if (ret < 0)
		return zrun_error_prefix(&ctx->err, "update %s", argv[first]);
	return 0;
}

const struct command cmd_update = { .name = "update", .args = "<container-id>",
	.summary = "change the resource limits of a container", .opts = update_table, .run = run_update };
