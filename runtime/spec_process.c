/* spec_process.c: the "process" object, in config.json or standalone (as
 * `exec --process` receives it). Capability names stay strings here: they
 * are checked against the running kernel where they are applied. */
#include "spec_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimit(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_rlimit *rl = item;
	size_t i;

	if (json_require(c, json_get_string(c, v, "type", &rl->type), "type") < 0)
		return -1;
	rl->resource = -1;
	for (i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++) {
		if (strcmp(rl->type, rlimit_names[i].name) == 0)
			rl->resource = rlimit_names[i].resource;
	}
	if (rl->resource < 0)
		return json_fail_key(c, "type", "unknown rlimit \"%s\"", rl->type);
	/* uint64: RLIM_INFINITY is written as 18446744073709551615. */
	if (json_require(c, json_get_uint(c, v, "soft", UINT64_MAX, &rl->soft), "soft") < 0 ||
	    json_require(c, json_get_uint(c, v, "hard", UINT64_MAX, &rl->hard), "hard") < 0)
		return -1;
	return 0;
}

/* runtime-spec config.md: duplicate rlimit types MUST be an error. */
static int check_rlimit_duplicates(struct json_ctx *c, const struct spec_process *p)
{
	size_t i, j;

	for (i = 1; i < p->rlimits_len; i++) {
		for (j = 0; j < i; j++) {
			if (p->rlimits[i].resource != p->rlimits[j].resource)
				continue;
			json_path_key(c, "rlimits");
			json_path_index(c, i);
			return json_fail_key(c, "type", "duplicate rlimit \"%s\"", p->rlimits[i].type);
		}
	}
	return 0;
}

static int parse_additional_gids(struct json_ctx *c, yajl_val user, struct spec_user *u)
{
	size_t saved, i;
	yajl_val arr;
	int r;

	r = json_get_array(c, user, "additionalGids", &arr);
	if (r <= 0)
		return r;
	u->additional_gids = calloc(arr->u.array.len + 1, sizeof(gid_t));
	if (u->additional_gids == NULL)
		return json_oom(c);
	saved = json_path_key(c, "additionalGids");
	for (i = 0; i < arr->u.array.len; i++) {
		size_t at = json_path_index(c, i);
		uint64_t gid;

		if (json_val_uint(c, arr->u.array.values[i], UINT32_MAX, &gid) < 0)
			return -1;
		u->additional_gids[i] = (gid_t)gid;
		u->additional_gids_len = i + 1;
		json_path_restore(c, at);
	}
	json_path_restore(c, saved);
	return 0;
}

static int parse_user(struct json_ctx *c, yajl_val top, struct spec_user *u)
{
	uint64_t n;
	size_t saved;
	yajl_val v;
	int r;

	/* Required by the spec on POSIX, but runc reads an absent user as
	 * uid 0 / gid 0; do the same rather than break existing bundles. */
	r = json_get_object(c, top, "user", &v);
	if (r <= 0)
		return r;
	saved = json_path_key(c, "user");
	if (json_get_uint(c, v, "uid", UINT32_MAX, &n) < 0)
		return -1;
	u->uid = (uid_t)n;
	n = 0;
	if (json_get_uint(c, v, "gid", UINT32_MAX, &n) < 0)
		return -1;
	u->gid = (gid_t)n;
	r = json_get_uint(c, v, "umask", 07777, &n);
	if (r < 0)
		return -1;
	u->has_umask = r > 0;
	u->umask = u->has_umask ? (mode_t)n : 0;
	if (parse_additional_gids(c, v, u) < 0)
		return -1;
	if (json_get_string(c, v, "username", &u->username) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_capabilities(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	struct spec_capabilities *caps;
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "capabilities", &v);
	if (r <= 0)
		return r;
	caps = calloc(1, sizeof(*caps));
	if (caps == NULL)
		return json_oom(c);
	p->capabilities = caps;
	saved = json_path_key(c, "capabilities");
	if (json_get_strv(c, v, "bounding", &caps->bounding) < 0 ||
	    json_get_strv(c, v, "effective", &caps->effective) < 0 ||
	    json_get_strv(c, v, "inheritable", &caps->inheritable) < 0 ||
	    json_get_strv(c, v, "permitted", &caps->permitted) < 0 ||
	    json_get_strv(c, v, "ambient", &caps->ambient) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_console_size(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	uint64_t height = 0, width = 0;
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "consoleSize", &v);
	if (r <= 0)
		return r;
	saved = json_path_key(c, "consoleSize");
	if (json_require(c, json_get_uint(c, v, "height", UINT32_MAX, &height), "height") < 0 ||
	    json_require(c, json_get_uint(c, v, "width", UINT32_MAX, &width), "width") < 0)
		return -1;
	p->has_console_size = true;
	p->console_size.height = (unsigned)height;
	p->console_size.width = (unsigned)width;
	json_path_restore(c, saved);
	return 0;
}

static int parse_args(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	yajl_val v = json_obj_get(top, "args");
	size_t saved, i;

	if (!YAJL_IS_ARRAY(v) || v->u.array.len == 0)
		return json_fail_key(c, "args", "must be a non-empty array of strings");
	for (i = 0; i < v->u.array.len; i++) {
		if (!YAJL_IS_STRING(v->u.array.values[i]))
			return json_fail_key(c, "args", "must be a non-empty array of strings");
	}
	saved = json_path_key(c, "args");
	if (json_val_strv(c, v, &p->args) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_security(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	int64_t adj;
	int r;

	if (json_get_bool(c, top, "noNewPrivileges", &p->no_new_privileges) < 0 ||
	    json_get_string(c, top, "apparmorProfile", &p->apparmor_profile) < 0 ||
	    json_get_string(c, top, "selinuxLabel", &p->selinux_label) < 0)
		return -1;
	/* The range /proc/PID/oom_score_adj accepts. */
	r = json_get_int(c, top, "oomScoreAdj", -1000, 1000, &adj);
	if (r < 0)
		return -1;
	p->has_oom_score_adj = r > 0;
	p->oom_score_adj = r > 0 ? (int)adj : 0;
	return 0;
}

int spec_parse_process_obj(struct json_ctx *c, yajl_val v, struct spec_process *p)
{
	void *items = NULL;
	int r;

	if (json_get_bool(c, v, "terminal", &p->terminal) < 0)
		return -1;
	if (parse_console_size(c, v, p) < 0 || parse_user(c, v, &p->user) < 0)
		return -1;
	if (parse_args(c, v, p) < 0)
		return -1;
	r = json_get_strv(c, v, "env", &p->env);
	if (r < 0)
		return -1;
	if (r == 0) {
		p->env = calloc(1, sizeof(*p->env));
		if (p->env == NULL)
			return json_oom(c);
	}
	if (json_require(c, json_get_string(c, v, "cwd", &p->cwd), "cwd") < 0)
		return -1;
	if (spec_check_absolute(c, "cwd", p->cwd) < 0)
		return -1;
	if (parse_capabilities(c, v, p) < 0)
		return -1;
	r = json_get_objects(c, v, "rlimits", sizeof(struct spec_rlimit), parse_rlimit, &items,
			     &p->rlimits_len);
	p->rlimits = items;
	if (r < 0 || check_rlimit_duplicates(c, p) < 0)
		return -1;
	return parse_security(c, v, p);
}

void spec_process_free(struct spec_process *process)
{
	struct spec_capabilities *caps;
	size_t i;

	if (process == NULL)
		return;
	free(process->user.additional_gids);
	free(process->user.username);
	json_strv_free(process->args);
	json_strv_free(process->env);
	free(process->cwd);
	caps = process->capabilities;
	if (caps != NULL) {
		json_strv_free(caps->bounding);
		json_strv_free(caps->effective);
		json_strv_free(caps->inheritable);
		json_strv_free(caps->permitted);
		json_strv_free(caps->ambient);
		free(caps);
	}
	for (i = 0; process->rlimits != NULL && i < process->rlimits_len; i++)
		free(process->rlimits[i].type);
	free(process->rlimits);
	free(process->apparmor_profile);
	free(process->selinux_label);
	free(process);
}
