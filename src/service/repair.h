/* repair: `zrun service repair NAME`, the one command that puts right
 * whatever a killed zrun left of a service: a swap stopped mid-way
 * (finished or undone, swap.c), a service with no version left (a create
 * or delete killed mid-way: its supervisor stopped, the service removed), a
 * supervisor gone (the listeners recovered from a running version, a new
 * supervisor). `service status` only reports these; swap, deploy, create and
 * delete repair what is in their way themselves. */
#ifndef ZRUN_REPAIR_H
#define ZRUN_REPAIR_H

#include <stdio.h>

#include "error.h"

/* One line per thing done to out; "nothing to repair" when all was well. */
int service_repair(const char *root, const char *name, FILE *out, struct zrun_error *err);

#endif
