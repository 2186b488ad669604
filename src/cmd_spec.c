/* zrun spec [--bundle DIR] [--rootless]: write a default config.json, and
 * zrun features: what this build supports, as runtime-spec features JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spec.h"

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
	char *json = spec_default_json(o.rootless);
	if (json == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "spec");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(json);
		if (errno == EEXIST)
			return zrun_error_set(&ctx->err, 0, "spec: %s exists; remove it first", path);
		return zrun_error_set(&ctx->err, errno, "spec: %s", path);
	}
	size_t len = strlen(json);
	ssize_t w = write(fd, json, len);
	int e = errno;
	close(fd);
	free(json);
	if (w != (ssize_t)len) {
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

static const char features_json[] =
"{\n"
"  \"ociVersionMin\": \"1.0.0\",\n"
"  \"ociVersionMax\": \"1.2.0\",\n"
"  \"hooks\": [],\n"
"  \"mountOptions\": [\"async\", \"atime\", \"bind\", \"dev\", \"diratime\", \"dirsync\", \"exec\",\n"
"    \"mand\", \"noatime\", \"nodev\", \"nodiratime\", \"noexec\", \"nomand\", \"norelatime\",\n"
"    \"nostrictatime\", \"nosuid\", \"private\", \"rbind\", \"relatime\", \"remount\", \"ro\",\n"
"    \"rprivate\", \"rshared\", \"rslave\", \"runbindable\", \"rw\", \"shared\", \"slave\",\n"
"    \"strictatime\", \"suid\", \"sync\", \"tmpcopyup\", \"unbindable\"],\n"
"  \"linux\": {\n"
"    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"time\", \"user\", \"uts\"],\n"
"    \"capabilities\": [],\n"
"    \"cgroup\": { \"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false, \"rdma\": false },\n"
"    \"seccomp\": {\n"
"      \"enabled\": true,\n"
"      \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\",\n"
"        \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_NOTIFY\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"],\n"
"      \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\",\n"
"        \"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"],\n"
"      \"archs\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\"],\n"
"      \"knownFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\n"
"      \"supportedFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]\n"
"    },\n"
"    \"apparmor\": { \"enabled\": false },\n"
"    \"selinux\": { \"enabled\": false },\n"
"    \"intelRdt\": { \"enabled\": false }\n"
"  },\n"
"  \"annotations\": {\n"
"    \"org.opencontainers.runc.version\": \"zrun " ZRUN_VERSION "\",\n"
"    \"io.github.zrun.service\": \"zrun.service, zrun.listen\"\n"
"  }\n"
"}\n";

static int run_features(struct cli_ctx *ctx, int argc, char **argv)
{
	int first, r = cli_parse(ctx, argc, argv, &first, no_opts, NULL);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 0) < 0)
		return -1;
	fputs(features_json, stdout);
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
