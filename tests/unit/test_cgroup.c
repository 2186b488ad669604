/* test_cgroup: the cgroup drivers against this host's real cgroups (v1 on a
 * hybrid host, v2 in the VM). Every test makes its own "/zrun-unit-<pid>-..."
 * cgroup, kills what it forked and removes what it made, even on failure. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "unit.h"

static int version;
static char mount_root[256];

/* --- helpers: where a cgroup lives, reading its files, cleaning up --- */

/* The directories a cgroup path lives in: one per v1 hierarchy (the
 * unified/ mount of a hybrid host excluded), or the v2 one. */
static size_t hierarchy_dirs(char dirs[][512], size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (version == CGROUP_V2) {
		snprintf(dirs[0], 512, "%s", mount_root);
		return 1;
	}
	d = opendir(mount_root);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		struct stat st;
		char path[512];
		if (de->d_name[0] == '.' || strcmp(de->d_name, "unified") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", mount_root, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			snprintf(dirs[n++], 512, "%s", path);
	}
	closedir(d);
	return n;
}

/* The directory of path for controller ("memory"; ignored on v2). */
static void cg_dir(char *out, size_t size, const char *controller, const char *path)
{
	if (version == CGROUP_V2)
		snprintf(out, size, "%s%s", mount_root, path);
	else
		snprintf(out, size, "%s/%s%s", mount_root, controller, path);
}

static const char *read_cg(const char *controller, const char *path, const char *file)
{
	static char buf[4096];
	char dir[512], full[1024];
	ssize_t n;
	int fd;

	cg_dir(dir, sizeof(dir), controller, path);
	snprintf(full, sizeof(full), "%s/%s", dir, file);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "(unreadable)";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return "(unreadable)";
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return buf;
}

static int rmdir_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	return 0;
}

/* Remove path (and what is below it) from every hierarchy. */
static void cleanup_path(const char *path)
{
	char dirs[32][512], full[1024];
	size_t n = hierarchy_dirs(dirs, 32);

	for (size_t i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s%s", dirs[i], path);
		nftw(full, rmdir_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
}

/* Does path exist in any hierarchy? Names the first one it finds. */
static const char *exists_anywhere(const char *path)
{
	static char found[1024];
	char dirs[32][512];
	size_t n = hierarchy_dirs(dirs, 32);
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		snprintf(found, sizeof(found), "%s%s", dirs[i], path);
		if (stat(found, &st) == 0 || errno != ENOENT)
			return found;
	}
	return NULL;
}

/* On a v2 hierarchy that does not offer the controllers a test needs (the
 * unified/ mount of a hybrid host, say), the test has nothing to check. */
static bool v2_lacks(const char *const *controllers)
{
	char have[1024] = "", dir[512];
	FILE *f;

	if (version != CGROUP_V2)
		return false;
	snprintf(dir, sizeof(dir), "%s/cgroup.controllers", mount_root);
	f = fopen(dir, "re");
	if (f == NULL || fgets(have, sizeof(have) - 2, f) == NULL)
		have[0] = '\0';
	if (f != NULL)
		fclose(f);
	/* " cpu memory pids " so that every name can be matched as " name ". */
	memmove(have + 1, have, strlen(have) + 1);
	have[0] = ' ';
	have[strcspn(have, "\n")] = '\0';
	strcat(have, " ");
	for (size_t i = 0; controllers[i] != NULL; i++) {
		char word[64];
		snprintf(word, sizeof(word), " %s ", controllers[i]);
		if (strstr(have, word) == NULL) {
			printf("# skipped: this cgroup v2 root lacks the %s controller\n", controllers[i]);
			return true;
		}
	}
	return false;
}

static const char *const limit_controllers[] = { "memory", "pids", "cpu", "cpuset", NULL };

static void unique(char *out, size_t size, const char *leaf)
{
	snprintf(out, size, "/zrun-unit-%d/%s", (int)getpid(), leaf);
}

static void base_path(char *out, size_t size)
{
	snprintf(out, size, "/zrun-unit-%d", (int)getpid());
}

/* A child that waits for a byte on the pipe (sent once it is in the
 * cgroup), then forks `grandchildren` sleepers, then sleeps itself. */
static pid_t spawn(int grandchildren, int *go_fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < grandchildren; i++)
			if (fork() == 0)
				for (;;)
					pause();
		for (;;)
			pause();
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static void release(int go_fd)
{
	if (write(go_fd, "x", 1) != 1)
		perror("write");
	close(go_fd);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reap whatever children (and adopted grandchildren) have exited. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static size_t count_pids(struct cgroup *cg)
{
	struct zrun_error err;
	pid_t *pids;
	size_t n;

	if (cgroup_pids(cg, &pids, &n, &err) < 0) {
		printf("#   cgroup_pids: %s\n", err.msg);
		return (size_t)-1;
	}
	free(pids);
	return n;
}

static bool wait_empty(struct cgroup *cg, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 5) {
		reap_all();
		if (cgroup_is_empty(cg))
			return true;
		sleep_ms(5);
	}
	return cgroup_is_empty(cg);
}

/* Open + create path with r; prints the error on failure. */
static struct cgroup *make(const char *path, const struct spec_resources *r)
{
	struct zrun_error err;
	struct cgroup *cg = cgroup_open(path, NULL, NULL, &err);

	if (cg == NULL) {
		printf("#   cgroup_open %s: %s\n", path, err.msg);
		return NULL;
	}
	if (cgroup_create(cg, r, &err) < 0) {
		printf("#   cgroup_create %s: %s\n", path, err.msg);
		cgroup_free(cg);
		return NULL;
	}
	return cg;
}

/* Destroy, free, and clean up whatever is left of path and the test base. */
static void finish(struct cgroup *cg, const char *path)
{
	struct zrun_error err;
	char base[64];

	if (cg != NULL) {
		if (cgroup_destroy(cg, &err) < 0)
			printf("#   cgroup_destroy: %s\n", err.msg);
		cgroup_free(cg);
	}
	cleanup_path(path);
	base_path(base, sizeof(base));
	cleanup_path(base);
}

/* --- path resolution --- */

TEST(default_path_is_zrun_slash_id)
{
	struct zrun_error err;
	struct cgroup *cg = cgroup_open(NULL, "api-v1", NULL, &err);

	CHECK(cg != NULL);
	if (cg == NULL)
		return;
	CHECK_STR(cgroup_path(cg), "/zrun/api-v1");
	CHECK_INT(cgroup_version(cg), version);
	cgroup_free(cg);
}

TEST(default_parent_is_the_roots_own)
{
	struct zrun_error err;
	char def[64], a[64], a2[64], b[64];

	CHECK(cgroup_default_parent("/run/zrun", def, sizeof(def), &err) == 0);
	CHECK_STR(def, "/zrun");
	CHECK(cgroup_default_parent("/run//zrun/", def, sizeof(def), &err) == 0);
	CHECK_STR(def, "/zrun");
	CHECK(cgroup_default_parent("/tmp", a, sizeof(a), &err) == 0);
	CHECK(cgroup_default_parent("//tmp/./", a2, sizeof(a2), &err) == 0);
	CHECK(cgroup_default_parent("/var/tmp", b, sizeof(b), &err) == 0);
	CHECK(strncmp(a, "/zrun-", 6) == 0 && strlen(a) == 14);
	CHECK_STR(a2, a); /* the canonical path names the root */
	if (strcmp(a, b) == 0)
		printf("#   two roots, one parent: %s\n", a);
	CHECK(strcmp(a, b) != 0);
	/* a stable name: FNV-1a of the path, what the tests' helpers compute */
	CHECK_STR(a, "/zrun-29f1fc7b");
}

TEST(absolute_path_is_normalized)
{
	struct zrun_error err;
	struct cgroup *cg = cgroup_open("/k8s.io//pod1/./c1/", "x", NULL, &err);

	CHECK(cg != NULL);
	if (cg == NULL)
		return;
	CHECK_STR(cgroup_path(cg), "/k8s.io/pod1/c1");
	cgroup_free(cg);
}

TEST(relative_path_is_below_own_cgroup)
{
	struct zrun_error err;
	char want[4096] = "", line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	struct cgroup *cg;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (p == NULL)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (version == CGROUP_V2 && strcmp(line, "0:") == 0) {
			/* v2: beside the caller's cgroup, below its parent (runc) */
			char *slash = strrchr(p, '/');
			if (slash != NULL)
				*slash = '\0';
			snprintf(want, sizeof(want), "%s/zrun-unit-rel/c1", p);
		} else if (version == CGROUP_V1 && strcmp(c + 1, "memory") == 0) {
			/* v1: cgroup_path() is the memory hierarchy's */
			snprintf(want, sizeof(want), "%s/zrun-unit-rel/c1",
				 strcmp(p, "/") == 0 ? "" : p);
		}
	}
	fclose(f);
	cg = cgroup_open("zrun-unit-rel/c1", "x", NULL, &err);
	CHECK(cg != NULL);
	if (cg == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	CHECK_STR(cgroup_path(cg), want);
	cgroup_free(cg);
}

TEST(recorded_paths_name_each_hierarchy)
{
	static const struct spec_kv rec[] = {
		{ (char *)"memory", (char *)"/zrun-unit-rec/m" },
		{ (char *)"pids", (char *)"/zrun-unit-rec/p" },
	};
	static const struct spec_kv bad[][1] = {
		{ { (char *)"memory", (char *)"relative" } },
		{ { (char *)"memory", (char *)"/a/../b" } },
		{ { (char *)"memory", (char *)"/" } },
	};
	struct zrun_error err;
	const struct spec_kv *got;
	size_t n;
	struct cgroup *cg = cgroup_open_recorded("/zrun-unit-rec/m", rec, 2, &err);

	CHECK(cg != NULL);
	if (cg == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	CHECK_STR(cgroup_path(cg), "/zrun-unit-rec/m");
	got = cgroup_recorded_paths(cg, &n);
	if (version == CGROUP_V2) {
		CHECK_INT(n, 0); /* v2: the one path is the record */
	} else {
		/* hierarchies with no recorded path are left alone */
		CHECK_INT(n, 2);
		for (size_t i = 0; got != NULL && i < n; i++)
			CHECK_STR(got[i].value, strcmp(got[i].key, "memory") == 0 ? "/zrun-unit-rec/m"
										   : "/zrun-unit-rec/p");
	}
	cgroup_free(cg);
	for (size_t i = 0; version == CGROUP_V1 && i < sizeof(bad) / sizeof(bad[0]); i++) {
		cg = cgroup_open_recorded("/zrun-unit-rec/m", bad[i], 1, &err);
		CHECK(cg == NULL);
		cgroup_free(cg);
	}
}

TEST(dotdot_is_rejected)
{
	static const char *const bad[] = { "/zrun/../etc", "../up", "a/../../b", "/..", NULL };
	struct zrun_error err;

	for (size_t i = 0; bad[i] != NULL; i++) {
		struct cgroup *cg = cgroup_open(bad[i], "x", NULL, &err);
		CHECK(cg == NULL);
		cgroup_free(cg);
		if (cg == NULL && strstr(err.msg, "\"..\" is not allowed") == NULL)
			printf("#   %s: unexpected message: %s\n", bad[i], err.msg);
		CHECK(cg != NULL || strstr(err.msg, bad[i]) != NULL);
	}
	CHECK(cgroup_open_resolved("/a/../b", &err) == NULL);
	CHECK(cgroup_open(NULL, "..", NULL, &err) == NULL);
	CHECK(cgroup_open(NULL, "a/b", NULL, &err) == NULL);
}

TEST(root_cgroup_is_rejected)
{
	struct zrun_error err;

	CHECK(cgroup_open("/", "x", NULL, &err) == NULL);
	CHECK(cgroup_open("//.", "x", NULL, &err) == NULL);
	CHECK(cgroup_open(".", "x", NULL, &err) == NULL);
	CHECK(cgroup_open_resolved("relative", &err) == NULL);
}

/* --- create, limits, update --- */

TEST(create_applies_memory_pids_and_cpu_shares)
{
	struct spec_resources r = { 0 };
	struct zrun_error err;
	char path[128];
	struct cgroup *cg, *again;

	if (v2_lacks(limit_controllers))
		return;

	unique(path, sizeof(path), "limits");
	r.has_memory_limit = true;
	r.memory_limit = 64 << 20;
	r.has_pids_limit = true;
	r.pids_limit = 42;
	r.has_cpu_shares = true;
	r.cpu_shares = 512;
	cg = make(path, &r);
	CHECK(cg != NULL);
	if (cg != NULL) {
		CHECK_STR(cgroup_path(cg), path);
		CHECK_STR(read_cg("pids", path, "pids.max"), "42");
		if (version == CGROUP_V1) {
			CHECK_STR(read_cg("memory", path, "memory.limit_in_bytes"), "67108864");
			CHECK_STR(read_cg("cpu", path, "cpu.shares"), "512");
			/* deny-all then the default devices, not the open "a *:* rwm" */
			CHECK(strstr(read_cg("devices", path, "devices.list"), "a *:* rwm") == NULL);
			CHECK(strstr(read_cg("devices", path, "devices.list"), "c 1:3 rwm") != NULL);
			CHECK_INT(cgroup_dir_fd(cg), -1);
		} else {
			struct stat st;
			CHECK_STR(read_cg("memory", path, "memory.max"), "67108864");
			CHECK_STR(read_cg("cpu", path, "cpu.weight"), "20");
			CHECK(cgroup_dir_fd(cg) >= 0);
			CHECK(fstat(cgroup_dir_fd(cg), &st) == 0 && S_ISDIR(st.st_mode));
		}
		again = cgroup_open_resolved(cgroup_path(cg), &err);
		CHECK(again != NULL);
		if (again != NULL)
			CHECK_STR(cgroup_path(again), path);
		cgroup_free(again);
	}
	finish(cg, path);
	CHECK(exists_anywhere(path) == NULL);
}

TEST(update_raises_and_lowers_memory_with_swap)
{
	struct spec_resources r = { 0 };
	struct zrun_error err;
	char path[128], memsw[1024];
	struct cgroup *cg;
	bool swap_file;

	if (v2_lacks(limit_controllers))
		return;

	unique(path, sizeof(path), "swap");
	cg_dir(memsw, sizeof(memsw), "memory", path);
	r.has_memory_limit = r.has_memory_swap = true;
	r.memory_limit = 64 << 20;
	r.memory_swap = 128 << 20;
	cg = make(path, &r);
	CHECK(cg != NULL);
	if (cg == NULL) {
		finish(NULL, path);
		return;
	}
	strcat(memsw, version == CGROUP_V1 ? "/memory.memsw.limit_in_bytes" : "/memory.swap.max");
	swap_file = access(memsw, F_OK) == 0;
	r.memory_limit = 256 << 20;  /* raising: swap must go first on v1 */
	r.memory_swap = 512 << 20;
	CHECK(cgroup_update(cg, &r, &err) == 0);
	if (version == CGROUP_V1) {
		CHECK_STR(read_cg("memory", path, "memory.limit_in_bytes"), "268435456");
		if (swap_file)
			CHECK_STR(read_cg("memory", path, "memory.memsw.limit_in_bytes"), "536870912");
	} else {
		CHECK_STR(read_cg("memory", path, "memory.max"), "268435456");
		if (swap_file)
			CHECK_STR(read_cg("memory", path, "memory.swap.max"), "268435456");
	}
	r.memory_limit = 32 << 20;  /* lowering: memory must go first on v1 */
	r.memory_swap = 48 << 20;
	if (cgroup_update(cg, &r, &err) < 0) {
		printf("#   cgroup_update: %s\n", err.msg);
		CHECK(0);
	}
	CHECK_STR(read_cg("memory", path, version == CGROUP_V1 ? "memory.limit_in_bytes" : "memory.max"),
		  "33554432");
	r.memory_swap = 16 << 20;  /* swap below memory: refused (v2) or by the kernel (v1) */
	if (swap_file || version == CGROUP_V2)
		CHECK(cgroup_update(cg, &r, &err) < 0);
	finish(cg, path);
	CHECK(exists_anywhere(path) == NULL);
}

TEST(failed_create_names_file_and_value_and_leaves_nothing)
{
	struct spec_resources r = { 0 };
	struct zrun_error err;
	char path[128], base[64];
	struct cgroup *cg;

	if (v2_lacks(limit_controllers))
		return;

	base_path(base, sizeof(base));
	unique(path, sizeof(path), "fail/deeper");
	r.cpu_cpus = "99999";
	cg = cgroup_open(path, NULL, NULL, &err);
	CHECK(cg != NULL);
	if (cg == NULL)
		return;
	CHECK(cgroup_create(cg, &r, &err) < 0);
	if (strstr(err.msg, "cpuset.cpus: write 99999: ") == NULL ||
	    strstr(err.msg, path) == NULL) {
		printf("#   unexpected message: %s\n", err.msg);
		CHECK(0);
	}
	CHECK(exists_anywhere(base) == NULL);
	cgroup_free(cg);
	finish(NULL, path);
}

TEST(unified_keys_are_checked)
{
	struct spec_kv kv = { "../cgroup.procs", "1" };
	struct spec_resources r = { 0 };
	struct zrun_error err;
	char path[128];
	struct cgroup *cg;

	unique(path, sizeof(path), "unified");
	r.unified = &kv;
	r.unified_len = 1;
	cg = cgroup_open(path, NULL, NULL, &err);
	CHECK(cg != NULL);
	if (cg == NULL)
		return;
	CHECK(cgroup_create(cg, &r, &err) < 0);
	if (version == CGROUP_V2)
		CHECK(strstr(err.msg, "bad key") != NULL);
	else
		CHECK(strstr(err.msg, "needs cgroup v2") != NULL);
	cgroup_free(cg);
	finish(NULL, path);
	CHECK(exists_anywhere(path) == NULL);
}

/* --- processes --- */

TEST(added_pid_is_listed)
{
	struct zrun_error err;
	char path[128];
	struct cgroup *cg;
	pid_t child, *pids = NULL;
	size_t n = 0;
	int go;

	unique(path, sizeof(path), "pids");
	cg = make(path, NULL);
	CHECK(cg != NULL);
	if (cg == NULL) {
		finish(NULL, path);
		return;
	}
	CHECK(cgroup_is_empty(cg));
	child = spawn(0, &go);
	CHECK(child > 0);
	if (child > 0) {
		CHECK(cgroup_add_pid(cg, child, &err) == 0);
		CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
		CHECK_INT(n, 1);
		if (n == 1)
			CHECK_INT(pids[0], child);
		free(pids);
		CHECK(!cgroup_is_empty(cg));
		release(go);
		CHECK(cgroup_kill_all(cg, SIGTERM, &err) == 0);
		waitpid(child, NULL, 0);
	}
	CHECK(wait_empty(cg, 2000));
	finish(cg, path);
	CHECK(exists_anywhere(path) == NULL);
}

TEST(kill_all_kills_children_that_fork)
{
	struct zrun_error err;
	char path[128];
	struct cgroup *cg;
	pid_t child;
	int go;

	unique(path, sizeof(path), "kill");
	cg = make(path, NULL);
	CHECK(cg != NULL);
	if (cg == NULL) {
		finish(NULL, path);
		return;
	}
	child = spawn(3, &go);
	CHECK(child > 0);
	if (child > 0) {
		CHECK(cgroup_add_pid(cg, child, &err) == 0);
		release(go);
		for (int i = 0; i < 400 && count_pids(cg) < 4; i++)
			sleep_ms(5);
		CHECK_INT(count_pids(cg), 4);
		if (cgroup_kill_all(cg, SIGKILL, &err) < 0) {
			printf("#   cgroup_kill_all: %s\n", err.msg);
			CHECK(0);
		}
		waitpid(child, NULL, 0);
		CHECK(wait_empty(cg, 2000));
		if (!cgroup_is_empty(cg))
			cgroup_kill_all(cg, SIGKILL, &err);
	}
	CHECK(cgroup_kill_all(cg, SIGKILL, &err) == 0); /* empty: fine */
	wait_empty(cg, 1000);
	finish(cg, path);
	CHECK(exists_anywhere(path) == NULL);
}

/* "S"/"R" vs frozen: what the kernel reports for the cgroup. */
static const char *frozen_state(const char *path)
{
	if (version == CGROUP_V1)
		return read_cg("freezer", path, "freezer.state");
	return strstr(read_cg("", path, "cgroup.events"), "frozen 1") ? "FROZEN" : "THAWED";
}

TEST(freeze_and_thaw)
{
	struct zrun_error err;
	char path[128];
	struct cgroup *cg;
	pid_t child;
	int go;

	unique(path, sizeof(path), "freeze");
	cg = make(path, NULL);
	CHECK(cg != NULL);
	if (cg == NULL) {
		finish(NULL, path);
		return;
	}
	child = spawn(1, &go);
	CHECK(child > 0);
	if (child > 0) {
		CHECK(cgroup_add_pid(cg, child, &err) == 0);
		release(go);
		if (cgroup_freeze(cg, true, &err) < 0)
			printf("#   cgroup_freeze: %s\n", err.msg);
		CHECK_STR(frozen_state(path), "FROZEN");
		CHECK(cgroup_freeze(cg, false, &err) == 0);
		CHECK_STR(frozen_state(path), "THAWED");
		/* Killing a paused container must work too. */
		CHECK(cgroup_freeze(cg, true, &err) == 0);
		CHECK(cgroup_kill_all(cg, SIGKILL, &err) == 0);
		waitpid(child, NULL, 0);
		CHECK(wait_empty(cg, 2000));
	}
	finish(cg, path);
	CHECK(exists_anywhere(path) == NULL);
}

TEST(destroy_removes_sub_cgroups_and_tolerates_absence)
{
	struct zrun_error err;
	char path[128], sub[1024];
	struct cgroup *cg;

	unique(path, sizeof(path), "tree");
	cg = make(path, NULL);
	CHECK(cg != NULL);
	if (cg == NULL) {
		finish(NULL, path);
		return;
	}
	/* What a container with cgroupns might make for itself. */
	cg_dir(sub, sizeof(sub), "memory", path);
	strcat(sub, "/inner");
	CHECK(mkdir(sub, 0755) == 0);
	strcat(sub, "/deeper");
	CHECK(mkdir(sub, 0755) == 0);
	if (cgroup_destroy(cg, &err) < 0) {
		printf("#   cgroup_destroy: %s\n", err.msg);
		CHECK(0);
	}
	CHECK(exists_anywhere(path) == NULL);
	CHECK(cgroup_destroy(cg, &err) == 0); /* ENOENT is success */
	CHECK(cgroup_is_empty(cg));
	CHECK_INT(count_pids(cg), 0);
	{
		/* The parent is shared with other containers: it stays. */
		char base[64], dir[512];
		struct stat st;
		base_path(base, sizeof(base));
		cg_dir(dir, sizeof(dir), "memory", base);
		CHECK(stat(dir, &st) == 0);
	}
	finish(cg, path);
}

int main(void)
{
	struct zrun_error err;
	const char *env = getenv("ZRUN_CGROUP_MOUNT");

	snprintf(mount_root, sizeof(mount_root), "%s", env != NULL && *env ? env : "/sys/fs/cgroup");
	if (geteuid() != 0) {
		printf("1..0 # SKIP cgroup tests need root\n");
		return 0;
	}
	version = cgroup_detect_version(&err);
	if (version < 0) {
		printf("1..0 # SKIP %s\n", err.msg);
		return 0;
	}
	printf("# cgroup v%d at %s\n", version, mount_root);
	/* Grandchildren re-parent to us, so they can be reaped and not linger. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN); /* a go pipe whose child is already gone */
	RUN(default_path_is_zrun_slash_id);
	RUN(default_parent_is_the_roots_own);
	RUN(absolute_path_is_normalized);
	RUN(relative_path_is_below_own_cgroup);
	RUN(recorded_paths_name_each_hierarchy);
	RUN(dotdot_is_rejected);
	RUN(root_cgroup_is_rejected);
	RUN(create_applies_memory_pids_and_cpu_shares);
	RUN(update_raises_and_lowers_memory_with_swap);
	RUN(failed_create_names_file_and_value_and_leaves_nothing);
	RUN(unified_keys_are_checked);
	RUN(added_pid_is_listed);
	RUN(kill_all_kills_children_that_fork);
	RUN(freeze_and_thaw);
	RUN(destroy_removes_sub_cgroups_and_tolerates_absence);
	UNIT_DONE();
}
