/* The two walks of a record table (record.h). */
#include "record.h"

#include <stdlib.h>
#include <string.h>

void record_write(struct json_writer *w, const struct record_field *fields, const void *obj)
{
	const char *base = obj;

	json_w_object_begin(w);
	for (const struct record_field *f = fields; f->key; f++) {
		const void *p = base + f->offset;
		json_w_key(w, f->key);
		switch (f->type) {
		case REC_STRING: json_w_string(w, p); break;
		case REC_INT: json_w_int(w, *(const int *)p); break;
		case REC_LONG: json_w_int(w, *(const long *)p); break;
		case REC_ULONG: json_w_uint(w, *(const unsigned long *)p); break;
		case REC_U64: json_w_uint(w, *(const unsigned long long *)p); break;
		case REC_BOOL: json_w_bool(w, *(const bool *)p); break;
		case REC_ENUM: json_w_string(w, f->names[*(const int *)p]); break;
		case REC_OBJECT: record_write(w, f->fields, p); break;
		case REC_CUSTOM: f->write(w, obj); break;
		}
	}
	json_w_object_end(w);
}

static int read_enum(struct json_ctx *c, yajl_val tree, const struct record_field *f, int *out)
{
	char *s = NULL;
	int r = json_get_string(c, tree, f->key, &s);

	if (r != 1)
		return r;
	for (int i = 0; f->names[i]; i++)
		if (strcmp(s, f->names[i]) == 0) {
			*out = i;
			free(s);
			return 1;
		}
	free(s);
	return json_fail_key(c, f->key, "unknown value");
}

static int read_string(struct json_ctx *c, yajl_val tree, const struct record_field *f, char *out)
{
	char *s = NULL;
	int r = json_get_string(c, tree, f->key, &s);

	if (r == 1 && strlen(s) >= f->size)
		r = json_fail_key(c, f->key, "longer than %zu bytes", f->size - 1);
	else if (r == 1)
		memcpy(out, s, strlen(s) + 1);
	free(s);
	return r;
}

static int read_field(struct json_ctx *c, yajl_val tree, const struct record_field *f, void *obj)
{
	void *p = (char *)obj + f->offset;
	int64_t n = 0;
	uint64_t u = 0;
	yajl_val sub;
	int r;

	switch (f->type) {
	case REC_STRING: return read_string(c, tree, f, p);
	case REC_INT:
	case REC_LONG:
		if ((r = json_get_int(c, tree, f->key, f->min, f->max, &n)) == 1) {
			if (f->type == REC_INT)
				*(int *)p = (int)n;
			else
				*(long *)p = (long)n;
		}
		return r;
	case REC_ULONG:
	case REC_U64:
		r = json_get_uint(c, tree, f->key, f->type == REC_ULONG ? (uint64_t)f->max : UINT64_MAX, &u);
		if (r == 1 && f->type == REC_ULONG)
			*(unsigned long *)p = (unsigned long)u;
		else if (r == 1)
			*(unsigned long long *)p = u;
		return r;
	case REC_BOOL: return json_get_bool(c, tree, f->key, p);
	case REC_ENUM: return read_enum(c, tree, f, p);
	case REC_OBJECT:
		if ((r = json_get_object(c, tree, f->key, &sub)) != 1)
			return r;
		size_t saved = json_path_key(c, f->key);
		r = record_read(c, sub, f->fields, p);
		json_path_restore(c, saved);
		return r < 0 ? -1 : 1;
	case REC_CUSTOM:
		sub = json_obj_get(tree, f->key);
		if (sub == NULL || YAJL_IS_NULL(sub))
			return 0;
		size_t at = json_path_key(c, f->key);
		r = f->read(c, sub, obj);
		json_path_restore(c, at);
		return r < 0 ? -1 : 1;
	}
	return 0;
}

int record_read(struct json_ctx *c, yajl_val tree, const struct record_field *fields, void *obj)
{
	if (!YAJL_IS_OBJECT(tree))
		return json_fail(c, "expected an object");
	for (const struct record_field *f = fields; f->key; f++)
		if (read_field(c, tree, f, obj) < 0)
			return -1;
	return 0;
}
