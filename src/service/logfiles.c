#include "logfiles.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service.h"
#include "service_log.h"

#define PRUNE_FILES_MAX 1024   /* log files looked at per prune */

struct log_file {
	char name[STATE_ID_MAX + 16];  /* ID.log, ID.log.1, ID.log.2 */
	char group[STATE_ID_MAX + 1];  /* the version: ID without a replica's .rN */
	long long mtime_ns;            /* ns: many swaps fit in one second */
	bool live;                     /* ID is a container of the service */
};

/* The newest change of any file of group g among the not-live files. */
static long long group_mtime(const struct log_file *f, size_t n, const char *g)
{
	long long t = 0;

	for (size_t i = 0; i < n; i++)
		if (!f[i].live && strcmp(f[i].group, g) == 0 && f[i].mtime_ns > t)
			t = f[i].mtime_ns;
	return t;
}

void logfiles_prune(const char *root, const char *service, int keep_versions)
{
	char dir[PATH_MAX], id[STATE_ID_MAX + 1], **ids = NULL;
	size_t n = 0, nids = 0;
	struct zrun_error ignored;
	struct log_file *f = calloc(PRUNE_FILES_MAX, sizeof(*f));

	if (f == NULL || service_log_dir(dir, sizeof(dir), root, service) < 0 ||
	    service_versions(root, service, &ids, &nids, &ignored) < 0) {
		free(f);
		return;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	struct stat sb;
	while (d && n < PRUNE_FILES_MAX && (de = readdir(d)) != NULL) {
		struct log_file *l = &f[n];
		if (strlen(de->d_name) >= sizeof(l->name) ||
		    !service_log_file_id(de->d_name, id, sizeof(id), l->group, sizeof(l->group)) ||
		    fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		snprintf(l->name, sizeof(l->name), "%s", de->d_name);
		l->mtime_ns = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
		for (size_t j = 0; j < nids && !l->live; j++)
			l->live = strcmp(ids[j], id) == 0;
		n++;
	}
	/* A replaced version goes when keep_versions replaced versions have
	 * logged since it last did (pm2 keeps a bounded number of rotated
	 * files, the same idea): the log dir stays bounded however many swaps
	 * the service sees, and a version that failed its deploy is still
	 * there to read. */
	for (size_t i = 0; i < n; i++) {
		if (f[i].live)
			continue;
		long long mine = group_mtime(f, n, f[i].group);
		int newer = 0;
		for (size_t j = 0; j < n; j++) {
			bool first = true;  /* count each other group once */
			for (size_t k = 0; k < j && first; k++)
				first = f[k].live || strcmp(f[k].group, f[j].group) != 0;
			if (!f[j].live && first && strcmp(f[j].group, f[i].group) != 0 &&
			    group_mtime(f, n, f[j].group) > mine)
				newer++;
		}
		if (newer >= keep_versions)
			unlinkat(dfd, f[i].name, 0);
	}
	if (d)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	service_free_ids(ids, nids);
	free(f);
}
