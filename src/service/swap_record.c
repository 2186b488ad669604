/* The swap record: one description of its fields for writing and reading,
 * and the one table of state names. */
#include "swap_record.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "service.h"
#include "version.h"

#define SWAP_RECORD_MAX_BYTES (256 * 1024)  /* 2 x 64 member ids of up to 1 KiB */

static const char *const state_names[SWAP_STATE_COUNT] = {
	[SWAP_CREATED] = "created",   [SWAP_STARTING] = "starting", [SWAP_PROBING] = "probing",
	[SWAP_READY] = "ready",       [SWAP_CANARY] = "canary",     [SWAP_DRAINING] = "draining",
	[SWAP_DONE] = "done",         [SWAP_ABORTED] = "aborted",
};

const char *swap_state_name(enum swap_state s)
{
	return (unsigned)s < SWAP_STATE_COUNT ? state_names[s] : "unknown";
}

int swap_state_parse(const char *name, enum swap_state *s, struct zrun_error *err)
{
	for (int i = 0; i < SWAP_STATE_COUNT; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*s = (enum swap_state)i;
			return 0;
		}
	/* Never a default: a state taken for "created" would undo a swap, and
	 * delete its new version, whatever the record really meant. */
	return zrun_error_set(err, 0, "\"%s\" is not a swap state (created, starting, probing, ready, "
			      "canary, draining, done, aborted)", name);
}

int swap_record_write(const char *root, const char *service, const struct swap_record *r,
		      struct zrun_error *err)
{
	char path[PATH_MAX];
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "old");
	json_w_string(&w, r->old_name);
	json_w_key(&w, "new");
	json_w_string(&w, r->new_name);
	json_w_key(&w, "state");
	json_w_string(&w, swap_state_name(r->state));
	json_w_key(&w, "pid");
	json_w_int(&w, r->pid);
	json_w_key(&w, "pid_start");
	json_w_uint(&w, r->pid_start);
	json_w_key(&w, "keep_old");
	json_w_bool(&w, r->keep_old);
	/* kept for an older zrun, which repairs a group record by its groups */
	json_w_key(&w, "group");
	json_w_bool(&w, r->group);
	json_w_key(&w, "reason");
	json_w_string(&w, r->reason);
	json_w_key(&w, "old_members");
	json_w_strv(&w, (const char *const *)r->old_ids);
	json_w_key(&w, "new_members");
	json_w_strv(&w, (const char *const *)r->new_ids);
	if (r->canary_percent > 0) {
		char steps[128];
		swap_canary_format(r->canary_steps, r->n_canary_steps, steps, sizeof(steps));
		json_w_kv_int(&w, "canary_percent", r->canary_percent);
		json_w_kv_string(&w, "canary_steps", steps);
		json_w_kv_int(&w, "step_ms", r->step_ms);
		json_w_kv_int(&w, "step_at_ms", r->step_at_ms);
	}
	json_w_object_end(&w);
	char *json = json_w_finish(&w);
	if (json == NULL)
		return zrun_error_set(err, ENOMEM, "swap record");
	service_path(path, sizeof(path), root, service, "swap.json");
	int r2 = state_write_file(path, json, strlen(json), 0600, false, "swap-record-write", err);
	free(json);
	return r2;
}

static size_t strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* A record without member lists (an older zrun's): a group's members are
 * the containers of that group now, a 1 -> 1 swap's are its two ids. */
static int members_of_old_record(const char *root, const char *service, const char *name, bool group,
				 char ***ids, struct zrun_error *err)
{
	size_t n;

	if (group) {
		swap_group_members(root, service, name, ids, &n);
		if (*ids == NULL)
			*ids = calloc(1, sizeof(char *));
	} else {
		*ids = calloc(2, sizeof(char *));
		if (*ids && ((*ids)[0] = strdup(name)) == NULL) {
			free(*ids);
			*ids = NULL;
		}
	}
	return *ids ? 0 : zrun_error_set(err, ENOMEM, "swap record");
}

static int copy_string(struct json_ctx *c, yajl_val t, const char *key, char *buf, size_t len)
{
	char *s = NULL;
	int r = json_get_string(c, t, key, &s);

	if (r == 1)
		snprintf(buf, len, "%s", s);
	free(s);
	return r;
}

/* The canary fields (none: no canary). Steps are kept as the user wrote
 * them, so that one parser reads the flag and the record. */
static int canary_fields(struct json_ctx *c, yajl_val t, struct swap_record *r)
{
	char steps[128] = "";
	int64_t pct = 0, step = 0, at = 0;
	struct zrun_error why;

	if (json_get_int(c, t, "canary_percent", 0, 100, &pct) < 0 ||
	    copy_string(c, t, "canary_steps", steps, sizeof(steps)) < 0 ||
	    json_get_int(c, t, "step_ms", 0, INT32_MAX, &step) < 0 || json_get_int(c, t, "step_at_ms", 0, INT64_MAX, &at) < 0)
		return -1;
	r->canary_percent = (unsigned)pct;
	r->step_ms = (long)step;
	r->step_at_ms = at;
	if (steps[0] && swap_canary_parse(steps, r->canary_steps, &r->n_canary_steps, &why) < 0)
		return json_fail_key(c, "canary_steps", "%s", why.msg);
	return 0;
}

static int record_fields(struct json_ctx *c, yajl_val t, struct swap_record *r)
{
	char state[64] = "";
	int64_t pid = 0;
	uint64_t start = 0;
	struct zrun_error why;

	if (copy_string(c, t, "old", r->old_name, sizeof(r->old_name)) < 0 ||
	    copy_string(c, t, "new", r->new_name, sizeof(r->new_name)) < 0 ||
	    copy_string(c, t, "reason", r->reason, sizeof(r->reason)) < 0 ||
	    json_require(c, copy_string(c, t, "state", state, sizeof(state)), "state") < 0 ||
	    json_get_int(c, t, "pid", 0, INT32_MAX, &pid) < 0 ||
	    json_get_uint(c, t, "pid_start", UINT64_MAX, &start) < 0 ||
	    json_get_bool(c, t, "keep_old", &r->keep_old) < 0 || json_get_bool(c, t, "group", &r->group) < 0 ||
	    json_get_strv(c, t, "old_members", &r->old_ids) < 0 || json_get_strv(c, t, "new_members", &r->new_ids) < 0)
		return -1;
	if (swap_state_parse(state, &r->state, &why) < 0)
		return json_fail_key(c, "state", "%s", why.msg);
	if (canary_fields(c, t, r) < 0)
		return -1;
	r->pid = (pid_t)pid;
	r->pid_start = start;
	return 0;
}

int swap_record_read(const char *root, const char *service, struct swap_record *r, struct zrun_error *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;

	memset(r, 0, sizeof(*r));
	service_path(path, sizeof(path), root, service, "swap.json");
	if (access(path, F_OK) < 0)
		return 0;
	if (json_read_file(path, SWAP_RECORD_MAX_BYTES, &buf, &len, err) < 0)
		return zrun_error_prefix(err, "swap record");
	yajl_val t = json_parse(buf, len, SWAP_RECORD_MAX_BYTES, 8, path, err);
	free(buf);
	if (t == NULL)
		return zrun_error_prefix(err, "swap record");
	struct json_ctx c;
	json_ctx_init(&c, path, err);
	int ok = record_fields(&c, t, r);
	yajl_tree_free(t);
	if (ok == 0 && r->old_ids == NULL)
		ok = members_of_old_record(root, service, r->old_name, r->group, &r->old_ids, err);
	if (ok == 0 && r->new_ids == NULL)
		ok = members_of_old_record(root, service, r->new_name, r->group, &r->new_ids, err);
	if (ok < 0) {
		swap_record_clear(r);
		return zrun_error_prefix(err, "swap record");
	}
	r->n_old = strv_len(r->old_ids);
	r->n_new = strv_len(r->new_ids);
	return 1;
}

void swap_record_clear(struct swap_record *r)
{
	json_strv_free(r->old_ids);
	json_strv_free(r->new_ids);
	r->old_ids = r->new_ids = NULL;
	r->n_old = r->n_new = 0;
}

void swap_group_members(const char *root, const char *service, const char *group, char ***out, size_t *n)
{
	char **ids;
	size_t all;
	struct zrun_error ignored;

	*out = NULL;
	*n = 0;
	if (service_versions(root, service, &ids, &all, &ignored) < 0)
		return;
	/* compacted in place: ids has all + 1 slots, so it stays NULL-terminated */
	for (size_t i = 0; i < all; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) == 0) {
			if (strcmp(version_group(&vc, ids[i]), group) == 0) {
				char *keep = ids[i];
				ids[i] = NULL;
				ids[(*n)++] = keep;
			}
			state_clear(&st);
		}
		if (ids[i] && i >= *n) {
			free(ids[i]);
			ids[i] = NULL;
		}
	}
	*out = ids;
}

static int canary_bad(const char *arg, const char *one, const char *why, struct zrun_error *err)
{
	if (one && one[0] == '\0')
		one = "an empty share";
	return zrun_error_set(err, 0, "--canary \"%s\": %s%s%s", arg, one ? one : "", one ? ": " : "", why);
}

int swap_canary_parse(const char *arg, unsigned *percent, size_t *n, struct zrun_error *err)
{
	char copy[128], *rest = copy, *one;

	*n = 0;
	if (strlen(arg) >= sizeof(copy))
		return canary_bad(arg, NULL, "too long", err);
	snprintf(copy, sizeof(copy), "%s", arg);
	/* strsep, not strtok: "10%," has an empty share, which is an error */
	while ((one = strsep(&rest, ",")) != NULL) {
		char *end;
		errno = 0;
		long v = strtol(one, &end, 10);
		if (end == one || strcmp(end, "%") != 0 || errno)
			return canary_bad(arg, one, "expected a share like 10%", err);
		if (*n == SWAP_CANARY_STEPS_MAX)
			return canary_bad(arg, NULL, "more than 10 steps", err);
		if (v < 1 || v > 100)
			return canary_bad(arg, one, "a share is from 1% to 99% (100% only as the last step)", err);
		if (*n > 0 && (unsigned)v <= percent[*n - 1])
			return canary_bad(arg, one, "each step must give the new version more than the one before", err);
		percent[(*n)++] = (unsigned)v;
	}
	if (*n == 0)
		return canary_bad(arg, NULL, "expected a share like 10%", err);
	/* 100% at once is a plain swap; as a last step it means promote */
	if (percent[0] == 100)
		return canary_bad(arg, "100%", "a canary gives the new version less than all (100% is a plain swap)", err);
	return 0;
}

void swap_canary_format(const unsigned *percent, size_t n, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%u%%", i ? "," : "", percent[i]);
}

int swap_canary_steps_check(size_t n, long step_ms, struct zrun_error *err)
{
	if (n > 1 && step_ms == 0)
		return zrun_error_set(err, 0, "--canary with %zu shares needs --step (the time between two)", n);
	if (step_ms && n < 2)
		return zrun_error_set(err, 0, "--step needs --canary with several shares, like 10%%,50%%,100%%");
	return 0;
}

unsigned swap_canary_next_share(const struct swap_record *r)
{
	for (size_t i = 0; r->step_ms > 0 && i < r->n_canary_steps; i++)
		if (r->canary_steps[i] > r->canary_percent)
			return r->canary_steps[i];
	return 0;
}

bool swap_record_canary_aborting(const struct swap_record *r)
{
	return r->state == SWAP_READY && r->canary_percent > 0;
}

bool swap_record_owner_alive(const struct swap_record *r)
{
	return r->pid > 0 && state_pid_start_time(r->pid) == r->pid_start;
}

bool swap_canary_end_died(const struct swap_record *r)
{
	bool ending = swap_record_canary_aborting(r) || (r->state == SWAP_DRAINING && r->canary_percent > 0);
	return ending && !swap_record_owner_alive(r);
}
