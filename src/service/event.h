/* event: the progress lines of swap, group swap, deploy, rollback and
 * scale, and the one place that writes them. Text ("api-v2: ready after 2
 * probes (61 ms)") or, with --format json, one object per line with the
 * fields step, version, elapsed_ms and message (docs/service.md), built by
 * runtime/json.c's writer so that every string is escaped. */
#ifndef ZRUN_EVENT_H
#define ZRUN_EVENT_H

#include <stdbool.h>
#include <stdio.h>

struct event {
	const char *step;       /* "started", "probing", "ready", "draining", ... */
	const char *version;    /* the version (or replica group) the step is about */
	const char *label;      /* what a text line starts with; NULL: version */
	long elapsed_ms;        /* since the command began (0: not timed) */
	const char *message;
};

/* Write one line to out (NULL: nowhere) and flush it, so that a script
 * reading the pipe sees each step when it happens. */
void event_write(FILE *out, bool json, const struct event *ev);

/* event_write with a printf-style message (cut at 1 KiB). */
void event_say(FILE *out, bool json, const char *step, const char *version, long elapsed_ms,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The JSON form of ev, without a newline (malloc'd), or NULL when out of
 * memory. */
char *event_json(const struct event *ev);

#endif
