/* spec.c: the top of config.json (root, mounts, hooks, annotations), the
 * entry points and the helpers. process is in spec_process.c, linux in
 * spec_linux.c and spec_resources.c, the default document in spec_default.c. */
#include "spec_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- shared pieces ---- */

int spec_check_absolute(struct json_ctx *c, const char *key, const char *path)
{
	if (path[0] != '/')
		return json_fail_key(c, key, "must be an absolute path");
	return 0;
}

int spec_get_id(struct json_ctx *c, yajl_val obj, const char *key, uint32_t *out)
{
	uint64_t n;
	int r;

	r = json_get_uint(c, obj, key, UINT32_MAX, &n);
	if (r <= 0)
		return r;
	/* setuid(-1), setgroups() with -1, chown(-1) and a map entry ending at
	 * -1 all mean "leave unchanged" or are refused by the kernel: a uid of
	 * 4294967295 would run the process as the caller (root). runc refuses
	 * it too. */
	if (n > SPEC_ID_MAX)
		return json_fail_key(c, key, "%" PRIu64 " is not a valid id (at most %" PRIu32
				     "; 4294967295 is -1, which the kernel reads as \"unchanged\")",
				     n, (uint32_t)SPEC_ID_MAX);
	*out = (uint32_t)n;
	return 1;
}

void spec_kv_free(struct spec_kv *kv, size_t len)
{
	size_t i;

	if (kv == NULL)
		return;
	for (i = 0; i < len; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int spec_parse_kv(struct json_ctx *c, yajl_val obj, const char *key, struct spec_kv **out,
		  size_t *len)
{
	struct spec_kv *kv;
	size_t saved, at, i, n;
	yajl_val map;
	int r;

	r = json_get_object(c, obj, key, &map);
	if (r <= 0)
		return r;
	n = map->u.object.len;
	kv = calloc(n > 0 ? n : 1, sizeof(*kv));
	if (kv == NULL)
		return json_oom(c);
	*out = kv;
	*len = n;
	saved = json_path_key(c, key);
	at = c->path_len;
	for (i = 0; i < n; i++) {
		const char *k = map->u.object.keys[i];

		if (k[0] == '\0')
			return json_fail(c, "keys must not be empty");
		kv[i].key = strdup(k);
		if (kv[i].key == NULL)
			return json_oom(c);
		json_path_key(c, k);
		if (json_val_string(c, map->u.object.values[i], &kv[i].value) < 0)
			return -1;
		json_path_restore(c, at);
	}
	json_path_restore(c, saved);
	return 1;
}

/* ---- root, mounts, hooks ---- */

static int parse_root(struct json_ctx *c, yajl_val top, struct spec_root *root)
{
	yajl_val v;
	size_t saved;
	int r;

	r = json_get_object(c, top, "root", &v);
	if (r < 0)
		return -1;
	if (r == 0)
		return json_fail_key(c, "root", "is required");
	saved = json_path_key(c, "root");
	if (json_require(c, json_get_string(c, v, "path", &root->path), "path") < 0)
		return -1;
	if (root->path[0] == '\0')
		return json_fail_key(c, "path", "must not be empty");
	if (json_get_bool(c, v, "readonly", &root->readonly) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_mount(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_mount *m = item;

	if (json_require(c, json_get_string(c, v, "destination", &m->destination),
			 "destination") < 0)
		return -1;
	/* config.md "Mounts", Linux: a relative destination (deprecated, from
	 * old configs) "MUST be interpreted as relative to /", as runc 1.2 does. */
	if (m->destination[0] == '\0')
		return json_fail_key(c, "destination", "must not be empty");
	if (m->destination[0] != '/') {
		char *abs;
		if (asprintf(&abs, "/%s", m->destination) < 0)
			return json_oom(c);
		free(m->destination);
		m->destination = abs;
	}
	if (json_get_string(c, v, "type", &m->type) < 0 ||
	    json_get_string(c, v, "source", &m->source) < 0)
		return -1;
	if (json_get_strv(c, v, "options", &m->options) < 0)
		return -1;
	if (m->options == NULL) {
		m->options = calloc(1, sizeof(*m->options));
		if (m->options == NULL)
			return json_oom(c);
	}
	/* runtime-spec 1.2 idmapped mounts: both maps or neither. */
	void *items = NULL;
	int r = json_get_objects(c, v, "uidMappings", sizeof(struct spec_id_mapping),
				 spec_parse_id_mapping, &items, &m->uid_mappings_len);
	m->uid_mappings = items;
	if (r < 0)
		return -1;
	items = NULL;
	r = json_get_objects(c, v, "gidMappings", sizeof(struct spec_id_mapping),
			     spec_parse_id_mapping, &items, &m->gid_mappings_len);
	m->gid_mappings = items;
	if (r < 0)
		return -1;
	if ((m->uid_mappings_len == 0) != (m->gid_mappings_len == 0))
		return json_fail_key(c, m->uid_mappings_len ? "gidMappings" : "uidMappings",
				     "is required with %s", m->uid_mappings_len ? "uidMappings" : "gidMappings");
	return 0;
}

static int parse_hook(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_hook *h = item;
	int64_t timeout;
	int r;

	/* runtime-spec config.md "POSIX-platform Hooks": path MUST be absolute. */
	if (json_require(c, json_get_string(c, v, "path", &h->path), "path") < 0)
		return -1;
	if (spec_check_absolute(c, "path", h->path) < 0)
		return -1;
	if (json_get_strv(c, v, "args", &h->args) < 0 || json_get_strv(c, v, "env", &h->env) < 0)
		return -1;
	r = json_get_int(c, v, "timeout", 1, INT32_MAX, &timeout);
	if (r < 0)
		return -1;
	h->has_timeout = r > 0;
	h->timeout_s = (int)timeout;
	return 0;
}

static int parse_hooks(struct json_ctx *c, yajl_val top, struct spec_hooks *hooks)
{
	struct {
		const char *key;
		struct spec_hook_list *list;
	} lists[] = {
		{ "prestart", &hooks->prestart },
		{ "createRuntime", &hooks->create_runtime },
		{ "createContainer", &hooks->create_container },
		{ "startContainer", &hooks->start_container },
		{ "poststart", &hooks->poststart },
		{ "poststop", &hooks->poststop },
	};
	yajl_val v;
	size_t saved, i;
	int r;

	r = json_get_object(c, top, "hooks", &v);
	if (r <= 0)
		return r;
	saved = json_path_key(c, "hooks");
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		void *items = NULL;

		r = json_get_objects(c, v, lists[i].key, sizeof(struct spec_hook), parse_hook,
				     &items, &lists[i].list->len);
		lists[i].list->hooks = items;
		if (r < 0)
			return -1;
	}
	json_path_restore(c, saved);
	return 0;
}

static int parse_sub(struct json_ctx *c, yajl_val top, struct spec *s)
{
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "process", &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		s->process = calloc(1, sizeof(*s->process));
		if (s->process == NULL)
			return json_oom(c);
		saved = json_path_key(c, "process");
		if (spec_parse_process_obj(c, v, s->process) < 0)
			return -1;
		json_path_restore(c, saved);
	}
	r = json_get_object(c, top, "linux", &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		s->linux_ = calloc(1, sizeof(*s->linux_));
		if (s->linux_ == NULL)
			return json_oom(c);
		saved = json_path_key(c, "linux");
		if (spec_parse_linux(c, v, s->linux_) < 0)
			return -1;
		json_path_restore(c, saved);
	}
	return 0;
}

static int parse_spec(struct json_ctx *c, yajl_val top, struct spec *s)
{
	void *items = NULL;
	int r;

	if (!YAJL_IS_OBJECT(top))
		return json_fail(c, "must be a JSON object");
	if (json_require(c, json_get_string(c, top, "ociVersion", &s->oci_version),
			 "ociVersion") < 0)
		return -1;
	if (parse_root(c, top, &s->root) < 0)
		return -1;
	if (json_get_string(c, top, "hostname", &s->hostname) < 0 ||
	    json_get_string(c, top, "domainname", &s->domainname) < 0)
		return -1;
	r = json_get_objects(c, top, "mounts", sizeof(struct spec_mount), parse_mount, &items,
			     &s->mounts_len);
	s->mounts = items;
	if (r < 0)
		return -1;
	if (parse_hooks(c, top, &s->hooks) < 0)
		return -1;
	if (spec_parse_kv(c, top, "annotations", &s->annotations, &s->annotations_len) < 0)
		return -1;
	return parse_sub(c, top, s);
}

/* ---- entry points ---- */

struct spec *spec_parse(const char *json, size_t len, const char *origin, struct zrun_error *err)
{
	struct json_ctx c;
	struct spec *s;
	yajl_val top;

	top = json_parse(json, len, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, origin, err);
	if (top == NULL)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		yajl_tree_free(top);
		zrun_error_set(err, ENOMEM, "%s", origin);
		return NULL;
	}
	json_ctx_init(&c, origin, err);
	if (parse_spec(&c, top, s) < 0) {
		spec_free(s);
		s = NULL;
	}
	yajl_tree_free(top);
	return s;
}

struct spec *spec_load_bundle(const char *bundle_dir, struct zrun_error *err)
{
	struct spec *s;
	char *path, *buf;
	size_t len;

	if (asprintf(&path, "%s/config.json", bundle_dir) < 0) {
		zrun_error_set(err, ENOMEM, "%s", bundle_dir);
		return NULL;
	}
	if (json_read_file(path, SPEC_MAX_BYTES, &buf, &len, err) < 0) {
		free(path);
		return NULL;
	}
	s = spec_parse(buf, len, path, err);
	free(buf);
	free(path);
	return s;
}

struct spec_process *spec_parse_process(const char *json, size_t len, const char *origin,
					struct zrun_error *err)
{
	struct spec_process *p;
	struct json_ctx c;
	yajl_val top;

	top = json_parse(json, len, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, origin, err);
	if (top == NULL)
		return NULL;
	json_ctx_init(&c, origin, err);
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		json_oom(&c);
	} else if (!YAJL_IS_OBJECT(top)) {
		json_fail(&c, "must be a JSON object");
		free(p);
		p = NULL;
	} else if (spec_parse_process_obj(&c, top, p) < 0) {
		spec_process_free(p);
		p = NULL;
	}
	yajl_tree_free(top);
	return p;
}

/* ---- freeing ---- */

static void hook_list_free(struct spec_hook_list *list)
{
	size_t i;

	for (i = 0; list->hooks != NULL && i < list->len; i++) {
		free(list->hooks[i].path);
		json_strv_free(list->hooks[i].args);
		json_strv_free(list->hooks[i].env);
	}
	free(list->hooks);
}

void spec_free(struct spec *spec)
{
	size_t i;

	if (spec == NULL)
		return;
	free(spec->oci_version);
	free(spec->root.path);
	spec_process_free(spec->process);
	free(spec->hostname);
	free(spec->domainname);
	for (i = 0; spec->mounts != NULL && i < spec->mounts_len; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		json_strv_free(spec->mounts[i].options);
		free(spec->mounts[i].uid_mappings);
		free(spec->mounts[i].gid_mappings);
	}
	free(spec->mounts);
	hook_list_free(&spec->hooks.prestart);
	hook_list_free(&spec->hooks.create_runtime);
	hook_list_free(&spec->hooks.create_container);
	hook_list_free(&spec->hooks.start_container);
	hook_list_free(&spec->hooks.poststart);
	hook_list_free(&spec->hooks.poststop);
	spec_kv_free(spec->annotations, spec->annotations_len);
	if (spec->linux_ != NULL) {
		spec_linux_free(spec->linux_);
		free(spec->linux_);
	}
	free(spec);
}

/* ---- helpers ---- */

const char *spec_annotation(const struct spec *spec, const char *key)
{
	size_t i;

	for (i = 0; spec != NULL && i < spec->annotations_len; i++) {
		if (strcmp(spec->annotations[i].key, key) == 0)
			return spec->annotations[i].value;
	}
	return NULL;
}

const struct spec_namespace *spec_namespace_find(const struct spec *spec, enum spec_ns_type type)
{
	size_t i;

	if (spec == NULL || spec->linux_ == NULL)
		return NULL;
	for (i = 0; i < spec->linux_->namespaces_len; i++) {
		if (spec->linux_->namespaces[i].type == type)
			return &spec->linux_->namespaces[i];
	}
	return NULL;
}

static const struct {
	const char *name;
	int clone_flag;
} ns_types[SPEC_NS_COUNT] = {
	[SPEC_NS_PID] = { "pid", CLONE_NEWPID },
	[SPEC_NS_NETWORK] = { "network", CLONE_NEWNET },
	[SPEC_NS_MOUNT] = { "mount", CLONE_NEWNS },
	[SPEC_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[SPEC_NS_UTS] = { "uts", CLONE_NEWUTS },
	[SPEC_NS_USER] = { "user", CLONE_NEWUSER },
	[SPEC_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
	[SPEC_NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *spec_ns_type_name(enum spec_ns_type type)
{
	if ((unsigned)type >= SPEC_NS_COUNT)
		return NULL;
	return ns_types[type].name;
}

int spec_ns_clone_flag(enum spec_ns_type type)
{
	if ((unsigned)type >= SPEC_NS_COUNT)
		return 0;
	return ns_types[type].clone_flag;
}
