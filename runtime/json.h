/* json: the bounded front door to yajl, typed readers that name the JSON
 * path of a bad value ("mounts[2].destination: ..."), and a small writer.
 * Every document zrun reads goes through json_parse(): size and nesting are
 * capped before yajl sees a byte, since yajl is unmaintained
 * (CVE-2022-24795, CVE-2023-33460) and frees its tree recursively. */
#ifndef ZRUN_JSON_H
#define ZRUN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "error.h"

/* ---- bounded input ---- */

/* Refuse len > max_bytes, NUL bytes, a \u0000 escape in a string (yajl
 * would cut the string there; the message names its JSON path), comments
 * (yajl's tree API accepts them, and a comment holding a quote would blind
 * the nesting count) and nesting deeper than max_depth. Counts [ and {
 * outside strings only. */
int json_check_limits(const char *buf, size_t len, size_t max_bytes, unsigned max_depth,
		      const char *origin, struct zrun_error *err);

/* Read a whole regular file, refusing more than max_bytes. *buf is
 * malloc'd and NUL-terminated (not counted in *len). */
int json_read_file(const char *path, size_t max_bytes, char **buf, size_t *len,
		   struct zrun_error *err);

/* json_check_limits(), then yajl. Returns a tree to yajl_tree_free(), or
 * NULL with err set ("<origin>: invalid JSON: <yajl's message>"). */
yajl_val json_parse(const char *buf, size_t len, size_t max_bytes, unsigned max_depth,
		    const char *origin, struct zrun_error *err);

/* Member of an object; the last one wins when a key repeats, as in Go's
 * encoding/json (what runc does). NULL if absent or obj is no object. */
yajl_val json_obj_get(yajl_val obj, const char *key);

/* ---- typed reading with JSON paths in messages ---- */

#define JSON_PATH_MAX 256

struct json_ctx {
	const char *origin;   /* "bundles/api/config.json" */
	struct zrun_error *err;
	char path[JSON_PATH_MAX];
	size_t path_len;
};

void json_ctx_init(struct json_ctx *c, const char *origin, struct zrun_error *err);

/* Extend the current path; each returns the previous length for restore. */
size_t json_path_key(struct json_ctx *c, const char *key);
size_t json_path_index(struct json_ctx *c, size_t index);
void json_path_restore(struct json_ctx *c, size_t len);

/* "<origin>: <path>: <message>"; returns -1. */
int json_fail(struct json_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with `key` appended to the path first. */
int json_fail_key(struct json_ctx *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int json_oom(struct json_ctx *c);
/* As zrun_error_set (error.h): the -1 visible where they are called. */
#define json_fail(...) ({ (void)(json_fail)(__VA_ARGS__); -1; })
#define json_fail_key(...) ({ (void)(json_fail_key)(__VA_ARGS__); -1; })
#define json_oom(c) ({ (void)(json_oom)(c); -1; })

/* Readers of the value at the current path. Return 0 or -1 (err set).
 * Integers are read from the number's text, never from yajl's long long,
 * so 1.5 is refused and uint64 values above INT64_MAX are read exactly. */
int json_val_string(struct json_ctx *c, yajl_val v, char **out);
int json_val_bool(struct json_ctx *c, yajl_val v, bool *out);
int json_val_int(struct json_ctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out);
int json_val_uint(struct json_ctx *c, yajl_val v, uint64_t max, uint64_t *out);
int json_val_strv(struct json_ctx *c, yajl_val v, char ***out); /* NULL-terminated */

/* Readers of obj[key], which push key onto the path while reading.
 * Return 1 when read, 0 when absent or null (out untouched), -1 on error. */
int json_get_string(struct json_ctx *c, yajl_val obj, const char *key, char **out);
int json_get_bool(struct json_ctx *c, yajl_val obj, const char *key, bool *out);
int json_get_int(struct json_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max,
		 int64_t *out);
int json_get_uint(struct json_ctx *c, yajl_val obj, const char *key, uint64_t max, uint64_t *out);
int json_get_strv(struct json_ctx *c, yajl_val obj, const char *key, char ***out);
int json_get_object(struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out);
int json_get_array(struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out);

/* Turn a json_get_*() result into 0 or -1, failing with "<key>: is required"
 * when the member was absent: json_require(c, json_get_string(...), "path"). */
int json_require(struct json_ctx *c, int get_result, const char *key);

/* obj[key] as an array of objects, each filled by fn into a zeroed item of
 * item_size bytes. *items and *len are set before the first fn call so the
 * caller can free a partly filled array. Returns 1, 0 (absent) or -1. */
typedef int (*json_item_fn)(struct json_ctx *c, yajl_val elem, void *item);
int json_get_objects(struct json_ctx *c, yajl_val obj, const char *key, size_t item_size,
		     json_item_fn fn, void **items, size_t *len);

void json_strv_free(char **strv);

/* ---- writing ---- */

struct json_buf {
	char *data;           /* NUL-terminated when non-NULL */
	size_t len, cap;
	bool failed;          /* an allocation failed; further appends are no-ops */
};

int json_buf_append(struct json_buf *b, const char *s, size_t n);
int json_buf_printf(struct json_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a quoted JSON string. */
int json_escape(struct json_buf *b, const char *s);
void json_buf_free(struct json_buf *b);

/* A streaming writer, the one zrun writes JSON with. With pretty set,
 * output is indented as Go's json.MarshalIndent(v, "", indent) writes it:
 * tabs from json_w_init (what `runc spec` prints), or the indent given to
 * json_w_init_indent ("  ": what `runc state` prints). */
struct json_writer {
	struct json_buf buf;
	bool pretty;
	const char *indent;
	bool after_key;
	unsigned depth;
	uint64_t has_items;   /* bit d: the container at depth d has an element */
};

void json_w_init(struct json_writer *w, bool pretty);
void json_w_init_indent(struct json_writer *w, const char *indent);
void json_w_object_begin(struct json_writer *w);
void json_w_object_end(struct json_writer *w);
void json_w_array_begin(struct json_writer *w);
void json_w_array_end(struct json_writer *w);
void json_w_key(struct json_writer *w, const char *key);
void json_w_string(struct json_writer *w, const char *s);
void json_w_int(struct json_writer *w, int64_t v);
void json_w_uint(struct json_writer *w, uint64_t v);
void json_w_bool(struct json_writer *w, bool v);
void json_w_strv(struct json_writer *w, const char *const *strv); /* array of strings */
void json_w_null(struct json_writer *w);
/* A key and its value, for the objects written one member at a time. */
void json_w_kv_string(struct json_writer *w, const char *key, const char *s);
void json_w_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_w_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_w_kv_bool(struct json_writer *w, const char *key, bool v);
/* A value that is JSON text already, written as it is: a number's text
 * as yajl read it, or a compact document this writer made. */
void json_w_raw(struct json_writer *w, const char *json);
/* The document (malloc'd, caller frees), or NULL if anything failed. */
char *json_w_finish(struct json_writer *w);

#endif
