/* swap: replace a running version of a service by another with no refused
 * connection. An explicit state machine, written to the service dir at
 * every step (created -> starting -> probing -> ready -> draining -> done,
 * or aborted), so a later zrun can see where a killed swap stopped and
 * finish it (from draining on: NEW is ready) or undo it (before: OLD was
 * never signalled). Invariant: a ready version accepts at every instant. */
#ifndef ZRUN_SWAP_H
#define ZRUN_SWAP_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

struct swap_opts {
	const char *root;
	const char *old_id, *new_id;
	long timeout_ms;        /* whole swap deadline (default 2 min) */
	long grace_ms;          /* < 0: OLD's own grace period */
	bool keep_old;
	bool wait;              /* wait for another swap of the service instead of failing */
	bool json;              /* one JSON object per step */
	FILE *out;
};

int swap_run(const struct swap_opts *o, struct zrun_error *err);

/* Finish or undo a swap of the service whose zrun process died. Prints
 * what it did to out (may be NULL). 0 when nothing was left to do. */
int swap_repair(const char *root, const char *service, FILE *out, bool json, struct zrun_error *err);

/* The last swap record of a service as one line ("api-v1 -> api-v2: done"),
 * or NULL when there is none. malloc'd. */
char *swap_describe(const char *root, const char *service);

#endif
