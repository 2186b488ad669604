#include "service_dump.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy.h"
#include "json.h"
#include "supervisor.h"
#include "swap.h"
#include "version.h"

static void default_file(char *buf, size_t len, const char *root, const char *file)
{
	if (file)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%s/services.json", root);
}

/* During a canary (open, or its abort under way), the side it was tried
 * against: what a restore brings back is the release proven whole. Before,
 * the service's current version was saved, which a deploy --canary names
 * at once: after a boot the canary alone took every connection. */
static void canary_old_side(const char *root, const char *name, char *group, size_t len, char ***ids, size_t *n)
{
	struct swap_record r;
	struct zrun_error ignored;
	char **old;
	size_t n_old = 0;

	if (swap_record_read(root, name, &r, &ignored) != 1)
		return;
	if (r.state == SWAP_CANARY || swap_record_canary_aborting(&r)) {
		swap_group_members(root, name, r.old_name, &old, &n_old);
		if (n_old > 0) {
			service_free_ids(*ids, *n);
			*ids = old;
			*n = n_old;
			snprintf(group, len, "%s", r.old_name);
		} else {
			service_free_ids(old, n_old);
		}
	}
	swap_record_clear(&r);
}

/* One service: its record and replica 0 of what runs. 0 when saved. */
static int save_one(const char *root, const char *name, struct json_writer *w)
{
	struct service svc;
	struct zrun_error ignored;
	char group[STATE_ID_MAX + 1], item[700];
	char **ids;
	size_t n;
	struct container_state st;
	struct version_config vc;

	if (service_load(root, name, &svc, &ignored) < 0 ||
	    deploy_running(root, name, group, sizeof(group), &ids, &n, &ignored) < 0)
		return -1;
	canary_old_side(root, name, group, sizeof(group), &ids, &n);
	int r = -1;
	if (n > 0 && version_load(root, group, &st, &vc, &ignored) == 0) {
		/* the sockets of a running version (steered services) are not a
		 * setting: a restore makes new ones, and a saved file must not
		 * change with every deploy of the same release */
		vc.n_steer = 0;
		char *vjson = version_config_json(&vc);
		json_w_object_begin(w);
		json_w_key(w, "name");
		json_w_string(w, name);
		json_w_key(w, "listeners");
		json_w_array_begin(w);
		for (size_t i = 0; i < svc.n_listeners; i++) {
			snprintf(item, sizeof(item), "%s=%s", svc.listeners[i].name, svc.listeners[i].url);
			json_w_string(w, item);
		}
		json_w_array_end(w);
		json_w_key(w, "bundle");
		json_w_string(w, st.bundle);
		json_w_key(w, "current");
		json_w_string(w, group);
		json_w_key(w, "replicas");
		json_w_int(w, (int64_t)n);
		json_w_key(w, "seq");
		json_w_uint(w, svc.seq);
		json_w_key(w, "keep_old");
		json_w_bool(w, svc.keep_old);
		json_w_key(w, "timeout_ms");
		json_w_int(w, svc.timeout_ms);
		json_w_key(w, "version");
		json_w_string(w, vjson ? vjson : "{}");
		json_w_object_end(w);
		free(vjson);
		state_clear(&st);
		r = 0;
	}
	service_free_ids(ids, n);
	return r;
}

int service_dump_save(const char *root, const char *file, FILE *out, struct zrun_error *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct json_writer w;
	int count = 0;

	default_file(path, sizeof(path), root, file);
	snprintf(dir, sizeof(dir), "%s/.services", root);
	json_w_init(&w, true);
	json_w_object_begin(&w);
	json_w_key(&w, "services");
	json_w_array_begin(&w);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && save_one(root, de->d_name, &w) == 0)
			count++;
	if (d)
		closedir(d);
	json_w_array_end(&w);
	json_w_object_end(&w);
	char *text = json_w_finish(&w);
	if (text == NULL)
		return zrun_error_set(err, ENOMEM, "save");
	/* Read at boot (docs/pm2.md): written durably, with a final newline. */
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (line == NULL) {
		free(text);
		return zrun_error_set(err, ENOMEM, "save");
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	int r = state_write_file(path, line, len + 1, 0600, true, NULL, err);
	free(line);
	if (r < 0)
		return -1;
	if (out)
		fprintf(out, "saved %d service%s to %s\n", count, count == 1 ? "" : "s", path);
	return 0;
}

/* What is left of a service whose processes all died: its versions'
 * state and cgroups, and a service record naming a dead supervisor. The logs
 * stay. */
static void clear_remains(const char *root, const char *name)
{
	struct service svc;
	struct zrun_error ignored;
	char **ids;
	size_t n;
	char path[PATH_MAX];

	if (service_versions(root, name, &ids, &n, &ignored) == 0) {
		for (size_t i = 0; i < n; i++) {
			version_mark_stopping(root, name, ids[i]);
			container_delete(root, ids[i], true, &ignored);
		}
		service_free_ids(ids, n);
	}
	if (service_load(root, name, &svc, &ignored) == 0 && supervisor_alive(&svc))
		supervisor_stop(root, &svc);
	if (service_path(path, sizeof(path), root, name, "service.json") == 0)
		unlink(path);
	if (service_path(path, sizeof(path), root, name, "swap.json") == 0)
		unlink(path);
}

static int restore_one(const char *root, struct json_ctx *c, yajl_val s, FILE *out, struct zrun_error *err)
{
	char *name = NULL, *bundle = NULL, *current = NULL, *vjson = NULL, **urls = NULL;
	int64_t replicas = 1;
	uint64_t seq = 0;
	struct listener ls[LISTENER_MAX];
	size_t nls = 0;
	char group[STATE_ID_MAX + 1];
	char **running;
	size_t nrun = 0;
	int r = -1;

	if (json_get_string(c, s, "name", &name) != 1 || json_get_string(c, s, "bundle", &bundle) != 1 ||
	    json_get_string(c, s, "current", &current) != 1 || json_get_string(c, s, "version", &vjson) != 1 ||
	    json_get_strv(c, s, "listeners", &urls) != 1) {
		zrun_error_set(err, 0, "a service entry lacks name, bundle, current, version or listeners");
		goto out;
	}
	json_get_int(c, s, "replicas", 1, DEPLOY_REPLICAS_MAX, &replicas);
	json_get_uint(c, s, "seq", UINT32_MAX, &seq);
	if (service_validate_name(name, err) < 0)
		goto out;
	for (size_t i = 0; i < LISTENER_MAX && urls[i]; i++, nls++)
		if (listener_parse(urls[i], (int)i, &ls[i], err) < 0)
			goto out;
	if (deploy_running(root, name, group, sizeof(group), &running, &nrun, err) == 0) {
		service_free_ids(running, nrun);
		if (nrun > 0) {
			if (out)
				fprintf(out, "%s: already running (%s)\n", name, group);
			r = 0;
			goto out;
		}
	}
	clear_remains(root, name);
	struct container_state fake = { .extra_json = vjson };
	struct version_config vc;
	if (version_config_from_state(&fake, &vc) < 0) {
		zrun_error_set(err, 0, "service %s: bad version settings", name);
		goto out;
	}
	snprintf(vc.group, sizeof(vc.group), "%s", current);
	for (int64_t k = 0; k < replicas; k++) {
		char id[STATE_ID_MAX + 16];
		if (k == 0)
			snprintf(id, sizeof(id), "%s", current);
		else
			snprintf(id, sizeof(id), "%s.r%d", current, (int)k);
		if (version_create_from(root, id, bundle, &vc, ls, nls, err) < 0 ||
		    swap_start_and_probe(root, id, 120000, NULL, false, err) < 0) {
			zrun_error_prefix(err, "service %s: %s", name, id);
			goto out;
		}
	}
	struct service svc;
	struct zrun_error ignored;
	if (service_load(root, name, &svc, &ignored) == 0) {
		snprintf(svc.current, sizeof(svc.current), "%s", current);
		svc.replicas = (int)replicas;
		svc.seq = (unsigned long)seq;
		/* what the next deploy reuses (deploy_settings.c) */
		version_config_settings(&svc.settings, &vc);
		json_get_bool(c, s, "keep_old", &svc.keep_old);
		int64_t timeout = 0;
		if (json_get_int(c, s, "timeout_ms", 0, INT32_MAX, &timeout) == 1)
			svc.timeout_ms = (long)timeout;
		service_save(root, &svc, &ignored);
	}
	supervisor_rescan(root, name);
	if (out)
		fprintf(out, "%s: restored %s (%d replica%s)\n", name, current, (int)replicas, replicas == 1 ? "" : "s");
	r = 0;
out:
	free(name);
	free(bundle);
	free(current);
	free(vjson);
	json_strv_free(urls);
	return r;
}

/* Every service at once, one child each: a service waits for its own
 * versions to be probed ready, not for those of the services before it
 * (4 containers of 2 services took the sum of their start times). The
 * number that failed, each said on stderr by its child. */
static int restore_all(const char *root, const char *path, yajl_val list, FILE *out)
{
	size_t n = list->u.array.len;
	pid_t *kids = calloc(n + 1, sizeof(pid_t));
	int failed = 0;

	if (out)
		fflush(out);
	fflush(stderr);
	for (size_t i = 0; i < n; i++) {
		pid_t pid = kids ? fork() : -1;
		if (pid == 0 || pid < 0) {
			struct zrun_error one = { 0 };
			struct json_ctx ci;
			json_ctx_init(&ci, path, &one);
			int r = restore_one(root, &ci, list->u.array.values[i], out, &one);
			if (r < 0)
				fprintf(stderr, "zrun: service restore: %s\n", one.msg);
			if (out)
				fflush(out);
			if (pid == 0)
				_exit(r < 0 ? 1 : 0);
			/* no child: this one in turn, here */
			failed += r < 0;
			continue;
		}
		kids[i] = pid;
	}
	for (size_t i = 0; kids && i < n; i++) {
		int st = 0;
		pid_t w = 0;
		while (kids[i] > 0 && (w = waitpid(kids[i], &st, 0)) < 0 && errno == EINTR)
			;
		if (kids[i] > 0 && (w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			failed++;
	}
	free(kids);
	return failed;
}

int service_dump_restore(const char *root, const char *file, FILE *out, struct zrun_error *err)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	yajl_val list;
	int failed = 0;

	default_file(path, sizeof(path), root, file);
	if (json_read_file(path, 4 * 1024 * 1024, &buf, &len, err) < 0)
		return -1;
	yajl_val t = json_parse(buf, len, 4 * 1024 * 1024, 8, path, err);
	free(buf);
	if (t == NULL)
		return -1;
	struct json_ctx c;
	json_ctx_init(&c, path, err);
	if (json_get_array(&c, t, "services", &list) != 1) {
		yajl_tree_free(t);
		return zrun_error_set(err, 0, "%s: no \"services\" array", path);
	}
	failed = restore_all(root, path, list, out);
	yajl_tree_free(t);
	if (failed)
		return zrun_error_set(err, 0, "service restore: %d service%s not restored", failed, failed == 1 ? "" : "s");
	return 0;
}
