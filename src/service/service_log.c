#include "service_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int service_log_dir(char *buf, size_t len, const char *root, const char *service)
{
	char abs[PATH_MAX];
	int n;

	/* a relative or symlinked --root naming /run/zrun is the default root */
	if (realpath(root, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", root);
	if (strcmp(abs, SERVICE_LOG_DEFAULT_ROOT) == 0)
		n = snprintf(buf, len, "%s/%s", SERVICE_LOG_SYSTEM_DIR, service);
	else
		n = snprintf(buf, len, "%s/.logs/%s", root, service);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* DIR and its parent (/var/log/zrun or ROOT/.logs): private, the output of
 * a version may hold what its owner would not show other users. */
static void make_dir(const char *dir)
{
	char parent[PATH_MAX];

	if (mkdir(dir, 0700) == 0 || errno != ENOENT)
		return;
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent)
		return;
	*slash = '\0';
	mkdir(parent, 0700);
	mkdir(dir, 0700);
}

static int open_in(const char *dir, const char *id, off_t *size)
{
	char path[PATH_MAX + STATE_ID_MAX + 16];
	struct stat sb;

	make_dir(dir);
	snprintf(path, sizeof(path), "%s/%s.log", dir, id);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (size)
		*size = (fd >= 0 && fstat(fd, &sb) == 0) ? sb.st_size : 0;
	return fd;
}

int service_log_open(const char *root, const char *service, const char *id)
{
	char dir[PATH_MAX];

	if (service_log_dir(dir, sizeof(dir), root, service) < 0)
		return -1;
	return open_in(dir, id, NULL);
}

void log_sink_open(struct log_sink *l, const char *root, const char *service, const char *id, int pipe_fd)
{
	memset(l, 0, sizeof(*l));
	l->used = true;
	snprintf(l->id, sizeof(l->id), "%s", id);
	l->pipe_fd = pipe_fd;
	fcntl(pipe_fd, F_SETFL, fcntl(pipe_fd, F_GETFL) | O_NONBLOCK);
	l->file_fd = -1;
	if (service_log_dir(l->dir, sizeof(l->dir), root, service) == 0)
		l->file_fd = open_in(l->dir, id, &l->size);
}

/* ID.log -> ID.log.1 -> ID.log.2 (the oldest goes). */
static void log_rotate(struct log_sink *l)
{
	char a[PATH_MAX + STATE_ID_MAX + 16], b[sizeof(a)];

	snprintf(a, sizeof(a), "%s/%s.log.1", l->dir, l->id);
	snprintf(b, sizeof(b), "%s/%s.log.2", l->dir, l->id);
	rename(a, b);
	snprintf(b, sizeof(b), "%s/%s.log", l->dir, l->id);
	rename(b, a);
	if (l->file_fd >= 0)
		close(l->file_fd);
	l->file_fd = open_in(l->dir, l->id, &l->size);
}

static void log_append(struct log_sink *l, const char *buf, size_t n)
{
	if (n == 0)
		return;
	if (l->size + (off_t)n > SERVICE_LOG_MAX_BYTES)
		log_rotate(l);
	if (l->file_fd >= 0 && write(l->file_fd, buf, n) == (ssize_t)n)
		l->size += (off_t)n;
}

/* "2026-12-06T23:24:00.123Z ": fixed width, so that the times of two lines
 * compare as strings. */
static void time_prefix(char out[SERVICE_LOG_TIME_LEN + 2])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 7, ".%03ldZ ", ts.tv_nsec / 1000000);
}

int log_sink_drain(struct log_sink *l)
{
	/* 8 KiB in, up to 1 MiB a call: bigger buffers stay resident in the
	 * supervisor's stack (paid per service) once a chatty version filled
	 * them */
	char in[8192], out[16384], stamp[SERVICE_LOG_TIME_LEN + 2];

	for (int rounds = 0; rounds < 128; rounds++) {
		ssize_t n = read(l->pipe_fd, in, sizeof(in));
		if (n == 0)
			return 1;
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : 1;
		/* the time the supervisor read the line: within a poll wake-up
		 * of when it was written */
		time_prefix(stamp);
		size_t o = 0;
		for (ssize_t i = 0; i < n; i++) {
			if (o + SERVICE_LOG_TIME_LEN + 2 > sizeof(out)) {
				log_append(l, out, o);
				o = 0;
			}
			if (!l->mid_line) {
				memcpy(out + o, stamp, SERVICE_LOG_TIME_LEN + 1);
				o += SERVICE_LOG_TIME_LEN + 1;
			}
			out[o++] = in[i];
			l->mid_line = in[i] != '\n';
		}
		log_append(l, out, o);
	}
	return 0;
}

void log_sink_close(struct log_sink *l)
{
	if (l->pipe_fd >= 0)
		close(l->pipe_fd);
	if (l->file_fd >= 0)
		close(l->file_fd);
	memset(l, 0, sizeof(*l));
	l->pipe_fd = l->file_fd = -1;
}

bool service_log_file_id(const char *name, char *id, size_t id_len, char *group, size_t group_len)
{
	const char *dot = strstr(name, ".log");

	if (dot == NULL || dot == name || (size_t)(dot - name) >= id_len ||
	    (strcmp(dot, ".log") != 0 && strcmp(dot, ".log.1") != 0 && strcmp(dot, ".log.2") != 0))
		return false;
	snprintf(id, id_len, "%.*s", (int)(dot - name), name);
	snprintf(group, group_len, "%s", id);
	char *r = strrchr(group, '.');
	if (r && r[1] == 'r' && r[2] && strspn(r + 2, "0123456789") == strlen(r + 2))
		*r = '\0';
	return true;
}

/* The tail of DIR/ID.log into buf (NUL-terminated); its length, -1 if none. */
static ssize_t read_tail(const char *root, const char *service, const char *id, char *buf, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + STATE_ID_MAX + 16];
	struct stat sb;

	if (service_log_dir(dir, sizeof(dir), root, service) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.log", dir, id);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	off_t from = fstat(fd, &sb) == 0 && sb.st_size > (off_t)len - 1 ? sb.st_size - (off_t)(len - 1) : 0;
	ssize_t n = pread(fd, buf, len - 1, from);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int service_log_last_line(const char *root, const char *service, const char *id, const char *since, char *out,
			  size_t len)
{
	char buf[4096];
	ssize_t n = read_tail(root, service, id, buf, sizeof(buf));

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n <= 0)
		return -1;
	char *line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	/* every line starts with the time the supervisor read it; a log
	 * outlives its version, and an id can be used again */
	if (strlen(line) <= SERVICE_LOG_TIME_LEN || line[SERVICE_LOG_TIME_LEN] != ' ')
		return -1;
	if (since && strncmp(line, since, 19) < 0)
		return -1;
	line += SERVICE_LOG_TIME_LEN + 1;
	snprintf(out, len, "%s", line);
	return 0;
}
