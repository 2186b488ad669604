/* record: a persisted struct described once, as a table of fields (JSON
 * key, type, where it lives in the struct), so that writing and reading
 * share one description and no record is spliced together by hand. Used
 * for service.json and for the "zrun" object of a version's state. */
#ifndef ZRUN_RECORD_H
#define ZRUN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

enum record_type {
	REC_STRING,   /* char[size], NUL-terminated; too long on read: an error */
	REC_INT,      /* int in [min, max] */
	REC_LONG,     /* long in [min, max] */
	REC_ULONG,    /* unsigned long up to max */
	REC_U64,      /* unsigned long long, any */
	REC_BOOL,     /* bool */
	REC_ENUM,     /* an int-sized enum written as names[value] */
	REC_OBJECT,   /* a struct at offset, described by fields */
	REC_CUSTOM,   /* written and read by the two functions */
};

struct record_field {
	const char *key;
	enum record_type type;
	size_t offset;
	size_t size;                        /* REC_STRING: the buffer */
	int64_t min, max;                   /* REC_INT, REC_LONG, REC_ULONG (max) */
	const char *const *names;           /* REC_ENUM: NULL-terminated */
	const struct record_field *fields;  /* REC_OBJECT: {0}-terminated */
	void (*write)(struct json_writer *w, const void *obj);               /* REC_CUSTOM */
	int (*read)(struct json_ctx *c, yajl_val v, void *obj);             /* REC_CUSTOM */
};

#define REC_FIELD_STRING(st, m, k) { .key = (k), .type = REC_STRING, .offset = offsetof(st, m), \
				     .size = sizeof(((st *)0)->m) }
#define REC_FIELD_INT(st, m, k, lo, hi) { .key = (k), .type = REC_INT, .offset = offsetof(st, m), \
					  .min = (lo), .max = (hi) }
#define REC_FIELD_LONG(st, m, k, lo, hi) { .key = (k), .type = REC_LONG, .offset = offsetof(st, m), \
					   .min = (lo), .max = (hi) }
#define REC_FIELD_BOOL(st, m, k) { .key = (k), .type = REC_BOOL, .offset = offsetof(st, m) }

/* Write obj as one JSON object of the fields, in table order. */
void record_write(struct json_writer *w, const struct record_field *fields, const void *obj);
/* Fill obj from the members of tree that the table names: an absent or
 * null member leaves the field as it was (the caller's defaults); a member
 * of the wrong type or out of range fails (c's error names its key). */
int record_read(struct json_ctx *c, yajl_val tree, const struct record_field *fields, void *obj);

#endif
