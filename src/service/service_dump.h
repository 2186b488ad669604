/* service_dump: `zrun service save` writes what runs (each deployed
 * service: listeners, bundle, settings, replicas, current version) to a
 * file; `zrun service restore` brings those services back (listeners,
 * supervisor, replicas started and probed ready), as at boot. pm2's save and
 * resurrect. */
#ifndef ZRUN_SERVICE_DUMP_H
#define ZRUN_SERVICE_DUMP_H

#include <stdio.h>

#include "error.h"

/* file NULL: ROOT/services.json */
int service_dump_save(const char *root, const char *file, FILE *out, struct zrun_error *err);
int service_dump_restore(const char *root, const char *file, FILE *out, struct zrun_error *err);

#endif
