/* swap_record: the persisted state of a swap (ROOT/.services/NAME/swap.json),
 * written atomically at every step so that a later zrun can finish or undo
 * a swap whose zrun died. Owns the one typed table of swap states: the
 * names written are the names read, and a name not in it is an error. */
#ifndef ZRUN_SWAP_RECORD_H
#define ZRUN_SWAP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

#define SWAP_CANARY_STEPS_MAX 10

enum swap_state {
	SWAP_CREATED,
	SWAP_STARTING,
	SWAP_PROBING,
	SWAP_READY,
	SWAP_CANARY,    /* NEW ready and given a share, OLD serving the rest: rests here */
	SWAP_DRAINING,
	SWAP_DONE,
	SWAP_ABORTED,
	SWAP_STATE_COUNT
};

/* The name of a state, as written in the record and shown to users. */
const char *swap_state_name(enum swap_state s);
/* The state of a name; -1 with "NAME is not a swap state (created, ...)"
 * for any other. */
int swap_state_parse(const char *name, enum swap_state *s, struct zrun_error *err);

struct swap_record {
	/* what the user swapped: two version ids, or two replica groups */
	char old_name[STATE_ID_MAX + 1], new_name[STATE_ID_MAX + 1];
	char **old_ids, **new_ids;  /* the containers of each side (NULL-terminated) */
	size_t n_old, n_new;
	enum swap_state state;
	pid_t pid;                  /* the zrun that runs the swap */
	unsigned long long pid_start;
	bool keep_old;
	bool group;                 /* the names are replica groups (zrun deploy) */
	char reason[512];
	/* a canary (swap --canary): NEW's share of new connections now, in
	 * percent, and the shares still to come, one each step_ms (100: promote) */
	unsigned canary_percent;
	unsigned canary_steps[SWAP_CANARY_STEPS_MAX];
	size_t n_canary_steps;
	long step_ms;
	long long step_at_ms;       /* CLOCK_REALTIME ms of the last share change */
};

/* A canary's shares: "10%" or steps "10%,50%,100%": each from 1 to 99
 * percent, rising, the last of several may be 100 (promote). 0, or -1
 * with err saying what is wrong with which. */
int swap_canary_parse(const char *arg, unsigned *percent, size_t *n, struct zrun_error *err);
/* The share after the record's current one in its steps, 0 when none
 * (a single share, or the last step reached). */
unsigned swap_canary_next_share(const struct swap_record *r);
/* Steps (several shares) go with a step time (--step), and only they. */
int swap_canary_steps_check(size_t n, long step_ms, struct zrun_error *err);
/* The shares as the user writes them ("10%,50%,100%"). */
void swap_canary_format(const unsigned *percent, size_t n, char *buf, size_t len);

/* Write the record (0600, atomically). */
int swap_record_write(const char *root, const char *service, const struct swap_record *r,
		      struct zrun_error *err);

/* Read the record: 1 when read, 0 when there is none, -1 when it cannot
 * be read or names an unknown state (err says which). A record of an
 * older zrun has no member lists: a group record's members are found by
 * their group, a 1 -> 1 record's are its two ids. */
int swap_record_read(const char *root, const char *service, struct swap_record *r, struct zrun_error *err);

/* Free the member lists. */
void swap_record_clear(struct swap_record *r);

/* An abort of a canary under way or killed (swap_canary_abort): the record
 * left "canary" for "ready" and keeps the canary's share. */
bool swap_record_canary_aborting(const struct swap_record *r);

/* The zrun that wrote r still runs: its pid, started when the record says
 * (a reused pid is not it). */
bool swap_record_owner_alive(const struct swap_record *r);

/* true when r is the end of a canary that died before it was over: an
 * abort (zrun abort, rollback, swap --abort, the watcher's; NEW may still
 * run, holding no slot) or a promote (zrun promote, the last step; OLD out
 * of the slots, maybe still draining). swap_repair undoes the one and
 * finishes the other; the supervisor has the canary's watcher do it. */
bool swap_canary_end_died(const struct swap_record *r);

/* The containers of a replica group (sorted ids; service_free_ids them). */
void swap_group_members(const char *root, const char *service, const char *group, char ***ids, size_t *n);

#endif
