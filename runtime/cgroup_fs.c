/* cgroup_fs: the file and directory operations both cgroup drivers use:
 * checked writes that name the cgroup, file and value; bounded reads; mkdir -p
 * that remembers what it made; bottom-up removal with a bounded EBUSY retry;
 * recursive pid listing. */
#include "cgroup_driver.h"
#include "clock.h"
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_TREE_DEPTH_MAX 64
#define CG_PIDS_MAX (4 * 1024 * 1024)

static int file_path(char *buf, size_t size, const char *dir, const char *file)
{
	int n = snprintf(buf, size, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cg_write(const struct cgroup *cg, const char *dir, const char *file, const char *value,
	     struct zrun_error *err)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int fd, saved;

	if (file_path(path, sizeof(path), dir, file) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "cgroup %s: %s", cg->path, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return zrun_error_set(err, errno, "cgroup %s: %s: open", cg->path, file);
	/* A cgroup file takes one value per write(2); never split it. */
	n = fault_check("cgroup-write", NULL) < 0 ? -1 : write(fd, value, len);
	saved = errno;
	close(fd);
	if (n < 0)
		return zrun_error_set(err, saved, "cgroup %s: %s: write %s", cg->path, file, value);
	if ((size_t)n != len)
		return zrun_error_set(err, EIO, "cgroup %s: %s: write %s: short write", cg->path,
				      file, value);
	return 0;
}

int cg_write_i64(const struct cgroup *cg, const char *dir, const char *file, int64_t value,
		 struct zrun_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	return cg_write(cg, dir, file, buf, err);
}

ssize_t cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd;

	if (size == 0 || file_path(path, sizeof(path), dir, file) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			return -saved;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return (ssize_t)len;
}

bool cg_file_exists(const char *dir, const char *file)
{
	char path[PATH_MAX];

	return file_path(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

static int remember_made(struct cgroup *cg, const char *dir, struct zrun_error *err)
{
	char **made = realloc(cg->made, (cg->made_len + 1) * sizeof(*made));

	if (made == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup %s", cg->path);
	cg->made = made;
	made[cg->made_len] = strdup(dir);
	if (made[cg->made_len] == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup %s", cg->path);
	cg->made_len++;
	return 0;
}

int cg_mkdir_p(struct cgroup *cg, const char *mount, const char *path, struct zrun_error *err)
{
	char dir[PATH_MAX];
	size_t len;
	const char *p = path;

	if (file_path(dir, sizeof(dir), mount, "") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "cgroup %s: mkdir", cg->path);
	len = strlen(dir) - 1; /* without the trailing '/' */
	dir[len] = '\0';
	while (*p != '\0') {
		const char *end;
		size_t n;
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (len + 1 + n >= sizeof(dir))
			return zrun_error_set(err, ENAMETOOLONG, "cgroup %s: mkdir", cg->path);
		dir[len++] = '/';
		memcpy(dir + len, p, n);
		len += n;
		dir[len] = '\0';
		p = end;
		if (mkdir(dir, 0755) == 0) {
			if (remember_made(cg, dir, err) < 0) {
				rmdir(dir);
				return -1;
			}
		} else if (errno != EEXIST) {
			return zrun_error_set(err, errno, "cgroup %s: mkdir %s", cg->path, dir);
		}
	}
	return 0;
}

void cg_forget_made(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->made_len; i++)
		free(cg->made[i]);
	free(cg->made);
	cg->made = NULL;
	cg->made_len = 0;
}

void cg_undo_made(struct cgroup *cg)
{
	/* Newest first: children before their parents. Best effort: this runs
	 * on a failure path that already has its error to report. */
	for (size_t i = cg->made_len; i > 0; i--)
		rmdir(cg->made[i - 1]);
	cg_forget_made(cg);
}

/* rmdir, retrying EBUSY (the kernel still counts exiting tasks) until deadline. */
static int rmdir_retry(const struct cgroup *cg, const char *dir, uint64_t deadline_ms,
		       struct zrun_error *err)
{
	unsigned pause_ms = 1;

	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || (uint64_t)now_ms() >= deadline_ms)
			return zrun_error_set(err, errno, "cgroup %s: rmdir %s", cg->path, dir);
		sleep_ms(pause_ms);
		if (pause_ms < 16)
			pause_ms *= 2;
	}
}

static int remove_tree_at(const struct cgroup *cg, const char *dir, int depth,
			  uint64_t deadline_ms, struct zrun_error *err)
{
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	if (depth > CG_TREE_DEPTH_MAX)
		return zrun_error_set(err, ELOOP, "cgroup %s: %s: sub-cgroups nested too deep",
				      cg->path, dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, dir);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, dir);
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (file_path(sub, sizeof(sub), dir, de->d_name) < 0)
			ret = zrun_error_set(err, ENAMETOOLONG, "cgroup %s: %s", cg->path, de->d_name);
		else
			ret = remove_tree_at(cg, sub, depth + 1, deadline_ms, err);
	}
	closedir(d);
	if (ret < 0)
		return ret;
	return rmdir_retry(cg, dir, deadline_ms, err);
}

int cg_remove_tree(const struct cgroup *cg, const char *dir, struct zrun_error *err)
{
	return remove_tree_at(cg, dir, 0, (uint64_t)now_ms() + CGROUP_RMDIR_TIMEOUT_MS, err);
}

struct pid_list {
	pid_t *pids;
	size_t len, cap;
};

static int pid_list_add(struct pid_list *l, pid_t pid)
{
	if (l->len == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 64;
		pid_t *p;
		if (cap > CG_PIDS_MAX)
			return -E2BIG;
		p = realloc(l->pids, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		l->pids = p;
		l->cap = cap;
	}
	l->pids[l->len++] = pid;
	return 0;
}

/* Parse one cgroup.procs file; a vanished cgroup contributes nothing. */
static int read_procs(const char *dir, struct pid_list *l)
{
	char path[PATH_MAX], line[32];
	FILE *f;
	int ret = 0;

	if (file_path(path, sizeof(path), dir, "cgroup.procs") < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT || errno == ENODEV ? 0 : -errno;
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		long pid = strtol(line, NULL, 10);
		if (pid > 0)
			ret = pid_list_add(l, (pid_t)pid);
	}
	if (ret == 0 && ferror(f))
		ret = errno != 0 ? -errno : -EIO;
	fclose(f);
	return ret;
}

static int collect_at(const char *dir, int depth, struct pid_list *l)
{
	struct dirent *de;
	DIR *d;
	int fd, ret;

	if (depth > CG_TREE_DEPTH_MAX)
		return -ELOOP;
	ret = read_procs(dir, l);
	if (ret < 0)
		return ret;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (file_path(sub, sizeof(sub), dir, de->d_name) < 0)
			ret = -ENAMETOOLONG;
		else
			ret = collect_at(sub, depth + 1, l);
	}
	closedir(d);
	return ret;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int cg_collect_pids(const struct cgroup *cg, const char *dir, pid_t **pids, size_t *n,
		    struct zrun_error *err)
{
	struct pid_list l = { 0 };
	size_t out = 0;
	int ret = collect_at(dir, 0, &l);

	*pids = NULL;
	*n = 0;
	if (ret < 0) {
		free(l.pids);
		return zrun_error_set(err, -ret, "cgroup %s: cgroup.procs: read", cg->path);
	}
	/* v1 cgroup.procs may repeat a process; the caller wants each once. */
	if (l.len > 0)
		qsort(l.pids, l.len, sizeof(*l.pids), cmp_pid);
	for (size_t i = 0; i < l.len; i++)
		if (out == 0 || l.pids[out - 1] != l.pids[i])
			l.pids[out++] = l.pids[i];
	*pids = l.pids;
	*n = out;
	return 0;
}

int cg_signal_pids(const struct cgroup *cg, const pid_t *pids, size_t n, int sig,
		   struct zrun_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		if (kill(pids[i], sig) < 0 && errno != ESRCH && ret == 0)
			ret = zrun_error_set(err, errno, "cgroup %s: kill %d with signal %d",
					     cg->path, (int)pids[i], sig);
	}
	return ret;
}
