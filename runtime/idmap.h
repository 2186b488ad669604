/* idmap: the uid_map / gid_map text of a new user namespace, checked against
 * the kernel's limits and written in one write(2). The one writer for a
 * container's own user namespace (linux.uidMappings) and for the throwaway
 * user namespace of an idmapped mount (mounts[].uidMappings). */
#ifndef ZRUN_IDMAP_H
#define ZRUN_IDMAP_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* The kernel's map_write() takes at most UID_GID_MAP_MAX_EXTENTS (340)
 * lines, written at once in fewer than PAGE_SIZE bytes (4096 on x86-64 and
 * the smallest page any Linux port has). */
#define IDMAP_MAX_LINES 340
#define IDMAP_MAX_BYTES 4095

/* Formats N mappings as map text into BUF (LEN bytes, NUL-terminated);
 * returns the text's length, or -1 with an error naming WHAT (the JSON
 * path, "linux.uidMappings") when the kernel would refuse it as too long
 * or the text does not fit BUF. */
ssize_t idmap_format(const struct spec_id_mapping *m, size_t n, const char *what, char *buf,
		     size_t len, struct zrun_error *err);

/* 0 when N mappings fit the kernel's limits, else -1 naming WHAT: for
 * validating config.json before anything is created. */
int idmap_check(const struct spec_id_mapping *m, size_t n, const char *what, struct zrun_error *err);

/* Writes the mappings to /proc/PID/FILE ("uid_map" or "gid_map"). */
int idmap_write(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
		const char *what, struct zrun_error *err);

#endif
