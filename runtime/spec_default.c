/* spec_default.c: the config.json that `zrun spec` writes. The same
 * defaults as `runc spec` (libcontainer/specconv/example.go, with its
 * ToRootless() for --rootless), in the same key order, tab-indented, so a
 * diff against runc's output shows only the hostname. */
#include "spec_internal.h"

#include <string.h>
#include <unistd.h>

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"TERM=xterm",
	NULL,
};

static const char *const default_caps[] = {
	"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL,
};

static const char *const masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
	"/proc/scsi", "/sys/devices/virtual/tpm", NULL,
};

static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
static const char *const pts_opts[] = {
	"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL,
};
static const char *const shm_opts[] = {
	"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL,
};
static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
/* Rootless: a fresh sysfs needs a network namespace the user owns; bind the host's. */
static const char *const sys_rootless_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };

static const struct {
	const char *destination, *type, *source;
	const char *const *options;     /* NULL: no "options" key */
} default_mounts[] = {
	{ "/proc", "proc", "proc", NULL },
	{ "/dev", "tmpfs", "tmpfs", dev_opts },
	{ "/dev/pts", "devpts", "devpts", pts_opts },
	{ "/dev/shm", "tmpfs", "shm", shm_opts },
	{ "/dev/mqueue", "mqueue", "mqueue", mqueue_opts },
	{ "/sys", "sysfs", "sysfs", sys_opts },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts },
};

static void write_process(struct json_writer *w)
{
	json_w_key(w, "process");
	json_w_object_begin(w);
	json_w_key(w, "terminal");
	json_w_bool(w, true);
	json_w_key(w, "user");
	json_w_object_begin(w);
	json_w_key(w, "uid");
	json_w_uint(w, 0);
	json_w_key(w, "gid");
	json_w_uint(w, 0);
	json_w_object_end(w);
	json_w_key(w, "args");
	json_w_strv(w, (const char *const[]){ "sh", NULL });
	json_w_key(w, "env");
	json_w_strv(w, default_env);
	json_w_key(w, "cwd");
	json_w_string(w, "/");
	json_w_key(w, "capabilities");
	json_w_object_begin(w);
	json_w_key(w, "bounding");
	json_w_strv(w, default_caps);
	json_w_key(w, "effective");
	json_w_strv(w, default_caps);
	json_w_key(w, "permitted");
	json_w_strv(w, default_caps);
	json_w_object_end(w);
	json_w_key(w, "rlimits");
	json_w_array_begin(w);
	json_w_object_begin(w);
	json_w_key(w, "type");
	json_w_string(w, "RLIMIT_NOFILE");
	json_w_key(w, "hard");
	json_w_uint(w, 1024);
	json_w_key(w, "soft");
	json_w_uint(w, 1024);
	json_w_object_end(w);
	json_w_array_end(w);
	json_w_key(w, "noNewPrivileges");
	json_w_bool(w, true);
	json_w_object_end(w);
}

/* Options without uid=/gid=: no such ids exist in a one-id user namespace. */
static void write_options(struct json_writer *w, const char *const *options, bool rootless)
{
	json_w_key(w, "options");
	json_w_array_begin(w);
	for (; *options != NULL; options++) {
		if (rootless && (strncmp(*options, "uid=", 4) == 0 ||
				 strncmp(*options, "gid=", 4) == 0))
			continue;
		json_w_string(w, *options);
	}
	json_w_array_end(w);
}

static void write_mounts(struct json_writer *w, bool rootless)
{
	size_t i;

	json_w_key(w, "mounts");
	json_w_array_begin(w);
	for (i = 0; i < sizeof(default_mounts) / sizeof(default_mounts[0]); i++) {
		bool sys = rootless && strcmp(default_mounts[i].destination, "/sys") == 0;

		json_w_object_begin(w);
		json_w_key(w, "destination");
		json_w_string(w, default_mounts[i].destination);
		json_w_key(w, "type");
		json_w_string(w, sys ? "none" : default_mounts[i].type);
		json_w_key(w, "source");
		json_w_string(w, sys ? "/sys" : default_mounts[i].source);
		if (sys)
			write_options(w, sys_rootless_opts, rootless);
		else if (default_mounts[i].options != NULL)
			write_options(w, default_mounts[i].options, rootless);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void write_mapping(struct json_writer *w, const char *key, unsigned host_id)
{
	json_w_key(w, key);
	json_w_array_begin(w);
	json_w_object_begin(w);
	json_w_key(w, "containerID");
	json_w_uint(w, 0);
	json_w_key(w, "hostID");
	json_w_uint(w, host_id);
	json_w_key(w, "size");
	json_w_uint(w, 1);
	json_w_object_end(w);
	json_w_array_end(w);
}

static void write_namespaces(struct json_writer *w, bool rootless)
{
	static const char *const rootful[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
	static const char *const unprivileged[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };
	const char *const *ns;

	json_w_key(w, "namespaces");
	json_w_array_begin(w);
	for (ns = rootless ? unprivileged : rootful; *ns != NULL; ns++) {
		json_w_object_begin(w);
		json_w_key(w, "type");
		json_w_string(w, *ns);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void write_linux(struct json_writer *w, bool rootless)
{
	json_w_key(w, "linux");
	json_w_object_begin(w);
	if (rootless) {
		write_mapping(w, "uidMappings", (unsigned)geteuid());
		write_mapping(w, "gidMappings", (unsigned)getegid());
	} else {
		/* Deny every device; the runtime adds back the default ones. */
		json_w_key(w, "resources");
		json_w_object_begin(w);
		json_w_key(w, "devices");
		json_w_array_begin(w);
		json_w_object_begin(w);
		json_w_key(w, "allow");
		json_w_bool(w, false);
		json_w_key(w, "access");
		json_w_string(w, "rwm");
		json_w_object_end(w);
		json_w_array_end(w);
		json_w_object_end(w);
	}
	write_namespaces(w, rootless);
	json_w_key(w, "maskedPaths");
	json_w_strv(w, masked_paths);
	json_w_key(w, "readonlyPaths");
	json_w_strv(w, readonly_paths);
	json_w_object_end(w);
}

char *spec_default_json(bool rootless)
{
	struct json_writer w;

	json_w_init(&w, true);
	json_w_object_begin(&w);
	json_w_key(&w, "ociVersion");
	json_w_string(&w, "1.2.0");
	write_process(&w);
	json_w_key(&w, "root");
	json_w_object_begin(&w);
	json_w_key(&w, "path");
	json_w_string(&w, "rootfs");
	json_w_key(&w, "readonly");
	json_w_bool(&w, true);
	json_w_object_end(&w);
	json_w_key(&w, "hostname");
	json_w_string(&w, "zrun");
	write_mounts(&w, rootless);
	write_linux(&w, rootless);
	json_w_object_end(&w);
	/* No trailing newline: `runc spec` writes MarshalIndent()'s bytes as is. */
	return json_w_finish(&w);
}
