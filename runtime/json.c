#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* ---- bounded input (json_check_limits: json_limits.c) ---- */

static int read_all(int fd, size_t max_bytes, char **buf, size_t *len, const char *path,
		    struct zrun_error *err)
{
	size_t cap = 8192, n = 0;
	char *data = malloc(cap + 1);

	if (data == NULL)
		return zrun_error_set(err, ENOMEM, "%s", path);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap * 2;
			char *p;

			/* One byte past the cap is enough to know it is too big. */
			if (ncap > max_bytes + 1)
				ncap = max_bytes + 1;
			if (ncap <= cap)
				break;
			p = realloc(data, ncap + 1);
			if (p == NULL) {
				free(data);
				return zrun_error_set(err, ENOMEM, "%s", path);
			}
			data = p;
			cap = ncap;
		}
		r = read(fd, data + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(data);
			return zrun_error_set(err, e, "%s: read", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max_bytes) {
		free(data);
		return zrun_error_set(err, 0, "%s: too large (more than %zu bytes)", path, max_bytes);
	}
	data[n] = '\0';
	*buf = data;
	*len = n;
	return 0;
}

int json_read_file(const char *path, size_t max_bytes, char **buf, size_t *len,
		   struct zrun_error *err)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO planted as config.json must not hang us in open(). */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return zrun_error_set(err, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return zrun_error_set(err, errno, "%s: fstat", path);
	if (!S_ISREG(st.st_mode))
		return zrun_error_set(err, 0, "%s: not a regular file", path);
	return read_all(fd, max_bytes, buf, len, path, err);
}

/* yajl's message spans lines (the text and a caret under it): one line. */
static void flatten(char *s)
{
	char *in = s, *out = s;
	bool space = false;

	while (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r')
		in++;
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r') {
			space = true;
			continue;
		}
		if (space)
			*out++ = ' ';
		space = false;
		*out++ = *in;
	}
	*out = '\0';
}

yajl_val json_parse(const char *buf, size_t len, size_t max_bytes, unsigned max_depth,
		    const char *origin, struct zrun_error *err)
{
	char errbuf[512];
	yajl_val tree;
	char *copy;

	if (json_check_limits(buf, len, max_bytes, max_depth, origin, err) < 0)
		return NULL;
	copy = malloc(len + 1);
	if (copy == NULL) {
		zrun_error_set(err, ENOMEM, "%s", origin);
		return NULL;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	errbuf[0] = '\0';
	tree = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	free(copy);
	if (tree == NULL) {
		flatten(errbuf);
		zrun_error_set(err, 0, "%s: invalid JSON: %s", origin,
			       errbuf[0] != '\0' ? errbuf : "parse error");
	}
	return tree;
}

yajl_val json_obj_get(yajl_val obj, const char *key)
{
	size_t i;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = obj->u.object.len; i > 0; i--) {
		if (strcmp(obj->u.object.keys[i - 1], key) == 0)
			return obj->u.object.values[i - 1];
	}
	return NULL;
}

/* ---- paths and messages ---- */

void json_ctx_init(struct json_ctx *c, const char *origin, struct zrun_error *err)
{
	c->origin = origin;
	c->err = err;
	c->path[0] = '\0';
	c->path_len = 0;
}

static size_t path_append(struct json_ctx *c, const char *fmt, const char *key, size_t index)
{
	size_t old = c->path_len, room = sizeof(c->path) - old;
	int n;

	if (key != NULL)
		n = snprintf(c->path + old, room, fmt, key);
	else
		n = snprintf(c->path + old, room, fmt, index);
	if (n < 0)
		n = 0;
	c->path_len = (size_t)n < room ? old + (size_t)n : sizeof(c->path) - 1;
	return old;
}

size_t json_path_key(struct json_ctx *c, const char *key)
{
	return path_append(c, c->path_len == 0 ? "%s" : ".%s", key, 0);
}

size_t json_path_index(struct json_ctx *c, size_t index)
{
	return path_append(c, "[%zu]", NULL, index);
}

void json_path_restore(struct json_ctx *c, size_t len)
{
	if (len < sizeof(c->path)) {
		c->path_len = len;
		c->path[len] = '\0';
	}
}

static int vfail(struct json_ctx *c, const char *fmt, va_list ap)
{
	char msg[ZRUN_ERROR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (c->path_len == 0)
		return zrun_error_set(c->err, 0, "%s: %s", c->origin, msg);
	return zrun_error_set(c->err, 0, "%s: %s: %s", c->origin, c->path, msg);
}

int (json_fail)(struct json_ctx *c, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vfail(c, fmt, ap);
	va_end(ap);
	return r;
}

int (json_fail_key)(struct json_ctx *c, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	json_path_key(c, key);
	va_start(ap, fmt);
	r = vfail(c, fmt, ap);
	va_end(ap);
	return r;
}

int (json_oom)(struct json_ctx *c)
{
	return zrun_error_set(c->err, ENOMEM, "%s", c->origin);
}

/* ---- value readers ---- */

int json_val_string(struct json_ctx *c, yajl_val v, char **out)
{
	char *s;

	if (!YAJL_IS_STRING(v))
		return json_fail(c, "must be a string");
	s = strdup(v->u.string);
	if (s == NULL)
		return json_oom(c);
	*out = s;
	return 0;
}

int json_val_bool(struct json_ctx *c, yajl_val v, bool *out)
{
	if (YAJL_IS_TRUE(v))
		*out = true;
	else if (YAJL_IS_FALSE(v))
		*out = false;
	else
		return json_fail(c, "must be a boolean");
	return 0;
}

/* The number's text when it is an integer literal (no fraction, no
 * exponent: Go's encoding/json refuses 1.0 for an integer field too). */
static const char *integer_text(yajl_val v)
{
	const char *s, *p;

	if (!YAJL_IS_NUMBER(v) || v->u.number.r == NULL)
		return NULL;
	s = v->u.number.r;
	p = (*s == '-') ? s + 1 : s;
	if (*p == '\0')
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return NULL;
	}
	return s;
}

int json_val_int(struct json_ctx *c, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
	const char *s = integer_text(v);
	long long n;

	if (s == NULL)
		return json_fail(c, "must be an integer");
	errno = 0;
	n = strtoll(s, NULL, 10);
	if (errno == ERANGE || n < min || n > max)
		return json_fail(c, "must be an integer between %" PRId64 " and %" PRId64, min, max);
	*out = n;
	return 0;
}

int json_val_uint(struct json_ctx *c, yajl_val v, uint64_t max, uint64_t *out)
{
	const char *s = integer_text(v);
	unsigned long long n;

	if (s == NULL)
		return json_fail(c, "must be an integer");
	errno = 0;
	/* strtoull() would wrap "-1" to ULLONG_MAX: refuse the sign first. */
	n = strtoull(s, NULL, 10);
	if (s[0] == '-' || errno == ERANGE || n > max)
		return json_fail(c, "must be an integer between 0 and %" PRIu64, max);
	*out = n;
	return 0;
}

void json_strv_free(char **strv)
{
	size_t i;

	if (strv == NULL)
		return;
	for (i = 0; strv[i] != NULL; i++)
		free(strv[i]);
	free(strv);
}

int json_val_strv(struct json_ctx *c, yajl_val v, char ***out)
{
	char **strv;
	size_t i, n;

	if (!YAJL_IS_ARRAY(v))
		return json_fail(c, "must be an array of strings");
	n = v->u.array.len;
	for (i = 0; i < n; i++) {
		if (!YAJL_IS_STRING(v->u.array.values[i])) {
			json_path_index(c, i);
			return json_fail(c, "must be a string");
		}
	}
	strv = calloc(n + 1, sizeof(*strv));
	if (strv == NULL)
		return json_oom(c);
	for (i = 0; i < n; i++) {
		strv[i] = strdup(v->u.array.values[i]->u.string);
		if (strv[i] == NULL) {
			json_strv_free(strv);
			return json_oom(c);
		}
	}
	*out = strv;
	return 0;
}

/* ---- member readers ---- */

/* obj[key] unless absent or null; pushes key onto the path when found. */
static yajl_val member(struct json_ctx *c, yajl_val obj, const char *key, size_t *saved)
{
	yajl_val v = json_obj_get(obj, key);

	if (v == NULL || YAJL_IS_NULL(v))
		return NULL;
	*saved = json_path_key(c, key);
	return v;
}

int json_get_string(struct json_ctx *c, yajl_val obj, const char *key, char **out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (json_val_string(c, v, out) < 0)
		return -1;
	json_path_restore(c, saved);
	return 1;
}

int json_get_bool(struct json_ctx *c, yajl_val obj, const char *key, bool *out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (json_val_bool(c, v, out) < 0)
		return -1;
	json_path_restore(c, saved);
	return 1;
}

int json_get_int(struct json_ctx *c, yajl_val obj, const char *key, int64_t min, int64_t max,
		 int64_t *out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (json_val_int(c, v, min, max, out) < 0)
		return -1;
	json_path_restore(c, saved);
	return 1;
}

int json_get_uint(struct json_ctx *c, yajl_val obj, const char *key, uint64_t max, uint64_t *out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (json_val_uint(c, v, max, out) < 0)
		return -1;
	json_path_restore(c, saved);
	return 1;
}

int json_get_strv(struct json_ctx *c, yajl_val obj, const char *key, char ***out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (json_val_strv(c, v, out) < 0)
		return -1;
	json_path_restore(c, saved);
	return 1;
}

int json_get_object(struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_OBJECT(v))
		return json_fail(c, "must be an object");
	json_path_restore(c, saved);
	*out = v;
	return 1;
}

int json_get_array(struct json_ctx *c, yajl_val obj, const char *key, yajl_val *out)
{
	size_t saved;
	yajl_val v = member(c, obj, key, &saved);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_ARRAY(v))
		return json_fail(c, "must be an array");
	json_path_restore(c, saved);
	*out = v;
	return 1;
}

int json_require(struct json_ctx *c, int get_result, const char *key)
{
	if (get_result < 0)
		return -1;
	if (get_result == 0)
		return json_fail_key(c, key, "is required");
	return 0;
}

int json_get_objects(struct json_ctx *c, yajl_val obj, const char *key, size_t item_size,
		     json_item_fn fn, void **items, size_t *len)
{
	size_t saved, i, n;
	yajl_val arr;
	char *base;
	int r;

	r = json_get_array(c, obj, key, &arr);
	if (r <= 0)
		return r;
	n = arr->u.array.len;
	base = calloc(n > 0 ? n : 1, item_size);
	if (base == NULL)
		return json_oom(c);
	*items = base;
	*len = n;
	saved = json_path_key(c, key);
	for (i = 0; i < n; i++) {
		size_t at = json_path_index(c, i);
		yajl_val elem = arr->u.array.values[i];

		if (!YAJL_IS_OBJECT(elem))
			return json_fail(c, "must be an object");
		if (fn(c, elem, base + i * item_size) < 0)
			return -1;
		json_path_restore(c, at);
	}
	json_path_restore(c, saved);
	return 1;
}

/* ---- writing ---- */

int json_buf_append(struct json_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return -1;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap > 0 ? b->cap : 256;
		char *p;

		while (cap - b->len <= n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (p == NULL) {
			b->failed = true;
			return -1;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int json_buf_printf(struct json_buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return -1;
	}
	if ((size_t)n < sizeof(small))
		return json_buf_append(b, small, (size_t)n);
	{
		char *big = malloc((size_t)n + 1);
		int r;

		if (big == NULL) {
			b->failed = true;
			return -1;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		r = json_buf_append(b, big, (size_t)n);
		free(big);
		return r;
	}
}

int json_escape(struct json_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	json_buf_append(b, "\"", 1);
	for (; *p != '\0'; p++) {
		const char *esc = NULL;
		char u[8];

		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (*p < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", *p);
				esc = u;
			}
			break;
		}
		if (esc == NULL)
			continue;
		json_buf_append(b, (const char *)run, (size_t)(p - run));
		json_buf_append(b, esc, strlen(esc));
		run = p + 1;
	}
	json_buf_append(b, (const char *)run, (size_t)(p - run));
	return json_buf_append(b, "\"", 1);
}

void json_buf_free(struct json_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void json_w_init(struct json_writer *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
	w->indent = "\t";
}

void json_w_init_indent(struct json_writer *w, const char *indent)
{
	json_w_init(w, true);
	w->indent = indent;
}

static void w_newline(struct json_writer *w, unsigned depth)
{
	unsigned i;

	if (!w->pretty)
		return;
	json_buf_append(&w->buf, "\n", 1);
	for (i = 0; i < depth; i++)
		json_buf_append(&w->buf, w->indent, strlen(w->indent));
}

/* Separator and indentation before a value or a key. */
static void w_before(struct json_writer *w)
{
	uint64_t bit;

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	bit = UINT64_C(1) << w->depth;
	if (w->has_items & bit)
		json_buf_append(&w->buf, ",", 1);
	w->has_items |= bit;
	w_newline(w, w->depth);
}

static void w_open(struct json_writer *w, const char *brace)
{
	w_before(w);
	json_buf_append(&w->buf, brace, 1);
	if (w->depth >= 63) {
		w->buf.failed = true;
		return;
	}
	w->depth++;
	w->has_items &= ~(UINT64_C(1) << w->depth);
}

static void w_close(struct json_writer *w, const char *brace)
{
	bool had_items;

	if (w->depth == 0) {
		w->buf.failed = true;
		return;
	}
	had_items = (w->has_items & (UINT64_C(1) << w->depth)) != 0;
	w->depth--;
	if (had_items)
		w_newline(w, w->depth);
	json_buf_append(&w->buf, brace, 1);
}

void json_w_object_begin(struct json_writer *w) { w_open(w, "{"); }
void json_w_object_end(struct json_writer *w) { w_close(w, "}"); }
void json_w_array_begin(struct json_writer *w) { w_open(w, "["); }
void json_w_array_end(struct json_writer *w) { w_close(w, "]"); }

void json_w_key(struct json_writer *w, const char *key)
{
	w_before(w);
	json_escape(&w->buf, key);
	json_buf_append(&w->buf, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void json_w_string(struct json_writer *w, const char *s)
{
	w_before(w);
	json_escape(&w->buf, s);
}

void json_w_int(struct json_writer *w, int64_t v)
{
	w_before(w);
	json_buf_printf(&w->buf, "%" PRId64, v);
}

void json_w_uint(struct json_writer *w, uint64_t v)
{
	w_before(w);
	json_buf_printf(&w->buf, "%" PRIu64, v);
}

void json_w_bool(struct json_writer *w, bool v)
{
	w_before(w);
	json_buf_append(&w->buf, v ? "true" : "false", v ? 4 : 5);
}

void json_w_strv(struct json_writer *w, const char *const *strv)
{
	json_w_array_begin(w);
	for (; strv != NULL && *strv != NULL; strv++)
		json_w_string(w, *strv);
	json_w_array_end(w);
}

void json_w_null(struct json_writer *w)
{
	w_before(w);
	json_buf_append(&w->buf, "null", 4);
}

void json_w_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_w_key(w, key);
	json_w_string(w, s);
}

void json_w_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_w_key(w, key);
	json_w_int(w, v);
}

void json_w_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_w_key(w, key);
	json_w_uint(w, v);
}

void json_w_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_w_key(w, key);
	json_w_bool(w, v);
}

void json_w_raw(struct json_writer *w, const char *json)
{
	w_before(w);
	json_buf_append(&w->buf, json, strlen(json));
}

char *json_w_finish(struct json_writer *w)
{
	char *doc;

	if (w->buf.failed || w->depth != 0 || w->buf.data == NULL) {
		json_buf_free(&w->buf);
		return NULL;
	}
	doc = w->buf.data;
	w->buf.data = NULL;
	w->buf.len = w->buf.cap = 0;
	return doc;
}
