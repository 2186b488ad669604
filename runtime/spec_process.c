/* spec_process.c: the "process" object, in config.json or standalone (as
 * `exec --process` receives it). Capability names stay strings here: they
 * are checked against the running kernel where they are applied. */
#include "spec_internal.h"

#include <sched.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

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
		/* setgroups() would take (gid_t)-1 as a group like any other. */
		if (gid > SPEC_ID_MAX)
			return json_fail(c, "%" PRIu64 " is not a valid gid (at most %" PRIu32 ")",
					 gid, (uint32_t)SPEC_ID_MAX);
		u->additional_gids[i] = (gid_t)gid;
		u->additional_gids_len = i + 1;
		json_path_restore(c, at);
	}
	json_path_restore(c, saved);
	return 0;
}

static int parse_user(struct json_ctx *c, yajl_val top, struct spec_user *u)
{
	uint32_t id = 0;
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
	if (spec_get_id(c, v, "uid", &id) < 0)
		return -1;
	u->uid = (uid_t)id;
	id = 0;
	if (spec_get_id(c, v, "gid", &id) < 0)
		return -1;
	u->gid = (gid_t)id;
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

/* config.md "ioPriority": the class names of ioprio_set(2). */
static int parse_io_priority(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
					       "IOPRIO_CLASS_IDLE" };
	char *class = NULL;
	int64_t prio = 0;
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "ioPriority", &v);
	if (r <= 0)
		return r;
	saved = json_path_key(c, "ioPriority");
	if (json_require(c, json_get_string(c, v, "class", &class), "class") < 0)
		return -1;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strcmp(class, classes[i]) == 0)
			p->io_priority_class = (int)i + 1;
	if (p->io_priority_class == 0) {
		json_fail_key(c, "class", "unknown class \"%s\"", class);
		free(class);
		return -1;
	}
	free(class);
	if (json_get_int(c, v, "priority", 0, 7, &prio) < 0)
		return -1;
	p->io_priority = (int)prio;
	p->has_io_priority = true;
	json_path_restore(c, saved);
	return 0;
}

static const struct {
	const char *name;
	int value;
} sched_policies[] = {
	{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
	{ "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 }, { "SCHED_IDLE", SCHED_IDLE },
	{ "SCHED_DEADLINE", SCHED_DEADLINE },
}, sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
	{ "SCHED_FLAG_DL_OVERRUN", 0x04 }, { "SCHED_FLAG_KEEP_POLICY", 0x08 },
	{ "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static int parse_sched_flags(struct json_ctx *c, yajl_val v, struct spec_scheduler *s)
{
	char **flags = NULL;
	int r = json_get_strv(c, v, "flags", &flags);

	for (size_t i = 0; r > 0 && flags[i]; i++) {
		int found = -1;
		for (size_t j = 0; j < sizeof(sched_flags) / sizeof(sched_flags[0]); j++)
			if (strcmp(flags[i], sched_flags[j].name) == 0)
				found = sched_flags[j].value;
		if (found < 0) {
			json_path_key(c, "flags");
			json_path_index(c, i);
			json_fail(c, "unknown flag \"%s\"", flags[i]);
			r = -1;
			break;
		}
		s->flags |= (uint64_t)found;
	}
	json_strv_free(flags);
	return r < 0 ? -1 : 0;
}

/* config.md "scheduler": the fields of struct sched_attr (sched_setattr(2)). */
static int parse_scheduler(struct json_ctx *c, yajl_val top, struct spec_process *p)
{
	struct spec_scheduler *s;
	char *policy = NULL;
	int64_t nice = 0, prio = 0;
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "scheduler", &v);
	if (r <= 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return json_oom(c);
	p->scheduler = s;
	saved = json_path_key(c, "scheduler");
	if (json_require(c, json_get_string(c, v, "policy", &policy), "policy") < 0)
		return -1;
	s->policy = -1;
	for (size_t i = 0; i < sizeof(sched_policies) / sizeof(sched_policies[0]); i++)
		if (strcmp(policy, sched_policies[i].name) == 0)
			s->policy = sched_policies[i].value;
	if (s->policy < 0) {
		json_fail_key(c, "policy", "unknown policy \"%s\"", policy);
		free(policy);
		return -1;
	}
	free(policy);
	if (json_get_int(c, v, "nice", -20, 19, &nice) < 0 ||
	    json_get_int(c, v, "priority", 0, 99, &prio) < 0 ||
	    json_get_uint(c, v, "runtime", UINT64_MAX, &s->runtime_ns) < 0 ||
	    json_get_uint(c, v, "deadline", UINT64_MAX, &s->deadline_ns) < 0 ||
	    json_get_uint(c, v, "period", UINT64_MAX, &s->period_ns) < 0 ||
	    parse_sched_flags(c, v, s) < 0)
		return -1;
	s->nice = (int)nice;
	s->priority = (int)prio;
	/* sched(7): a priority only means something to the real-time policies. */
	if (s->priority != 0 && s->policy != SCHED_FIFO && s->policy != SCHED_RR)
		return json_fail_key(c, "priority", "must be 0 unless policy is SCHED_FIFO or SCHED_RR");
	json_path_restore(c, saved);
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
	if (parse_io_priority(c, v, p) < 0 || parse_scheduler(c, v, p) < 0)
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
	free(process->scheduler);
	free(process);
}
