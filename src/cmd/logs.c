/* zrun logs SERVICE|ID [-f] [--tail N]: what the supervisor captured of the
 * versions' stdout and stderr (ROOT/.services/NAME/logs/ID.log, .1, .2),
 * each line prefixed with its version's id. -f follows, across swaps:
 * the logs of versions that appear later are followed too. */
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
#include "version.h"

enum { OPT_TAIL = 540 };

struct logs_opts { bool follow; long tail; };

struct followed {
	char name[300];        /* ID.log */
	int fd;
	ino_t ino;
	char partial[4096];    /* a line not ended yet */
	size_t plen;
};

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

/* Print text[0..len) as lines "ID | line"; keeps an unfinished line. */
static void emit(struct followed *f, const char *text, size_t len, const char *id)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' || f->plen == sizeof(f->partial) - 1) {
			printf("%s | %.*s\n", id, (int)f->plen, f->partial);
			f->plen = 0;
			if (text[i] == '\n')
				continue;
		}
		f->partial[f->plen++] = text[i];
	}
}

static void id_of(const char *name, char *id, size_t len)
{
	snprintf(id, len, "%s", name);
	char *dot = strstr(id, ".log");
	if (dot)
		*dot = '\0';
}

/* The last `tail` lines (or all, tail < 0) of ID.log.2, .1 and ID.log. */
static void print_history(const char *dir, const char *name, long tail)
{
	static const char *const suffix[] = { ".2", ".1", "" };
	char path[PATH_MAX + 320], id[300];
	struct followed f = { 0 };
	size_t cap = 1 << 20, len = 0;
	char *all = malloc(cap);

	if (all == NULL)
		return;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;
		while (fd >= 0 && (n = read(fd, all + len, cap - len)) > 0) {
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
	}
	size_t from = 0;
	if (tail == 0) {
		from = len;
	} else if (tail > 0) {
		long lines = 0;
		size_t end = (len && all[len - 1] == '\n') ? len - 1 : len;
		for (size_t i = end; i > 0; i--)
			if (all[i - 1] == '\n' && ++lines == tail) {
				from = i;
				break;
			}
	}
	id_of(name, id, sizeof(id));
	emit(&f, all + from, len - from, id);
	if (f.plen)
		printf("%s | %.*s\n", id, (int)f.plen, f.partial);
	free(all);
}

static bool wanted(const char *name, const char *only)
{
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".log") != 0)
		return false;
	if (only == NULL)
		return true;
	return strncmp(name, only, strlen(only)) == 0 && strcmp(name + strlen(only), ".log") == 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void follow(const char *dir, const char *only)
{
	struct followed files[LOGS_FOLLOW_MAX];
	size_t n = 0;
	char path[PATH_MAX + 320], buf[65536], id[300];

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* what exists now was printed: start at its end */
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < LOGS_FOLLOW_MAX) {
		if (!wanted(de->d_name, only))
			continue;
		struct followed *f = &files[n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat sb;
		if (f->fd >= 0 && fstat(f->fd, &sb) == 0) {
			f->ino = sb.st_ino;
			lseek(f->fd, 0, SEEK_END);
		}
	}
	if (d)
		closedir(d);
	while (!stop) {
		for (size_t i = 0; i < n; i++) {
			struct followed *f = &files[i];
			ssize_t r;
			id_of(f->name, id, sizeof(id));
			while (f->fd >= 0 && (r = read(f->fd, buf, sizeof(buf))) > 0)
				emit(f, buf, (size_t)r, id);
			struct stat sb;
			snprintf(path, sizeof(path), "%s/%s", dir, f->name);
			if (stat(path, &sb) == 0 && sb.st_ino != f->ino) {
				/* rotated: the rest of the old file was read above */
				if (f->fd >= 0)
					close(f->fd);
				f->fd = open(path, O_RDONLY | O_CLOEXEC);
				f->ino = sb.st_ino;
			}
		}
		fflush(stdout);
		/* new versions (a swap, a scale, a deploy) */
		d = opendir(dir);
		while (d && (de = readdir(d)) != NULL && n < LOGS_FOLLOW_MAX) {
			bool known = false;
			for (size_t i = 0; i < n && !known; i++)
				known = strcmp(files[i].name, de->d_name) == 0;
			if (known || !wanted(de->d_name, only))
				continue;
			struct followed *f = &files[n++];
			memset(f, 0, sizeof(*f));
			snprintf(f->name, sizeof(f->name), "%s", de->d_name);
			snprintf(path, sizeof(path), "%s/%s", dir, f->name);
			f->fd = open(path, O_RDONLY | O_CLOEXEC);
			struct stat sb;
			if (f->fd >= 0 && fstat(f->fd, &sb) == 0)
				f->ino = sb.st_ino;
		}
		if (d)
			closedir(d);
		poll(NULL, 0, 200);
	}
	fflush(stdout);
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
	if (service_validate_name(name, &ignored) == 0 && service_exists(ctx->root, name)) {
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
	service_path(dir, sizeof(dir), ctx->root, service, "logs");
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0;
	while (d && (de = readdir(d)) != NULL && n < 256)
		if (wanted(de->d_name, only))
			names[n++] = strdup(de->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (names[i])
			print_history(dir, names[i], o.tail);
		free(names[i]);
	}
	fflush(stdout);
	if (o.follow)
		follow(dir, only);
	return 0;
}

static const struct cli_opt logs_table[] = {
	{ "follow", 'f', no_argument, NULL, "keep printing what the versions write, across swaps, until interrupted" },
	{ "tail", OPT_TAIL, required_argument, "N", "only the last N lines of each version (default all)" },
	{ 0 },
};

const struct command cmd_logs = { .name = "logs", .args = "<service>|<version-id>",
	.summary = "print what a service's versions wrote to stdout and stderr (kept by its supervisor)",
	.opts = logs_table, .run = run_logs };
