/* cgroup_systemd: the systemd driver's D-Bus side (see cgroup_systemd.h):
 * a transient scope per container, its properties, and its stop. sd-bus
 * from libsystemd; one connection per call (create, update and delete are
 * separate processes anyway). */
#include "cgroup_systemd.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

/* libsystemd is opened when the driver is first used, not linked: every
 * other zrun command (and every container of the cgroupfs driver) would
 * otherwise load it and its six libraries at each start, about 0.3 ms,
 * for nothing. The header gives the types; these pointers the functions. */
#define SD_FUNCS(X) X(sd_bus_call) X(sd_bus_call_method) X(sd_bus_error_free) \
	X(sd_bus_flush_close_unref) X(sd_bus_match_signal) X(sd_bus_message_append) \
	X(sd_bus_message_close_container) X(sd_bus_message_new_method_call) \
	X(sd_bus_message_open_container) X(sd_bus_message_read) X(sd_bus_message_unref) \
	X(sd_bus_new) X(sd_bus_open_system) X(sd_bus_process) X(sd_bus_set_address) \
	X(sd_bus_slot_unref) X(sd_bus_start) X(sd_bus_unref) X(sd_bus_wait)
#define SD_POINTER(f) static typeof(f) *p_##f;
SD_FUNCS(SD_POINTER)
#define sd_bus_call p_sd_bus_call
#define sd_bus_call_method p_sd_bus_call_method
#define sd_bus_error_free p_sd_bus_error_free
#define sd_bus_flush_close_unref p_sd_bus_flush_close_unref
#define sd_bus_match_signal p_sd_bus_match_signal
#define sd_bus_message_append p_sd_bus_message_append
#define sd_bus_message_close_container p_sd_bus_message_close_container
#define sd_bus_message_new_method_call p_sd_bus_message_new_method_call
#define sd_bus_message_open_container p_sd_bus_message_open_container
#define sd_bus_message_read p_sd_bus_message_read
#define sd_bus_message_unref p_sd_bus_message_unref
#define sd_bus_new p_sd_bus_new
#define sd_bus_open_system p_sd_bus_open_system
#define sd_bus_process p_sd_bus_process
#define sd_bus_set_address p_sd_bus_set_address
#define sd_bus_slot_unref p_sd_bus_slot_unref
#define sd_bus_start p_sd_bus_start
#define sd_bus_unref p_sd_bus_unref
#define sd_bus_wait p_sd_bus_wait

static int sd_load(struct zrun_error *err)
{
	static void *lib;
	void *h;

	if (lib != NULL)
		return 0;
	h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return zrun_error_set(err, 0, "systemd: %s (the systemd driver needs libsystemd0)", dlerror());
#define SD_LOAD(f) \
	if ((p_##f = (typeof(p_##f))dlsym(h, #f)) == NULL) { \
		dlclose(h); \
		return zrun_error_set(err, 0, "systemd: libsystemd.so.0 has no %s", #f); \
	}
	SD_FUNCS(SD_LOAD)
#undef SD_LOAD
	lib = h;
	return 0;
}

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* A job on a loaded host (or a guest under TCG) can take seconds; runc waits 30 s. */
#define SD_JOB_TIMEOUT_MS 30000

/* The connection: systemd's private socket when we may use it (root: a
 * direct connection, no dbus-daemon needed, and systemd sends it every
 * signal unasked), else the system bus, where we must Subscribe. */
static sd_bus *bus_open(struct zrun_error *err)
{
	sd_bus *bus = NULL;
	int r;

	if (sd_load(err) < 0)
		return NULL;
	r = sd_bus_new(&bus);

	if (r >= 0)
		r = sd_bus_set_address(bus, "unix:path=/run/systemd/private");
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		return bus;
	sd_bus_unref(bus);
	bus = NULL;
	r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
	if (r < 0) {
		sd_bus_unref(bus);
		zrun_error_set(err, -r, "systemd: connect to /run/systemd/private or the system bus");
		return NULL;
	}
	return bus;
}

static void bus_closep(sd_bus **bus)
{
	if (*bus)
		sd_bus_flush_close_unref(*bus);
}

static void msg_unrefp(sd_bus_message **m)
{
	if (*m)  /* also where libsystemd could not be loaded */
		sd_bus_message_unref(*m);
}

/* What JobRemoved said about the job we wait for. sd_bus_call queues the
 * signals that arrive before its reply, and they are dispatched only in
 * job_wait, once the job's path is known: none is missed. */
struct job_wait {
	const char *job;   /* object path, NULL until the call returned it */
	char result[32];   /* "done", "failed", ... ; "" while running */
};

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *ret)
{
	struct job_wait *w = data;
	const char *path, *unit, *result;
	uint32_t id;

	(void)ret;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->job != NULL && strcmp(path, w->job) == 0)
		snprintf(w->result, sizeof(w->result), "%s", result);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for the JobRemoved of w->job; 0 with w->result set, or -1. */
static int job_wait(sd_bus *bus, struct job_wait *w, const char *what, struct zrun_error *err)
{
	uint64_t deadline = now_ms() + SD_JOB_TIMEOUT_MS;

	while (w->result[0] == '\0') {
		int r = sd_bus_process(bus, NULL);
		if (r < 0)
			return zrun_error_set(err, -r, "systemd: %s: waiting for job %s", what, w->job);
		if (r > 0)
			continue;
		uint64_t now = now_ms();
		if (now >= deadline)
			return zrun_error_set(err, ETIMEDOUT, "systemd: %s: job %s", what, w->job);
		r = sd_bus_wait(bus, (deadline - now) * 1000);
		if (r < 0)
			return zrun_error_set(err, -r, "systemd: %s: waiting for job %s", what, w->job);
	}
	return 0;
}

/* One (sv) property. */
#define PROP(m, name, type, ...) sd_bus_message_append(m, "(sv)", name, type, __VA_ARGS__)

/* The resources systemd owns, as the properties runc sets (v2 names on
 * v2, the v1 ones on v1); cgroup.c writes every resource to the files
 * afterwards, so what has no property here still applies. */
static int append_resources(sd_bus_message *m, const struct spec_resources *r,
			    enum cgroup_version version)
{
	bool v2 = version == CGROUP_V2;
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->has_memory_limit && r->memory_limit != 0)
		rc |= PROP(m, v2 ? "MemoryMax" : "MemoryLimit", "t",
			   r->memory_limit < 0 ? UINT64_MAX : (uint64_t)r->memory_limit);
	if (v2 && r->has_memory_reservation && r->memory_reservation > 0)
		rc |= PROP(m, "MemoryLow", "t", (uint64_t)r->memory_reservation);
	/* OCI's swap is memory+swap; v2's MemorySwapMax is the swap alone. */
	if (v2 && r->has_memory_swap && r->memory_swap != 0 && r->has_memory_limit) {
		uint64_t swap = r->memory_swap < 0 ? UINT64_MAX
			: r->memory_limit > 0 && r->memory_swap >= r->memory_limit
			? (uint64_t)(r->memory_swap - r->memory_limit) : 0;
		rc |= PROP(m, "MemorySwapMax", "t", swap);
	}
	if (r->has_cpu_shares && r->cpu_shares != 0) {
		if (v2)
			rc |= PROP(m, "CPUWeight", "t",
				   (uint64_t)(1 + (((int64_t)r->cpu_shares - 2) * 9999) / 262142));
		else
			rc |= PROP(m, "CPUShares", "t", r->cpu_shares);
	}
	if (r->has_cpu_quota && r->cpu_quota > 0) {
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;
		/* runc: systemd counts in 10 ms steps per second; round up
		 * so that the limit is never tighter than asked. */
		uint64_t per_sec = (uint64_t)r->cpu_quota * 1000000 / period;
		if (per_sec % 10000)
			per_sec = (per_sec / 10000 + 1) * 10000;
		rc |= PROP(m, "CPUQuotaPerSecUSec", "t", per_sec);
		if (r->has_cpu_period && r->cpu_period)
			rc |= PROP(m, "CPUQuotaPeriodUSec", "t", r->cpu_period);
	}
	if (r->has_pids_limit)
		rc |= PROP(m, "TasksMax", "t", r->pids_limit > 0 ? (uint64_t)r->pids_limit : UINT64_MAX);
	if (r->has_blkio_weight && r->blkio_weight)
		rc |= v2 ? PROP(m, "IOWeight", "t", (uint64_t)(1 + (r->blkio_weight - 10) * 9999 / 990))
			 : PROP(m, "BlockIOWeight", "t", (uint64_t)r->blkio_weight);
	return rc < 0 ? -1 : 0;
}

static int start_message(sd_bus *bus, sd_bus_message **m, const struct systemd_scope *s, pid_t pid,
			 const struct spec_resources *r, enum cgroup_version version)
{
	char desc[SYSTEMD_UNIT_NAME_MAX + 32];
	int rc = sd_bus_message_new_method_call(bus, m, SD_DEST, SD_PATH, SD_MANAGER,
						"StartTransientUnit");

	snprintf(desc, sizeof(desc), "zrun container %s", s->unit);
	if (rc < 0)
		return rc;
	if (sd_bus_message_append(*m, "ss", s->unit, "fail") < 0 ||
	    sd_bus_message_open_container(*m, 'a', "(sv)") < 0 ||
	    PROP(*m, "Description", "s", desc) < 0 ||
	    PROP(*m, "Slice", "s", s->slice) < 0 ||
	    /* The container may make cgroups below its own (nested runtimes,
	     * systemd in a container): systemd keeps out of the scope's subtree. */
	    PROP(*m, "Delegate", "b", 1) < 0 ||
	    /* A container is not ordered against shutdown targets (runc). */
	    PROP(*m, "DefaultDependencies", "b", 0) < 0 ||
	    PROP(*m, "PIDs", "au", 1, (uint32_t)pid) < 0 ||
	    PROP(*m, "MemoryAccounting", "b", 1) < 0 ||
	    PROP(*m, "CPUAccounting", "b", 1) < 0 ||
	    PROP(*m, "TasksAccounting", "b", 1) < 0 ||
	    PROP(*m, version == CGROUP_V2 ? "IOAccounting" : "BlockIOAccounting", "b", 1) < 0 ||
	    append_resources(*m, r, version) < 0 ||
	    sd_bus_message_close_container(*m) < 0 ||
	    sd_bus_message_append(*m, "a(sa(sv))", 0) < 0)
		return -EINVAL;
	return 0;
}

/* Send M and wait for the job it starts; WHAT names it in errors. *queued
 * (may be NULL) says whether systemd took the request and made a job. */
static int call_job(sd_bus *bus, sd_bus_message *m, const char *what, bool *queued,
		    struct zrun_error *err)
{
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_slot *slot = NULL;
	struct job_wait w = { 0 };
	const char *job;
	int r = sd_bus_match_signal(bus, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved",
				    on_job_removed, &w);

	if (r < 0)
		return zrun_error_set(err, -r, "systemd: %s: subscribe to JobRemoved", what);
	r = sd_bus_call(bus, m, (uint64_t)SD_JOB_TIMEOUT_MS * 1000, &e, &reply);
	if (r < 0) {
		zrun_error_set(err, 0, "systemd: %s: %s", what, e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		sd_bus_slot_unref(slot);
		return -1;
	}
	r = sd_bus_message_read(reply, "o", &job);
	if (r < 0) {
		sd_bus_slot_unref(slot);
		return zrun_error_set(err, -r, "systemd: %s: read the job", what);
	}
	w.job = job;
	if (queued != NULL)
		*queued = true;
	r = job_wait(bus, &w, what, err);
	sd_bus_slot_unref(slot);
	if (r == 0 && strcmp(w.result, "done") != 0)
		return zrun_error_set(err, 0, "systemd: %s: job %s", what, w.result);
	return r;
}

int systemd_scope_start(const struct systemd_scope *s, pid_t pid, const struct spec_resources *r,
			enum cgroup_version version, struct zrun_error *err)
{
	__attribute__((cleanup(bus_closep))) sd_bus *bus = bus_open(err);
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *m = NULL;
	char what[SYSTEMD_UNIT_NAME_MAX + 32];
	struct zrun_error ignored;
	bool queued = false;
	int rc;

	if (bus == NULL)
		return -1;
	snprintf(what, sizeof(what), "start %s", s->unit);
	rc = start_message(bus, &m, s, pid, r, version);
	if (rc < 0)
		return zrun_error_set(err, -rc, "systemd: %s: build the request", what);
	if (call_job(bus, m, what, &queued, err) == 0)
		return 0;
	/* A job that failed after systemd made the unit leaves it "failed"
	 * (or even running): no unit of ours may stay. A request systemd
	 * refused (the name is another container's) made none: that unit is
	 * not ours to stop. */
	if (queued) {
		/* StopUnit sends SIGTERM, which a pid namespace's init ignores:
		 * systemd would wait 90 s before its SIGKILL. The pid is our
		 * blocked init, which our caller kills anyway. */
		kill(pid, SIGKILL);
		systemd_scope_stop(s->unit, &ignored);
	}
	return -1;
}

int systemd_scope_set(const char *unit, const struct spec_resources *r,
		      enum cgroup_version version, struct zrun_error *err)
{
	__attribute__((cleanup(bus_closep))) sd_bus *bus = bus_open(err);
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;

	if (bus == NULL)
		return -1;
	int rc = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER,
						"SetUnitProperties");
	if (rc >= 0 && (sd_bus_message_append(m, "sb", unit, 1) < 0 ||
			sd_bus_message_open_container(m, 'a', "(sv)") < 0 ||
			append_resources(m, r, version) < 0 ||
			sd_bus_message_close_container(m) < 0))
		rc = -EINVAL;
	if (rc < 0)
		return zrun_error_set(err, -rc, "systemd: set properties of %s", unit);
	rc = sd_bus_call(bus, m, (uint64_t)SD_JOB_TIMEOUT_MS * 1000, &e, NULL);
	if (rc < 0) {
		zrun_error_set(err, 0, "systemd: set properties of %s: %s", unit,
			       e.message ? e.message : strerror(-rc));
		sd_bus_error_free(&e);
		return -1;
	}
	return 0;
}

static bool no_such_unit(const struct zrun_error *err)
{
	return strstr(err->msg, "not loaded") != NULL || strstr(err->msg, "not found") != NULL;
}

int systemd_scope_stop(const char *unit, struct zrun_error *err)
{
	__attribute__((cleanup(bus_closep))) sd_bus *bus = bus_open(err);
	__attribute__((cleanup(msg_unrefp))) sd_bus_message *m = NULL;
	char what[SYSTEMD_UNIT_NAME_MAX + 32];
	int r;

	if (bus == NULL)
		return -1;
	snprintf(what, sizeof(what), "stop %s", unit);
	r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", unit, "replace");
	if (r < 0)
		return zrun_error_set(err, -r, "systemd: %s: build the request", what);
	r = call_job(bus, m, what, NULL, err);
	if (r < 0 && no_such_unit(err))
		r = 0;
	/* A scope whose processes were killed may stay "failed", holding its
	 * name; the next create of this id would be refused. */
	(void)sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL,
				 "s", unit);
	return r;
}
