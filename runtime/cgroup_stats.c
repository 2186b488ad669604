/* cgroup_stats: the counters `zrun events` reports, read from the cgroup's
 * files in runc's units: cpuacct/cpu/memory/pids/blkio/hugetlb on v1, the
 * unified files (cpu.stat, memory.*, io.stat, ...) on v2. A missing file
 * leaves its counter at zero, as runc does for an absent controller. */
#include "cgroup_driver.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAT_FILE_MAX (64 * 1024)

/* A number file; "max" reads as max_value. Missing/unreadable: 0 stays. */
static void read_u64(const char *dir, const char *file, uint64_t max_value, uint64_t *out)
{
	char buf[64];

	if (dir == NULL || cg_read(dir, file, buf, sizeof(buf)) <= 0)
		return;
	if (strcmp(buf, "max") == 0)
		*out = max_value;
	else
		*out = strtoull(buf, NULL, 10);
}

/* Call fn(key, value) for each "key value" line of a flat keyed file. */
static void read_keyed(const char *dir, const char *file,
		       void (*fn)(const char *key, uint64_t value, void *data), void *data)
{
	char *buf, *line, *save = NULL;

	if (dir == NULL || (buf = malloc(STAT_FILE_MAX)) == NULL)
		return;
	if (cg_read(dir, file, buf, STAT_FILE_MAX) > 0) {
		for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(line, ' ');
			if (sp == NULL)
				continue;
			*sp = '\0';
			fn(line, strtoull(sp + 1, NULL, 10), data);
		}
	}
	free(buf);
}

struct key_pick {
	const char *key;
	uint64_t *out;
};

static void pick_fn(const char *key, uint64_t value, void *data)
{
	for (struct key_pick *p = data; p->key != NULL; p++)
		if (strcmp(p->key, key) == 0)
			*p->out = value;
}

static void raw_fn(const char *key, uint64_t value, void *data)
{
	struct cgroup_stats *s = data;

	if (s->memory_raw_len >= CGROUP_STATS_RAW_MAX || strlen(key) >= sizeof(s->memory_raw[0].name))
		return;
	snprintf(s->memory_raw[s->memory_raw_len].name, sizeof(s->memory_raw[0].name), "%s", key);
	s->memory_raw[s->memory_raw_len++].value = value;
}

static uint64_t raw_value(const struct cgroup_stats *s, const char *name)
{
	for (size_t i = 0; i < s->memory_raw_len; i++)
		if (strcmp(s->memory_raw[i].name, name) == 0)
			return s->memory_raw[i].value;
	return 0;
}

static void add_blkio(struct cgroup_blkio_entry *list, size_t *len, uint64_t major,
		      uint64_t minor, const char *op, uint64_t value)
{
	if (*len >= CGROUP_STATS_BLKIO_MAX)
		return;
	list[*len].major = major;
	list[*len].minor = minor;
	list[*len].value = value;
	snprintf(list[*len].op, sizeof(list[*len].op), "%s", op);
	(*len)++;
}

/* v1 blkio lines: "8:0 Read 4096"; the closing "Total N" line has no device. */
static size_t read_blkio_v1(const char *dir, const char *file, struct cgroup_blkio_entry *list,
			    size_t *len)
{
	char *buf, *line, *save = NULL;

	if ((buf = malloc(STAT_FILE_MAX)) == NULL)
		return 0;
	if (cg_read(dir, file, buf, STAT_FILE_MAX) > 0) {
		for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long major, minor, value;
			char op[16];
			if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) == 4)
				add_blkio(list, len, major, minor, op, value);
		}
	}
	free(buf);
	return *len;
}

/* Call fn for each hugepage size that has a file "hugetlb.<size>.<suffix>". */
static void each_hugetlb(const char *dir, const char *suffix, struct cgroup_stats *s,
			 void (*fn)(const char *dir, const char *size, struct cgroup_stats *s))
{
	DIR *d = dir != NULL ? opendir(dir) : NULL;
	struct dirent *de;
	size_t suffix_len = strlen(suffix);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && s->hugetlb_len < CGROUP_STATS_HUGETLB_MAX) {
		size_t len = strlen(de->d_name);
		char size[16];
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || len <= 8 + suffix_len + 1 ||
		    strcmp(de->d_name + len - suffix_len, suffix) != 0 ||
		    de->d_name[len - suffix_len - 1] != '.' || len - 8 - suffix_len - 1 >= sizeof(size))
			continue;
		snprintf(size, sizeof(size), "%.*s", (int)(len - 8 - suffix_len - 1), de->d_name + 8);
		fn(dir, size, s);
	}
	closedir(d);
}

static void hugetlb_v1(const char *dir, const char *size, struct cgroup_stats *s)
{
	char file[64];
	size_t i = s->hugetlb_len++;

	snprintf(s->hugetlb[i].size, sizeof(s->hugetlb[i].size), "%s", size);
	snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", size);
	read_u64(dir, file, UINT64_MAX, &s->hugetlb[i].usage);
	snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
	read_u64(dir, file, UINT64_MAX, &s->hugetlb[i].max);
	snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
	read_u64(dir, file, UINT64_MAX, &s->hugetlb[i].failcnt);
}

static void hugetlb_v2(const char *dir, const char *size, struct cgroup_stats *s)
{
	char file[64];
	size_t i = s->hugetlb_len++;
	struct key_pick pick[] = { { "max", &s->hugetlb[i].failcnt }, { NULL, NULL } };

	snprintf(s->hugetlb[i].size, sizeof(s->hugetlb[i].size), "%s", size);
	snprintf(file, sizeof(file), "hugetlb.%s.current", size);
	read_u64(dir, file, UINT64_MAX, &s->hugetlb[i].usage);
	snprintf(file, sizeof(file), "hugetlb.%s.events", size);
	read_keyed(dir, file, pick_fn, pick);
}

static void memory_entry_v1(const char *dir, const char *prefix, struct cgroup_memory_entry *e)
{
	char file[96];

	snprintf(file, sizeof(file), "%s.usage_in_bytes", prefix);
	read_u64(dir, file, UINT64_MAX, &e->usage);
	snprintf(file, sizeof(file), "%s.max_usage_in_bytes", prefix);
	read_u64(dir, file, UINT64_MAX, &e->max);
	snprintf(file, sizeof(file), "%s.failcnt", prefix);
	read_u64(dir, file, UINT64_MAX, &e->failcnt);
	snprintf(file, sizeof(file), "%s.limit_in_bytes", prefix);
	read_u64(dir, file, UINT64_MAX, &e->limit);
}

static const char *v1_dir(struct cgroup *cg, const char *controller)
{
	struct cgroup_hierarchy *h = v1_find(cg, controller);

	return h != NULL ? h->dir : NULL;
}

static void cpu_v1(struct cgroup *cg, struct cgroup_stats *s)
{
	const char *acct = v1_dir(cg, "cpuacct"), *cpu = v1_dir(cg, "cpu");
	uint64_t user_ticks = 0, system_ticks = 0;
	struct key_pick ticks[] = { { "user", &user_ticks }, { "system", &system_ticks }, { NULL, NULL } };
	struct key_pick thr[] = { { "nr_periods", &s->throttling_periods },
				  { "nr_throttled", &s->throttled_periods },
				  { "throttled_time", &s->throttled_time_ns }, { NULL, NULL } };
	long hz = sysconf(_SC_CLK_TCK);
	char buf[16 * 1024];

	read_u64(acct, "cpuacct.usage", UINT64_MAX, &s->cpu_total_ns);
	if (acct != NULL && cg_read(acct, "cpuacct.usage_percpu", buf, sizeof(buf)) > 0) {
		char *p = buf, *end;
		while (s->cpu_percpu_len < CGROUP_STATS_CPUS_MAX) {
			uint64_t v = strtoull(p, &end, 10);
			if (end == p)
				break;
			s->cpu_percpu_ns[s->cpu_percpu_len++] = v;
			p = end;
		}
	}
	/* cpuacct.stat counts USER_HZ ticks. */
	read_keyed(acct, "cpuacct.stat", pick_fn, ticks);
	if (hz > 0) {
		s->cpu_user_ns = user_ticks * (1000000000ULL / (uint64_t)hz);
		s->cpu_kernel_ns = system_ticks * (1000000000ULL / (uint64_t)hz);
	}
	read_keyed(cpu, "cpu.stat", pick_fn, thr);
}

static void memory_v1(struct cgroup *cg, struct cgroup_stats *s)
{
	const char *dir = v1_dir(cg, "memory");
	struct key_pick oom[] = { { "oom_kill", &s->oom_kills }, { NULL, NULL } };

	if (dir == NULL)
		return;
	memory_entry_v1(dir, "memory", &s->memory_usage);
	memory_entry_v1(dir, "memory.memsw", &s->memory_swap);
	memory_entry_v1(dir, "memory.kmem", &s->memory_kernel);
	memory_entry_v1(dir, "memory.kmem.tcp", &s->memory_kernel_tcp);
	read_keyed(dir, "memory.stat", raw_fn, s);
	s->memory_cache = raw_value(s, "cache");
	read_keyed(dir, "memory.oom_control", pick_fn, oom);
}

static int stats_v1(struct cgroup *cg, struct cgroup_stats *s)
{
	const char *dir;

	cpu_v1(cg, s);
	memory_v1(cg, s);
	dir = v1_dir(cg, "pids");
	read_u64(dir, "pids.current", 0, &s->pids_current);
	read_u64(dir, "pids.max", 0, &s->pids_limit);
	if ((dir = v1_dir(cg, "blkio")) != NULL) {
		/* CFQ's files are gone since 5.0; BFQ's or the throttle's remain. */
		static const char *const files[][2] = {
			{ "blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive" },
			{ "blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive" },
			{ "blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive" },
		};
		for (size_t i = 0; i < 3 && s->io_service_bytes_len == 0; i++) {
			s->io_serviced_len = 0;
			read_blkio_v1(dir, files[i][0], s->io_service_bytes, &s->io_service_bytes_len);
			read_blkio_v1(dir, files[i][1], s->io_serviced, &s->io_serviced_len);
		}
	}
	each_hugetlb(v1_dir(cg, "hugetlb"), "limit_in_bytes", s, hugetlb_v1);
	return 0;
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static void io_v2(const char *dir, struct cgroup_stats *s)
{
	char *buf = malloc(STAT_FILE_MAX), *line, *save = NULL;

	if (buf == NULL)
		return;
	if (cg_read(dir, "io.stat", buf, STAT_FILE_MAX) > 0) {
		for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long major, minor;
			char *tok, *save2 = NULL;
			if (sscanf(line, "%llu:%llu", &major, &minor) != 2)
				continue;
			strtok_r(line, " ", &save2);
			while ((tok = strtok_r(NULL, " ", &save2)) != NULL) {
				char *eq = strchr(tok, '=');
				uint64_t v;
				if (eq == NULL)
					continue;
				v = strtoull(eq + 1, NULL, 10);
				*eq = '\0';
				if (strcmp(tok, "rbytes") == 0)
					add_blkio(s->io_service_bytes, &s->io_service_bytes_len, major, minor, "Read", v);
				else if (strcmp(tok, "wbytes") == 0)
					add_blkio(s->io_service_bytes, &s->io_service_bytes_len, major, minor, "Write", v);
				else if (strcmp(tok, "rios") == 0)
					add_blkio(s->io_serviced, &s->io_serviced_len, major, minor, "Read", v);
				else if (strcmp(tok, "wios") == 0)
					add_blkio(s->io_serviced, &s->io_serviced_len, major, minor, "Write", v);
			}
		}
	}
	free(buf);
}

static int stats_v2(struct cgroup *cg, struct cgroup_stats *s)
{
	const char *dir = cg->dir;
	uint64_t usage_us = 0, user_us = 0, system_us = 0, throttled_us = 0;
	uint64_t swap_usage = 0, swap_max = 0;
	struct key_pick cpu[] = { { "usage_usec", &usage_us }, { "user_usec", &user_us },
				  { "system_usec", &system_us }, { "nr_periods", &s->throttling_periods },
				  { "nr_throttled", &s->throttled_periods },
				  { "throttled_usec", &throttled_us }, { NULL, NULL } };
	struct key_pick events[] = { { "max", &s->memory_usage.failcnt },
				     { "oom_kill", &s->oom_kills }, { NULL, NULL } };

	read_keyed(dir, "cpu.stat", pick_fn, cpu);
	s->cpu_total_ns = usage_us * 1000;
	s->cpu_user_ns = user_us * 1000;
	s->cpu_kernel_ns = system_us * 1000;
	s->throttled_time_ns = throttled_us * 1000;

	read_u64(dir, "memory.current", UINT64_MAX, &s->memory_usage.usage);
	read_u64(dir, "memory.max", UINT64_MAX, &s->memory_usage.limit);
	read_u64(dir, "memory.peak", UINT64_MAX, &s->memory_usage.max);
	read_keyed(dir, "memory.events", pick_fn, events);
	read_keyed(dir, "memory.stat", raw_fn, s);
	s->memory_cache = raw_value(s, "file");
	/* runc reports v2 swap as memory+swap, the v1 meaning of memsw. */
	if (cg_file_exists(dir, "memory.swap.current")) {
		read_u64(dir, "memory.swap.current", UINT64_MAX, &swap_usage);
		read_u64(dir, "memory.swap.max", UINT64_MAX, &swap_max);
		s->memory_swap.usage = s->memory_usage.usage + swap_usage;
		s->memory_swap.limit = swap_max == UINT64_MAX || s->memory_usage.limit == UINT64_MAX
					       ? UINT64_MAX : swap_max + s->memory_usage.limit;
	}
	read_u64(dir, "pids.current", 0, &s->pids_current);
	read_u64(dir, "pids.max", 0, &s->pids_limit);
	io_v2(dir, s);
	each_hugetlb(dir, "current", s, hugetlb_v2);
	return 0;
}

static const char *stats_dir(struct cgroup *cg)
{
	return cg->version == CGROUP_V2 ? cg->dir : cg->driver->pids_dir(cg);
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *stats, struct zrun_error *err)
{
	memset(stats, 0, sizeof(*stats));
	if (cg->version == CGROUP_NONE)
		return zrun_error_set(err, 0, "the container has no cgroup to read stats from " CGROUP_NONE_WHY);
	if (access(stats_dir(cg), F_OK) < 0)
		return zrun_error_set(err, errno, "cgroup %s: %s", cg->path, stats_dir(cg));
	return cg->version == CGROUP_V2 ? stats_v2(cg, stats) : stats_v1(cg, stats);
}

int cgroup_oom_kills(struct cgroup *cg, uint64_t *count, struct zrun_error *err)
{
	const char *dir = cg->version == CGROUP_V2 ? cg->dir : v1_dir(cg, "memory");
	const char *file = cg->version == CGROUP_V2 ? "memory.events" : "memory.oom_control";
	struct key_pick pick[] = { { "oom_kill", count }, { NULL, NULL } };

	*count = 0;
	if (cg->version == CGROUP_NONE)
		return 0; /* no memory cgroup: the kernel's OOM killer counts nothing for it */
	if (dir == NULL)
		return zrun_error_set(err, 0, "cgroup %s: the memory controller is not mounted", cg->path);
	if (!cg_file_exists(dir, file))
		return zrun_error_set(err, ENOENT, "cgroup %s: %s", cg->path, file);
	read_keyed(dir, file, pick_fn, pick);
	return 0;
}
