/* zrun spec [--bundle DIR] [--rootless]: write a default config.json, and
 * zrun features: what this build supports, as runtime-spec features JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctype.h>
#include <sys/capability.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"
#include "spec.h"
#include "zseccomp.h"

struct spec_opts { const char *bundle; bool rootless; };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct spec_opts *o = data;

	(void)ctx;
	if (key == 'b')
		o->bundle = arg;
	else if (key == 'r')
		o->rootless = true;
	return 0;
}

static int run_spec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct spec_opts o = { .bundle = "." };
	char path[4096];
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 0) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", o.bundle);
	_cleanup_free_ char *json = spec_default_json(o.rootless);
	if (json == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "spec");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return zrun_error_set(&ctx->err, 0, "spec: %s exists; remove it first", path);
		return zrun_error_set(&ctx->err, errno, "spec: %s", path);
	}
	size_t len = strlen(json);
	if (write(fd, json, len) != (ssize_t)len) {
		int e = errno;
		unlink(path);
		return zrun_error_set(&ctx->err, e, "spec: write %s", path);
	}
	return 0;
}

static int no_opts(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	(void)key; (void)arg; (void)data;
	return zrun_error_set(&ctx->err, 0, "features: unexpected option");
}

static void w_enabled(struct json_writer *w, const char *key, bool enabled)
{
	json_w_key(w, key);
	json_w_object_begin(w);
	json_w_key(w, "enabled");
	json_w_bool(w, enabled);
	json_w_object_end(w);
}

/* Every capability libcap and this kernel know, as "CAP_CHOWN". */
static void w_capabilities(struct json_writer *w)
{
	json_w_key(w, "capabilities");
	json_w_array_begin(w);
	for (cap_value_t c = 0; c < cap_max_bits(); c++) {
		char *name = cap_to_name(c);
		if (name == NULL)
			continue;
		if (strncmp(name, "cap_", 4) == 0) {
			for (char *p = name; *p; p++)
				*p = (char)toupper((unsigned char)*p);
			json_w_string(w, name);
		}
		cap_free(name);
	}
	json_w_array_end(w);
}

static void w_seccomp(struct json_writer *w)
{
	static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
		"SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };
	static const char *const operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
		"SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL };
	static const char *const archs[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
		"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
	const char *const *known = zseccomp_known_flags();

	json_w_key(w, "seccomp");
	json_w_object_begin(w);
	json_w_key(w, "enabled");
	json_w_bool(w, true);
	json_w_key(w, "actions");
	json_w_strv(w, actions);
	json_w_key(w, "operators");
	json_w_strv(w, operators);
	json_w_key(w, "archs");
	json_w_strv(w, archs);
	json_w_key(w, "knownFlags");
	json_w_strv(w, known);
	/* Known, and settable with this libseccomp on this kernel. */
	json_w_key(w, "supportedFlags");
	json_w_array_begin(w);
	for (size_t i = 0; known[i]; i++)
		if (zseccomp_flag_supported(known[i]))
			json_w_string(w, known[i]);
	json_w_array_end(w);
	json_w_object_end(w);
}

static void w_linux(struct json_writer *w)
{
	static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid",
		"time", "user", "uts", NULL };

	json_w_key(w, "linux");
	json_w_object_begin(w);
	json_w_key(w, "namespaces");
	json_w_strv(w, namespaces);
	w_capabilities(w);
	json_w_key(w, "cgroup");
	json_w_object_begin(w);
	json_w_key(w, "v1");
	json_w_bool(w, true);
	json_w_key(w, "v2");
	json_w_bool(w, true);
	json_w_key(w, "systemd");
	json_w_bool(w, false);
	json_w_key(w, "systemdUser");
	json_w_bool(w, false);
	json_w_key(w, "rdma");
	json_w_bool(w, true);   /* linux.resources.rdma: rdma.max on v1 and v2 */
	json_w_object_end(w);
	w_seccomp(w);
	/* Supported by this build: labels are applied where the host has the
	 * LSM, and refused with a clear error where it does not. */
	w_enabled(w, "apparmor", true);
	w_enabled(w, "selinux", true);
	w_enabled(w, "intelRdt", false);
	json_w_key(w, "mountExtensions");
	json_w_object_begin(w);
	w_enabled(w, "idmap", true);
	json_w_object_end(w);
	json_w_object_end(w);
}

static char *features_json(void)
{
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
		"startContainer", "poststart", "poststop", NULL };
	static const char *const mount_options[] = { "async", "atime", "bind", "dev", "diratime",
		"dirsync", "exec", "idmap", "mand", "noatime", "nodev", "nodiratime", "noexec",
		"nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime",
		"remount", "ridmap", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw",
		"shared", "slave", "strictatime", "suid", "sync", "tmpcopyup", "unbindable", NULL };
	struct json_writer w;

	json_w_init(&w, true);
	json_w_object_begin(&w);
	json_w_kv_string(&w, "ociVersionMin", "1.0.0");
	json_w_kv_string(&w, "ociVersionMax", "1.2.0");
	json_w_key(&w, "hooks");
	json_w_strv(&w, hooks);
	json_w_key(&w, "mountOptions");
	json_w_strv(&w, mount_options);
	w_linux(&w);
	json_w_key(&w, "annotations");
	json_w_object_begin(&w);
	json_w_kv_string(&w, "org.opencontainers.runc.version", "zrun " ZRUN_VERSION);
	json_w_kv_string(&w, "io.github.zrun.service", "zrun.service, zrun.listen");
	json_w_object_end(&w);
	json_w_object_end(&w);
	return json_w_finish(&w);
}

static int run_features(struct cli_ctx *ctx, int argc, char **argv)
{
	int first, r = cli_parse(ctx, argc, argv, &first, no_opts, NULL);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 0) < 0)
		return -1;
	char *json = features_json();
	if (json == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "features");
	printf("%s\n", json);
	free(json);
	return 0;
}

static const struct cli_opt spec_table[] = {
	{ "bundle", 'b', required_argument, "DIR", "write DIR/config.json (default: the current directory)" },
	{ "rootless", 'r', no_argument, NULL, "a config for a container run by an unprivileged user" },
	{ 0 },
};
static const struct cli_opt none[] = { { 0 } };

const struct command cmd_spec = { .name = "spec", .args = "",
	.summary = "write a default config.json", .opts = spec_table, .run = run_spec };
const struct command cmd_features = { .name = "features", .args = "",
	.summary = "print what this build of zrun supports (runtime-spec features JSON)",
	.opts = none, .run = run_features };
