#include "version_index.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "service.h"

/* File times come from the kernel's coarse clock: a directory changed in
 * the same tick as our last look keeps the mtime we saw. A root changed
 * less than this long ago is read again (git's "racy" index entries). */
#define RACY_MS 1000
/* An id deleted and made again by another service between two looks can
 * get the same inode number back (ext4 reuses them): every state is read
 * again this often all the same. */
#define FULL_EVERY_MS 300000

struct entry {
	char *id;
	ino_t ino;      /* its directory: a recreated id is another one */
	bool known;     /* its state was read (a create in progress has none yet) */
	bool ours;
};

struct version_index {
	char root[PATH_MAX], service[SERVICE_NAME_MAX];
	struct entry *e;
	size_t n;
	struct timespec mtime;  /* of the root when e was read */
	long full_ms;           /* when every state was last read */
	bool valid;             /* e is the whole root (every entry known) */
};

struct version_index *version_index_new(const char *root, const char *service)
{
	struct version_index *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	snprintf(x->root, sizeof(x->root), "%s", root);
	snprintf(x->service, sizeof(x->service), "%s", service);
	return x;
}

static void free_entries(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].id);
	free(e);
}

void version_index_free(struct version_index *x)
{
	if (x == NULL)
		return;
	free_entries(x->e, x->n);
	free(x);
}

void version_index_forget(struct version_index *x)
{
	free_entries(x->e, x->n);
	x->e = NULL;
	x->n = 0;
	x->valid = false;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
}

static const struct entry *find(const struct version_index *x, const char *id)
{
	struct entry key = { .id = (char *)id };

	return x->n ? bsearch(&key, x->e, x->n, sizeof(*x->e), cmp_entry) : NULL;
}

/* Whose version the container id is: known false when its state cannot be
 * read now (being created, or removed under us): asked again next time. */
static void classify(const struct version_index *x, struct entry *e)
{
	struct container_state st;
	struct version_config vc;
	struct zrun_error ignored;

	e->known = e->ours = false;
	if (state_read(x->root, e->id, &st, &ignored) < 0)
		return;
	e->known = true;
	e->ours = version_config_from_state(&st, &vc) == 0 && strcmp(vc.service, x->service) == 0;
	state_clear(&st);
}

/* Read the root's entries again; a state only for an entry not known
 * before with the same directory. */
static int refresh(struct version_index *x, const struct timespec *mtime, struct zrun_error *err)
{
	DIR *d = opendir(x->root);   /* glibc opens it O_CLOEXEC */
	struct entry *e = NULL;
	size_t n = 0, cap = 0;
	bool all_known = true;
	struct dirent *de;

	if (d == NULL)
		return zrun_error_set(err, errno, "open root %s", x->root);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (n == cap) {
			struct entry *grown = realloc(e, (cap = cap ? cap * 2 : 64) * sizeof(*e));
			if (grown == NULL)
				goto oom;
			e = grown;
		}
		const struct entry *old = find(x, de->d_name);
		e[n] = (struct entry){ .id = strdup(de->d_name), .ino = de->d_ino };
		if (e[n].id == NULL)
			goto oom;
		if (old && old->known && old->ino == de->d_ino) {
			e[n].known = true;
			e[n].ours = old->ours;
		} else {
			classify(x, &e[n]);
		}
		all_known &= e[n].known;
		n++;
	}
	closedir(d);
	if (n)
		qsort(e, n, sizeof(*e), cmp_entry);
	free_entries(x->e, x->n);
	x->e = e;
	x->n = n;
	x->mtime = *mtime;
	x->valid = all_known;
	return 0;
oom:
	closedir(d);
	free_entries(e, n);
	return zrun_error_set(err, ENOMEM, "read root %s", x->root);
}

static bool unchanged(const struct version_index *x, const struct timespec *mtime)
{
	struct timespec now;
	long age_ms;

	if (!x->valid || mtime->tv_sec != x->mtime.tv_sec || mtime->tv_nsec != x->mtime.tv_nsec)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	age_ms = (now.tv_sec - mtime->tv_sec) * 1000 + (now.tv_nsec - mtime->tv_nsec) / 1000000;
	return age_ms >= RACY_MS;
}

int version_index_ids(struct version_index *x, char ***ids, size_t *n, struct zrun_error *err)
{
	struct stat st;

	*ids = NULL;
	*n = 0;
	if (now_ms() - x->full_ms >= FULL_EVERY_MS) {
		version_index_forget(x);
		x->full_ms = now_ms();
	}
	if (stat(x->root, &st) < 0) {
		if (errno != ENOENT)
			return zrun_error_set(err, errno, "root %s", x->root);
		version_index_forget(x);
	} else if (!unchanged(x, &st.st_mtim) && refresh(x, &st.st_mtim, err) < 0) {
		return -1;
	}
	*ids = calloc(x->n + 1, sizeof(char *));
	if (*ids == NULL)
		return zrun_error_set(err, ENOMEM, "versions of %s", x->service);
	for (size_t i = 0; i < x->n; i++) {
		if (!x->e[i].ours)
			continue;
		if (((*ids)[*n] = strdup(x->e[i].id)) == NULL) {
			service_free_ids(*ids, *n);
			*ids = NULL;
			*n = 0;
			return zrun_error_set(err, ENOMEM, "versions of %s", x->service);
		}
		(*n)++;
	}
	return 0;
}
