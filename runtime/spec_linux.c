/* spec_linux.c: the "linux" object except "resources" (spec_resources.c):
 * namespaces, id mappings, devices, seccomp, sysctl, time offsets and the
 * small fields. Values are checked here once; their users trust them. */
#include "spec_internal.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- namespaces ---- */

static int parse_namespace(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_namespace *ns = item;
	const char *name;
	char *type = NULL;
	int t, found = -1;

	if (json_require(c, json_get_string(c, v, "type", &type), "type") < 0)
		return -1;
	for (t = 0; t < SPEC_NS_COUNT; t++) {
		name = spec_ns_type_name((enum spec_ns_type)t);
		if (strcmp(type, name) == 0)
			found = t;
	}
	if (found < 0) {
		json_fail_key(c, "type", "unknown namespace \"%s\"", type);
		free(type);
		return -1;
	}
	free(type);
	ns->type = (enum spec_ns_type)found;
	if (json_get_string(c, v, "path", &ns->path) < 0)
		return -1;
	if (ns->path != NULL && spec_check_absolute(c, "path", ns->path) < 0)
		return -1;
	return 0;
}

static int parse_namespaces(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	void *items = NULL;
	size_t i, j;
	int r;

	r = json_get_objects(c, top, "namespaces", sizeof(struct spec_namespace),
			     parse_namespace, &items, &l->namespaces_len);
	l->namespaces = items;
	if (r <= 0)
		return r;
	/* runtime-spec config-linux.md: duplicate types MUST be an error. */
	for (i = 1; i < l->namespaces_len; i++) {
		for (j = 0; j < i; j++) {
			if (l->namespaces[i].type != l->namespaces[j].type)
				continue;
			json_path_key(c, "namespaces");
			json_path_index(c, i);
			return json_fail_key(c, "type", "duplicate namespace \"%s\"",
					     spec_ns_type_name(l->namespaces[i].type));
		}
	}
	return 0;
}

/* ---- id mappings and devices ---- */

/* A range [first, first + size) must end at or before SPEC_ID_MAX: the
 * kernel refuses a wrapping extent only when the map is written, with a bare
 * EINVAL that names neither the map nor the entry. */
static int check_id_range(struct json_ctx *c, const char *key, uint32_t first, uint32_t size)
{
	if ((uint64_t)first + size - 1 > SPEC_ID_MAX)
		return json_fail_key(c, key, "%" PRIu32 " + size %" PRIu32
				     " runs past the last valid id %" PRIu32,
				     first, size, (uint32_t)SPEC_ID_MAX);
	return 0;
}

int spec_parse_id_mapping(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_id_mapping *m = item;
	uint32_t container_id, host_id, size;
	uint64_t n;

	if (json_require(c, spec_get_id(c, v, "containerID", &container_id), "containerID") < 0 ||
	    json_require(c, spec_get_id(c, v, "hostID", &host_id), "hostID") < 0 ||
	    json_require(c, json_get_uint(c, v, "size", UINT32_MAX, &n), "size") < 0)
		return -1;
	if (n == 0)
		return json_fail_key(c, "size", "must not be zero");
	size = (uint32_t)n;
	if (check_id_range(c, "containerID", container_id, size) < 0 ||
	    check_id_range(c, "hostID", host_id, size) < 0)
		return -1;
	m->container_id = container_id;
	m->host_id = host_id;
	m->size = size;
	return 0;
}

static int parse_device_ids(struct json_ctx *c, yajl_val v, struct spec_device *d)
{
	uint32_t id = 0;
	uint64_t n;
	int r;

	r = json_get_uint(c, v, "fileMode", UINT32_MAX, &n);
	if (r < 0)
		return -1;
	d->has_file_mode = r > 0;
	d->file_mode = r > 0 ? (mode_t)n : 0;
	r = spec_get_id(c, v, "uid", &id);
	if (r < 0)
		return -1;
	d->has_uid = r > 0;
	d->uid = r > 0 ? (uid_t)id : 0;
	id = 0;
	r = spec_get_id(c, v, "gid", &id);
	if (r < 0)
		return -1;
	d->has_gid = r > 0;
	d->gid = r > 0 ? (gid_t)id : 0;
	return 0;
}

static int parse_device(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_device *d = item;
	char *type = NULL;
	int r;

	if (json_require(c, json_get_string(c, v, "path", &d->path), "path") < 0)
		return -1;
	if (spec_check_absolute(c, "path", d->path) < 0)
		return -1;
	if (json_require(c, json_get_string(c, v, "type", &type), "type") < 0)
		return -1;
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL) {
		free(type);
		return json_fail_key(c, "type", "must be one of \"c\", \"b\", \"u\", \"p\"");
	}
	d->type = type[0];
	free(type);
	/* config-linux.md "Devices": major and minor are required unless p. */
	r = json_get_int(c, v, "major", INT64_MIN, INT64_MAX, &d->major);
	if (r == 0 && d->type != 'p')
		return json_fail_key(c, "major", "is required for device type '%c'", d->type);
	if (r < 0)
		return -1;
	r = json_get_int(c, v, "minor", INT64_MIN, INT64_MAX, &d->minor);
	if (r == 0 && d->type != 'p')
		return json_fail_key(c, "minor", "is required for device type '%c'", d->type);
	if (r < 0)
		return -1;
	return parse_device_ids(c, v, d);
}

/* ---- seccomp ---- */

static int parse_seccomp_arg(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_seccomp_arg *a = item;
	uint64_t index;

	/* A syscall has six arguments (struct seccomp_data.args[6]). */
	if (json_require(c, json_get_uint(c, v, "index", 5, &index), "index") < 0)
		return -1;
	a->index = (unsigned)index;
	if (json_require(c, json_get_uint(c, v, "value", UINT64_MAX, &a->value), "value") < 0 ||
	    json_get_uint(c, v, "valueTwo", UINT64_MAX, &a->value_two) < 0)
		return -1;
	return json_require(c, json_get_string(c, v, "op", &a->op), "op");
}

static int parse_seccomp_syscall(struct json_ctx *c, yajl_val v, void *item)
{
	struct spec_seccomp_syscall *s = item;
	void *items = NULL;
	uint64_t n;
	int r;

	r = json_get_strv(c, v, "names", &s->names);
	if (r < 0)
		return -1;
	if (r == 0 || s->names[0] == NULL)
		return json_fail_key(c, "names", "must be a non-empty array of strings");
	if (json_require(c, json_get_string(c, v, "action", &s->action), "action") < 0)
		return -1;
	r = json_get_uint(c, v, "errnoRet", UINT32_MAX, &n);
	if (r < 0)
		return -1;
	s->has_errno_ret = r > 0;
	s->errno_ret = r > 0 ? (unsigned)n : 0;
	r = json_get_objects(c, v, "args", sizeof(struct spec_seccomp_arg), parse_seccomp_arg,
			     &items, &s->args_len);
	s->args = items;
	return r < 0 ? -1 : 0;
}

static int parse_seccomp(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	struct spec_seccomp *sc;
	void *items = NULL;
	size_t saved;
	uint64_t n;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "seccomp", &v);
	if (r <= 0)
		return r;
	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return json_oom(c);
	l->seccomp = sc;
	saved = json_path_key(c, "seccomp");
	if (json_require(c, json_get_string(c, v, "defaultAction", &sc->default_action),
			 "defaultAction") < 0)
		return -1;
	r = json_get_uint(c, v, "defaultErrnoRet", UINT32_MAX, &n);
	if (r < 0)
		return -1;
	sc->has_default_errno_ret = r > 0;
	sc->default_errno_ret = r > 0 ? (unsigned)n : 0;
	if (json_get_strv(c, v, "architectures", &sc->architectures) < 0 ||
	    json_get_strv(c, v, "flags", &sc->flags) < 0 ||
	    json_get_string(c, v, "listenerPath", &sc->listener_path) < 0 ||
	    json_get_string(c, v, "listenerMetadata", &sc->listener_metadata) < 0)
		return -1;
	/* config-linux.md: "This field MUST NOT be set if listenerPath is not set." */
	if (sc->listener_metadata && !sc->listener_path)
		return json_fail_key(c, "listenerMetadata", "must not be set without listenerPath");
	r = json_get_objects(c, v, "syscalls", sizeof(struct spec_seccomp_syscall),
			     parse_seccomp_syscall, &items, &sc->syscalls_len);
	sc->syscalls = items;
	if (r < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static void seccomp_free(struct spec_seccomp *sc)
{
	size_t i, j;

	if (sc == NULL)
		return;
	free(sc->default_action);
	json_strv_free(sc->architectures);
	json_strv_free(sc->flags);
	free(sc->listener_path);
	free(sc->listener_metadata);
	for (i = 0; sc->syscalls != NULL && i < sc->syscalls_len; i++) {
		struct spec_seccomp_syscall *s = &sc->syscalls[i];

		json_strv_free(s->names);
		free(s->action);
		for (j = 0; s->args != NULL && j < s->args_len; j++)
			free(s->args[j].op);
		free(s->args);
	}
	free(sc->syscalls);
	free(sc);
}

/* ---- time offsets, personality, intelRdt ---- */

static int parse_time_offset(struct json_ctx *c, yajl_val top, const char *clock,
			     struct spec_time_offset *out)
{
	uint64_t nanosecs = 0;
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, clock, &v);
	if (r <= 0)
		return r;
	saved = json_path_key(c, clock);
	if (json_get_int(c, v, "secs", INT64_MIN, INT64_MAX, &out->secs) < 0 ||
	    json_get_uint(c, v, "nanosecs", 999999999, &nanosecs) < 0)
		return -1;
	out->nanosecs = (uint32_t)nanosecs;
	json_path_restore(c, saved);
	return 0;
}

static int parse_time_offsets(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "timeOffsets", &v);
	if (r <= 0)
		return r;
	l->has_time_offsets = true;
	saved = json_path_key(c, "timeOffsets");
	/* Other clocks cannot be offset by a time namespace: ignored. */
	if (parse_time_offset(c, v, "boottime", &l->time_boottime) < 0 ||
	    parse_time_offset(c, v, "monotonic", &l->time_monotonic) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_misc(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "intelRdt", &v);
	if (r < 0)
		return -1;
	l->has_intel_rdt = r > 0;
	r = json_get_object(c, top, "personality", &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		l->has_personality = true;
		saved = json_path_key(c, "personality");
		if (json_require(c, json_get_string(c, v, "domain", &l->personality_domain),
				 "domain") < 0)
			return -1;
		if (strcmp(l->personality_domain, "LINUX") != 0 &&
		    strcmp(l->personality_domain, "LINUX32") != 0)
			return json_fail_key(c, "domain", "unknown domain \"%s\" (LINUX or LINUX32)",
					     l->personality_domain);
		/* config-linux.md: flags is reserved, with no values defined yet. */
		yajl_val flags = json_obj_get(v, "flags");
		if (flags && !(YAJL_IS_ARRAY(flags) && flags->u.array.len == 0) && !YAJL_IS_NULL(flags))
			return json_fail_key(c, "flags", "no personality flags are supported");
		json_path_restore(c, saved);
	}
	return parse_time_offsets(c, top, l);
}

/* ---- linux ---- */

static int parse_resources_obj(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	size_t saved;
	yajl_val v;
	int r;

	r = json_get_object(c, top, "resources", &v);
	if (r <= 0)
		return r;
	l->resources = calloc(1, sizeof(*l->resources));
	if (l->resources == NULL)
		return json_oom(c);
	saved = json_path_key(c, "resources");
	if (spec_parse_resources(c, v, l->resources) < 0)
		return -1;
	json_path_restore(c, saved);
	return 0;
}

static int parse_lists(struct json_ctx *c, yajl_val top, struct spec_linux *l)
{
	void *items = NULL;
	int r;

	r = json_get_objects(c, top, "uidMappings", sizeof(struct spec_id_mapping),
			     spec_parse_id_mapping, &items, &l->uid_mappings_len);
	l->uid_mappings = items;
	if (r < 0)
		return -1;
	items = NULL;
	r = json_get_objects(c, top, "gidMappings", sizeof(struct spec_id_mapping),
			     spec_parse_id_mapping, &items, &l->gid_mappings_len);
	l->gid_mappings = items;
	if (r < 0)
		return -1;
	items = NULL;
	r = json_get_objects(c, top, "devices", sizeof(struct spec_device), parse_device, &items,
			     &l->devices_len);
	l->devices = items;
	return r < 0 ? -1 : 0;
}

/* maskedPaths, readonlyPaths: "The values MUST be absolute paths in the
 * container namespace" (config-linux.md). */
static int check_absolute_list(struct json_ctx *c, const char *key, char **paths)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		if (paths[i][0] == '/')
			continue;
		json_path_key(c, key);
		json_path_index(c, i);
		return json_fail(c, "must be an absolute path");
	}
	return 0;
}

int spec_parse_linux(struct json_ctx *c, yajl_val v, struct spec_linux *l)
{
	if (parse_namespaces(c, v, l) < 0 || parse_lists(c, v, l) < 0)
		return -1;
	if (json_get_string(c, v, "cgroupsPath", &l->cgroups_path) < 0)
		return -1;
	if (parse_resources_obj(c, v, l) < 0)
		return -1;
	if (json_get_string(c, v, "rootfsPropagation", &l->rootfs_propagation) < 0 ||
	    json_get_strv(c, v, "maskedPaths", &l->masked_paths) < 0 ||
	    json_get_strv(c, v, "readonlyPaths", &l->readonly_paths) < 0 ||
	    json_get_string(c, v, "mountLabel", &l->mount_label) < 0 ||
	    check_absolute_list(c, "maskedPaths", l->masked_paths) < 0 ||
	    check_absolute_list(c, "readonlyPaths", l->readonly_paths) < 0)
		return -1;
	if (spec_parse_kv(c, v, "sysctl", &l->sysctl, &l->sysctl_len) < 0)
		return -1;
	if (parse_seccomp(c, v, l) < 0)
		return -1;
	return parse_misc(c, v, l);
}

void spec_linux_free(struct spec_linux *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; l->namespaces != NULL && i < l->namespaces_len; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (i = 0; l->devices != NULL && i < l->devices_len; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	if (l->resources != NULL) {
		spec_resources_free(l->resources);
		free(l->resources);
	}
	free(l->rootfs_propagation);
	json_strv_free(l->masked_paths);
	json_strv_free(l->readonly_paths);
	free(l->mount_label);
	spec_kv_free(l->sysctl, l->sysctl_len);
	seccomp_free(l->seccomp);
	free(l->personality_domain);
}
