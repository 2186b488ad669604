/* events: a container's cgroup counters as runc's event JSON, one event per
 * line: --stats prints one "stats" event and exits; otherwise a "stats"
 * event every --interval (default 5s) and an "oom" event whenever the OOM
 * killer strikes in the container, until the container stops. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_container.h"
#include "cleanup.h"
#include "cli.h"
#include "clock.h"
#include "json.h"
#include "service.h"

#define EVENTS_TICK_MS 100

struct events_opts {
	bool stats;
	uint64_t interval_ms;
};

static int events_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct events_opts *o = data;

	if (key == 's')
		o->stats = true;
	else if (key == 'i') {
		/* runc takes a Go duration ("5s", "250ms", "1m30s"); 0 would spin */
		long ms;
		if (duration_parse(arg, &ms) < 0 || ms < 1)
			return zrun_error_set(&ctx->err, 0, "events: --interval: \"%s\" is not a duration (5s, 500ms, 1m)", arg);
		o->interval_ms = (uint64_t)ms;
	}
	return 0;
}

/* Go's omitempty: a zero number is left out. */
static void w_u64(struct json_writer *w, const char *key, uint64_t v, bool omitempty)
{
	if (omitempty && v == 0)
		return;
	json_w_key(w, key);
	json_w_uint(w, v);
}

static void w_mem_entry(struct json_writer *w, const char *key, const struct cgroup_memory_entry *e)
{
	json_w_key(w, key);
	json_w_object_begin(w);
	w_u64(w, "limit", e->limit, false);
	w_u64(w, "usage", e->usage, true);
	w_u64(w, "max", e->max, true);
	w_u64(w, "failcnt", e->failcnt, false);
	json_w_object_end(w);
}

static void w_blkio(struct json_writer *w, const char *key, const struct cgroup_blkio_entry *e, size_t n)
{
	if (n == 0)
		return;
	json_w_key(w, key);
	json_w_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		json_w_object_begin(w);
		w_u64(w, "major", e[i].major, true);
		w_u64(w, "minor", e[i].minor, true);
		if (e[i].op[0] != '\0') {
			json_w_key(w, "op");
			json_w_string(w, e[i].op);
		}
		w_u64(w, "value", e[i].value, true);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void w_cpu(struct json_writer *w, const struct cgroup_stats *s)
{
	json_w_key(w, "cpu");
	json_w_object_begin(w);
	json_w_key(w, "usage");
	json_w_object_begin(w);
	w_u64(w, "total", s->cpu_total_ns, true);
	if (s->cpu_percpu_len > 0) {
		json_w_key(w, "percpu");
		json_w_array_begin(w);
		for (size_t i = 0; i < s->cpu_percpu_len; i++)
			json_w_uint(w, s->cpu_percpu_ns[i]);
		json_w_array_end(w);
	}
	w_u64(w, "kernel", s->cpu_kernel_ns, false);
	w_u64(w, "user", s->cpu_user_ns, false);
	json_w_object_end(w);
	json_w_key(w, "throttling");
	json_w_object_begin(w);
	w_u64(w, "periods", s->throttling_periods, true);
	w_u64(w, "throttledPeriods", s->throttled_periods, true);
	w_u64(w, "throttledTime", s->throttled_time_ns, true);
	json_w_object_end(w);
	json_w_object_end(w);
}

static void w_memory(struct json_writer *w, const struct cgroup_stats *s)
{
	json_w_key(w, "memory");
	json_w_object_begin(w);
	w_u64(w, "cache", s->memory_cache, true);
	w_mem_entry(w, "usage", &s->memory_usage);
	w_mem_entry(w, "swap", &s->memory_swap);
	w_mem_entry(w, "kernel", &s->memory_kernel);
	w_mem_entry(w, "kernelTCP", &s->memory_kernel_tcp);
	if (s->memory_raw_len > 0) {
		json_w_key(w, "raw");
		json_w_object_begin(w);
		for (size_t i = 0; i < s->memory_raw_len; i++)
			w_u64(w, s->memory_raw[i].name, s->memory_raw[i].value, false);
		json_w_object_end(w);
	}
	json_w_object_end(w);
}

static char *stats_event_json(const char *id, const struct cgroup_stats *s)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "type");
	json_w_string(&w, "stats");
	json_w_key(&w, "id");
	json_w_string(&w, id);
	json_w_key(&w, "data");
	json_w_object_begin(&w);
	w_cpu(&w, s);
	w_memory(&w, s);
	json_w_key(&w, "pids");
	json_w_object_begin(&w);
	w_u64(&w, "current", s->pids_current, true);
	w_u64(&w, "limit", s->pids_limit, true);
	json_w_object_end(&w);
	json_w_key(&w, "blkio");
	json_w_object_begin(&w);
	w_blkio(&w, "ioServiceBytesRecursive", s->io_service_bytes, s->io_service_bytes_len);
	w_blkio(&w, "ioServicedRecursive", s->io_serviced, s->io_serviced_len);
	json_w_object_end(&w);
	json_w_key(&w, "hugetlb");
	json_w_object_begin(&w);
	for (size_t i = 0; i < s->hugetlb_len; i++) {
		json_w_key(&w, s->hugetlb[i].size);
		json_w_object_begin(&w);
		w_u64(&w, "usage", s->hugetlb[i].usage, true);
		w_u64(&w, "max", s->hugetlb[i].max, true);
		w_u64(&w, "failcnt", s->hugetlb[i].failcnt, false);
		json_w_object_end(&w);
	}
	json_w_object_end(&w);
	json_w_key(&w, "intel_rdt");
	json_w_object_begin(&w);
	json_w_object_end(&w);
	json_w_object_end(&w);
	json_w_object_end(&w);
	return json_w_finish(&w);
}

static int print_stats(struct cli_ctx *ctx, struct cgroup *cg, const char *id)
{
	_cleanup_free_ struct cgroup_stats *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "stats");
	if (cgroup_stats(cg, s, &ctx->err) < 0)
		return -1;
	_cleanup_free_ char *json = stats_event_json(id, s);
	if (json == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "stats");
	printf("%s\n", json);
	fflush(stdout);
	return 0;
}

static bool container_stopped(const char *root, const char *id)
{
	struct container_state st;
	bool stopped;

	if (state_read(root, id, &st, NULL) < 0)
		return true; /* deleted */
	stopped = state_live_status(root, &st) == STATUS_STOPPED;
	state_clear(&st);
	return stopped;
}

static void print_oom_event(const char *id)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "type");
	json_w_string(&w, "oom");
	json_w_key(&w, "id");
	json_w_string(&w, id);
	json_w_object_end(&w);
	char *line = json_w_finish(&w);
	if (line)
		printf("%s\n", line);
	free(line);
	fflush(stdout);
}

/* Stats every interval, OOM kills as they happen (polled each tick), until
 * the container stops; a last OOM check then, since an OOM kill of the init
 * is what stops it. */
static int stream(struct cli_ctx *ctx, struct cgroup *cg, const char *id, uint64_t interval_ms)
{
	uint64_t ooms = 0, now_ooms, since_stats = interval_ms;
	bool have_oom = cgroup_oom_kills(cg, &ooms, NULL) == 0, stopped = false;

	while (!stopped) {
		stopped = container_stopped(ctx->root, id);
		if (have_oom && cgroup_oom_kills(cg, &now_ooms, NULL) == 0 && now_ooms > ooms) {
			ooms = now_ooms;
			print_oom_event(id);
		}
		if (stopped)
			break;
		if (since_stats >= interval_ms) {
			since_stats = 0;
			if (print_stats(ctx, cg, id) < 0)
				return container_stopped(ctx->root, id) ? 0 : -1;
		}
		sleep_ms(EVENTS_TICK_MS);
		since_stats += EVENTS_TICK_MS;
	}
	return 0;
}

static int run_events(struct cli_ctx *ctx, int argc, char **argv)
{
	struct events_opts o = { .interval_ms = 5000 };
	enum container_status status;
	struct cgroup *cg;
	int first, r = cli_parse(ctx, argc, argv, &first, events_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	cg = container_cgroup(ctx->root, argv[first], &status, &ctx->err);
	if (cg == NULL)
		return zrun_error_prefix(&ctx->err, "events %s", argv[first]);
	r = o.stats ? print_stats(ctx, cg, argv[first]) : stream(ctx, cg, argv[first], o.interval_ms);
	cgroup_free(cg);
	if (r < 0)
		return zrun_error_prefix(&ctx->err, "events %s", argv[first]);
	return 0;
}

static const struct cli_opt events_table[] = {
	{ "stats", 's', no_argument, NULL, "print the container's stats once and exit" },
	{ "interval", 'i', required_argument, "DURATION", "time between stats events (default 5s)" },
	{ 0 },
};

const struct command cmd_events = { .name = "events", .args = "<container-id>",
	.summary = "print a container's stats and OOM events as JSON", .opts = events_table, .run = run_events };
