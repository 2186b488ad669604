/* swap_members: what the swap engine (swap.c) does to the containers of
 * one side of a swap, all of them at once: start the created ones, probe
 * them all ready together, stop and drain them together, remove them. One
 * poll loop per wait, over the members' pidfds; no threads. While a wait
 * lasts over a second, it says so (event "waiting"), once a second. */
#ifndef ZRUN_SWAP_MEMBERS_H
#define ZRUN_SWAP_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Where progress goes: out (NULL: nowhere), text or JSON (event.h). */
struct swap_say {
	FILE *out;
	bool json;
	bool progress;  /* a "waiting" line each second a wait lasts */
	long t0;        /* CLOCK_MONOTONIC ms when the command began */
};

/* Whether waits say so: always in JSON (a script reads events), in text
 * only on a terminal (a log file gets no line per second). */
bool swap_say_progress(FILE *out, bool json);

/* The members of one side: loaded with their settings, then started and
 * probed. */
struct swap_members;

struct swap_members *swap_members_load(const char *root, char **ids, size_t n, struct zrun_error *err);
void swap_members_free(struct swap_members *m);
/* Members proven ready by swap_members_probe get no connection from it:
 * a canary gives them their share itself (steer_service_split). */
void swap_members_unserved(struct swap_members *m);
/* true when one of them is only created (start has work to do). */
bool swap_members_any_created(const struct swap_members *m);
/* Start at most n of the created ones at once (0: all, the default): the
 * others start one by one as started ones are proven ready, so that R
 * starting replicas do not take the CPU from the versions serving
 * (deploy --max-starting). */
void swap_members_max_starting(struct swap_members *m, size_t n);
/* Bind each notify socket (before its version starts, so that no READY=1
 * is lost), then start the created ones (up to max_starting; probe starts
 * the rest). */
int swap_members_start(struct swap_members *m, const struct swap_say *say, struct zrun_error *err);
/* Probe all until each is ready (Kubernetes thresholds, each on its own
 * schedule), within timeout_ms of say->t0: the timeout bounds the whole
 * command. label names the side in progress lines. -1 with err: which one
 * failed and why. */
int swap_members_probe(struct swap_members *m, const char *label, long timeout_ms, const struct swap_say *say,
		       struct zrun_error *err);

/* Watch members that serve (a canary's NEW): wait up to wait_ms, waking
 * when one exits, and probe each whose period is due. 0 while all are
 * well; -1 with reason (its id first) when one exited or failed its probe
 * failure_threshold times in a row. */
int swap_members_watch(struct swap_members *m, long wait_ms, char *reason, size_t len);

/* Stop ids together: mark each stopping, send each running one its stop
 * signal, wait for all up to grace_ms (< 0: each its own grace period),
 * then SIGKILL what is left of each cgroup. One created and never started
 * is killed at once: nothing ran in it to drain. keep (the versions that
 * take over) must stay ready: -1 (nothing done, why says which) when one is
 * not before the signals, 1 (the rest not SIGKILLed) when one goes during
 * the drain. */
int swap_members_stop(const char *root, char **ids, size_t n, long grace_ms, char **keep, size_t n_keep,
		      const struct swap_say *say, char *why, size_t len);

/* Stop ids together (2 s, a never-started one at once) and delete them. */
void swap_members_remove(const char *root, char **ids, size_t n, const struct swap_say *say);

/* Start one created version and probe it ready within timeout_ms. */
int swap_start_and_probe(const char *root, const char *id, long timeout_ms, FILE *out, bool json,
			 struct zrun_error *err);

#endif
