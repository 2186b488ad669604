/* zrun logs SERVICE|ID [-f] [--tail N]: what the supervisor captured of the
 * versions' stdout and stderr (ID.log, .1, .2 in the service's log dir,
 * service_log.h), one line "TIME ID | text", the lines of all versions in
 * time order. --tail N: the service's last N lines. -f follows, across
 * swaps: the logs of versions that appear later are followed too. The logs
 * outlive the service (a deploy that failed and removed it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "service.h"
#include "service_log.h"
#include "version.h"

enum { OPT_TAIL = 540 };

struct logs_opts { bool follow; long tail; };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct logs_opts *o = data;
	char *end;

	if (key == 'f') {
		o->follow = true;
	} else if (key == OPT_TAIL) {
		o->tail = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || o->tail < 0)
			return zrun_error_set(&ctx->err, 0, "logs: --tail \"%s\": expected a number of lines", arg);
	}
	return 0;
}

/* Whether a line starts with the supervisor's "2026-12-06T23:24:00.123Z ". */
static bool has_time(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";

	if (len < sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

/* "TIME ID | text"; a line without a time (written by `zrun service
 * restart` for a restart, or before logs had times) takes `time`. */
static void print_line(const char *id, const char *s, size_t len, const char *time)
{
	if (has_time(s, len)) {
		time = s;
		s += SERVICE_LOG_TIME_LEN + 1;
		len -= SERVICE_LOG_TIME_LEN + 1;
	}
	if (time)
		printf("%.*s ", SERVICE_LOG_TIME_LEN, time);
	printf("%s | %.*s\n", id, (int)len, s);
}

/* ---- history: every version's files, merged in time order ---- */

struct log_line {
	const char *text;       /* the whole line, its time first when it has one */
	size_t len;
	const char *time;       /* its own, or the last one before it in its file */
	size_t version, seq;    /* ties: by version, then as written */
};

struct history {
	char **buf;             /* per version: ID.log.2, .1 and ID.log, in that order */
	char (*id)[STATE_ID_MAX + 1];
	size_t n;
	struct log_line *lines;
	size_t nlines, cap;
};

static char *read_version(const char *dir, const char *id, size_t *len_out)
{
	static const char *const suffix[] = { ".log.2", ".log.1", ".log" };
	char path[PATH_MAX + STATE_ID_MAX + 16];
	size_t cap = 1 << 16, len = 0;
	char *all = malloc(cap);

	for (int i = 0; all && i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, id, suffix[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t n = 0;
		while (fd >= 0 && all && (n = read(fd, all + len, cap - len)) > 0) {
			len += (size_t)n;
			if (len == cap) {
				char *bigger = realloc(all, cap * 2);
				if (bigger == NULL)
					break;
				all = bigger;
				cap *= 2;
			}
		}
		if (fd >= 0)
			close(fd);
		/* a rotation may cut a line: never join it to the next file's */
		if (len && all[len - 1] != '\n' && len < cap)
			all[len++] = '\n';
	}
	*len_out = len;
	return all;
}

static int add_lines(struct history *h, size_t v, const char *all, size_t len)
{
	const char *time = NULL;
	size_t seq = 0;

	for (size_t start = 0; start < len;) {
		const char *nl = memchr(all + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - all) : len;
		if (h->nlines == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 4096;
			struct log_line *more = realloc(h->lines, cap * sizeof(*more));
			if (more == NULL)
				return -1;
			h->lines = more;
			h->cap = cap;
		}
		if (has_time(all + start, end - start))
			time = all + start;
		h->lines[h->nlines++] = (struct log_line){ .text = all + start, .len = end - start, .time = time,
							   .version = v, .seq = seq };
		seq++;
		start = end + 1;
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct log_line *x = a, *y = b;
	int c = (x->time && y->time) ? memcmp(x->time, y->time, SERVICE_LOG_TIME_LEN) : (x->time != NULL) - (y->time != NULL);

	if (c)
		return c;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The versions with a log in dir (only one: `only`), as ID.log names them. */
static size_t version_ids(const char *dir, const char *only, char (*ids)[STATE_ID_MAX + 1], size_t max)
{
	char group[STATE_ID_MAX + 1];
	size_t n = 0, l;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL && n < max) {
		l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".log") != 0 ||
		    !service_log_file_id(de->d_name, ids[n], sizeof(ids[n]), group, sizeof(group)))
			continue;
		if (only == NULL || strcmp(ids[n], only) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void print_history(const char *dir, const char *only, long tail)
{
	struct history h = { 0 };

	h.id = calloc(LOGS_FOLLOW_MAX, sizeof(*h.id));
	h.buf = calloc(LOGS_FOLLOW_MAX, sizeof(*h.buf));
	if (h.id && h.buf)
		h.n = version_ids(dir, only, h.id, LOGS_FOLLOW_MAX);
	for (size_t v = 0; v < h.n; v++) {
		size_t len = 0;
		h.buf[v] = read_version(dir, h.id[v], &len);
		if (h.buf[v] && add_lines(&h, v, h.buf[v], len) < 0)
			break;
	}
	if (h.nlines > 0)
		qsort(h.lines, h.nlines, sizeof(*h.lines), by_time);
	size_t from = (tail >= 0 && (size_t)tail < h.nlines) ? h.nlines - (size_t)tail : 0;
	for (size_t i = from; i < h.nlines; i++)
		print_line(h.id[h.lines[i].version], h.lines[i].text, h.lines[i].len, h.lines[i].time);
	for (size_t v = 0; v < h.n; v++)
		free(h.buf[v]);
	free(h.buf);
	free(h.id);
	free(h.lines);
}

/* ---- follow ---- */

struct followed {
	char id[STATE_ID_MAX + 1];
	int fd;
	ino_t ino;
	char partial[4096];    /* a line not ended yet */
	size_t plen;
};

/* Print text[0..len) as lines; keeps an unfinished line. */
static void emit(struct followed *f, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' || f->plen == sizeof(f->partial) - 1) {
			print_line(f->id, f->partial, f->plen, NULL);
			f->plen = 0;
			if (text[i] == '\n')
				continue;
		}
		f->partial[f->plen++] = text[i];
	}
}

/* Open DIR/ID.log; from its end when it was printed already. */
static void follow_open(struct followed *f, const char *dir, bool from_end)
{
	char path[PATH_MAX + STATE_ID_MAX + 16];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s.log", dir, f->id);
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f->fd >= 0 && fstat(f->fd, &sb) == 0) {
		f->ino = sb.st_ino;
		if (from_end)
			lseek(f->fd, 0, SEEK_END);
	}
}

/* Versions not followed yet (a swap, a scale, a deploy made them). */
static void follow_new(const char *dir, const char *only, struct followed *files, size_t *n, bool from_end)
{
	char (*ids)[STATE_ID_MAX + 1] = calloc(LOGS_FOLLOW_MAX, sizeof(*ids));
	size_t found = ids ? version_ids(dir, only, ids, LOGS_FOLLOW_MAX) : 0;

	for (size_t k = 0; k < found && *n < LOGS_FOLLOW_MAX; k++) {
		bool known = false;
		for (size_t i = 0; i < *n && !known; i++)
			known = strcmp(files[i].id, ids[k]) == 0;
		if (known)
			continue;
		struct followed *f = &files[(*n)++];
		memset(f, 0, sizeof(*f));
		snprintf(f->id, sizeof(f->id), "%s", ids[k]);
		follow_open(f, dir, from_end);
	}
	free(ids);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void follow(const char *dir, const char *only)
{
	struct followed *files = calloc(LOGS_FOLLOW_MAX, sizeof(*files));
	size_t n = 0;
	char path[PATH_MAX + STATE_ID_MAX + 16], buf[65536];

	if (files == NULL)
		return;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* what exists now was printed: start at its end */
	follow_new(dir, only, files, &n, true);
	while (!stop) {
		for (size_t i = 0; i < n; i++) {
			struct followed *f = &files[i];
			ssize_t r;
			while (f->fd >= 0 && (r = read(f->fd, buf, sizeof(buf))) > 0)
				emit(f, buf, (size_t)r);
			struct stat sb;
			snprintf(path, sizeof(path), "%s/%s.log", dir, f->id);
			if (stat(path, &sb) == 0 && sb.st_ino != f->ino) {
				/* rotated: the rest of the old file was read above */
				if (f->fd >= 0)
					close(f->fd);
				follow_open(f, dir, false);
			}
		}
		fflush(stdout);
		follow_new(dir, only, files, &n, false);
		poll(NULL, 0, 200);
	}
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		if (files[i].fd >= 0)
			close(files[i].fd);
	free(files);
}

static int run_logs(struct cli_ctx *ctx, int argc, char **argv)
{
	struct logs_opts o = { .tail = -1 };
	char dir[PATH_MAX];
	const char *only = NULL;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	const char *name = argv[first];
	char service[SERVICE_NAME_MAX];
	struct zrun_error ignored;
	struct stat sb;
	/* a service, or what is left of one: its logs */
	if (service_validate_name(name, &ignored) == 0 &&
	    (service_exists(ctx->root, name) ||
	     (service_log_dir(dir, sizeof(dir), ctx->root, name) == 0 && stat(dir, &sb) == 0))) {
		snprintf(service, sizeof(service), "%s", name);
	} else {
		struct container_state st;
		struct version_config vc;
		if (version_load(ctx->root, name, &st, &vc, &ignored) < 0)
			return zrun_error_set(&ctx->err, 0, "logs: %s is neither a service nor a version of one", name);
		snprintf(service, sizeof(service), "%s", vc.service);
		state_clear(&st);
		only = name;
	}
	if (service_log_dir(dir, sizeof(dir), ctx->root, service) < 0)
		return zrun_error_set(&ctx->err, ENAMETOOLONG, "logs: %s: log dir", name);
	print_history(dir, only, o.tail);
	fflush(stdout);
	if (o.follow)
		follow(dir, only);
	return 0;
}

static const struct cli_opt logs_table[] = {
	{ "follow", 'f', no_argument, NULL, "keep printing what the versions write, across swaps, until interrupted" },
	{ "tail", OPT_TAIL, required_argument, "N", "only the last N lines of the service (of all its versions, in time order; default all)" },
	{ 0 },
};

const struct command cmd_logs = { .name = "logs", .args = "<service>|<version-id>",
	.summary = "print what a service's versions wrote to stdout and stderr, in time order (kept by its supervisor)",
	.opts = logs_table, .run = run_logs };
