/* version_index: which containers of a state root are one service's
 * versions, for a process that asks again and again (the supervisor's
 * rescan, once a second). service_versions reads every state.json of the
 * root: N supervisors doing that each second cost N x N reads a second
 * (1,000 services kept 2 cores busy). The index reads the root's
 * directory again only when its mtime changed, and a state.json only for
 * an id it has not seen (or whose directory is a new one). */
#ifndef ZRUN_VERSION_INDEX_H
#define ZRUN_VERSION_INDEX_H

#include <stddef.h>

#include "error.h"

struct version_index;

struct version_index *version_index_new(const char *root, const char *service);
void version_index_free(struct version_index *x);

/* The service's versions now, sorted (free with service_free_ids). */
int version_index_ids(struct version_index *x, char ***ids, size_t *n, struct zrun_error *err);

/* Read every state again at the next call (a rescan asked for). */
void version_index_forget(struct version_index *x);

#endif
