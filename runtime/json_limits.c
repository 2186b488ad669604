/* json_limits: the check every document passes before yajl sees it (size,
 * nesting, NUL bytes, comments, \u0000 escapes), with the JSON path of a
 * string that holds a \u0000 for the message. Interface: json.h. */
#include "json.h"

#include <stdio.h>
#include <string.h>

#define NUL_PATH_DEPTH 128
#define NUL_PATH_KEY_MAX 64

struct nul_frame {
	bool object, want_key;
	size_t index;               /* arrays: the element being read */
	size_t key_start, key_len;  /* objects: the last key, raw text */
};

/* Write the JSON path of the string that contains offset `at` (found to
 * hold a \u0000) in the style of json_ctx ("process.args[1]"). A second,
 * slower pass, run only on a document that is refused anyway. *is_key is
 * set when that string is a member's name rather than a value. */
static void path_of_offset(const char *buf, size_t at, char *out, size_t out_len, bool *is_key)
{
	struct nul_frame frames[NUL_PATH_DEPTH] = { 0 }; /* each set as depth reaches it; zeroed for the analysers */
	size_t depth = 0, n = 0, str_start = 0;
	bool in_string = false, escaped = false;

	for (size_t i = 0; i < at; i++) {
		char ch = buf[i];
		struct nul_frame *top = depth > 0 && depth <= NUL_PATH_DEPTH ? &frames[depth - 1] : NULL;

		if (in_string) {
			if (escaped)
				escaped = false;
			else if (ch == '\\')
				escaped = true;
			else if (ch == '"') {
				in_string = false;
				if (top && top->object && top->want_key) {
					top->key_start = str_start;
					top->key_len = i - str_start;
				}
			}
			continue;
		}
		if (ch == '"') {
			in_string = true;
			str_start = i + 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth <= NUL_PATH_DEPTH)
				frames[depth - 1] = (struct nul_frame){ .object = ch == '{', .want_key = ch == '{' };
		} else if ((ch == '}' || ch == ']') && depth > 0) {
			depth--;
		} else if (ch == ',' && top) {
			top->index++;
			top->want_key = top->object;
		} else if (ch == ':' && top) {
			top->want_key = false;
		}
	}
	if (depth > NUL_PATH_DEPTH)
		depth = NUL_PATH_DEPTH;
	*is_key = depth > 0 && frames[depth - 1].object && frames[depth - 1].want_key;
	out[0] = '\0';
	for (size_t k = 0; k < depth && n < out_len; k++) {
		const struct nul_frame *f = &frames[k];
		int w;

		if (!f->object)
			w = snprintf(out + n, out_len - n, "[%zu]", f->index);
		else if (k == depth - 1 && *is_key)
			break;
		else
			w = snprintf(out + n, out_len - n, "%s%.*s", n > 0 ? "." : "",
				     (int)(f->key_len < NUL_PATH_KEY_MAX ? f->key_len : NUL_PATH_KEY_MAX),
				     buf + f->key_start);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* yajl decodes \u0000 into the middle of a C string, which then ends
 * there: "args": ["sh\u0000", "-c", ...] would silently run "sh". */
static int nul_escape_error(const char *buf, size_t at, const char *origin, struct zrun_error *err)
{
	char path[JSON_PATH_MAX];
	bool is_key;

	path_of_offset(buf, at, path, sizeof(path), &is_key);
	return zrun_error_set(err, 0, "%s%s%s: %smust not contain a NUL character (\\u0000)", origin,
			      path[0] != '\0' ? ": " : "", path, is_key ? "a member name " : "");
}

int json_check_limits(const char *buf, size_t len, size_t max_bytes, unsigned max_depth,
		      const char *origin, struct zrun_error *err)
{
	bool in_string = false, escaped = false;
	unsigned depth = 0;
	size_t i;

	if (len > max_bytes)
		return zrun_error_set(err, 0, "%s: too large (%zu bytes, limit %zu)", origin, len,
				      max_bytes);
	for (i = 0; i < len; i++) {
		char ch = buf[i];

		/* yajl_tree_parse() takes a C string: a NUL would end the
		 * document early and hide whatever follows it. */
		if (ch == '\0')
			return zrun_error_set(err, 0, "%s: invalid JSON: NUL byte at offset %zu",
					      origin, i);
		if (in_string) {
			if (escaped) {
				escaped = false;
				if (ch == 'u' && len - i > 4 && memcmp(buf + i + 1, "0000", 4) == 0)
					return nul_escape_error(buf, i, origin, err);
			} else if (ch == '\\')
				escaped = true;
			else if (ch == '"')
				in_string = false;
			continue;
		}
		switch (ch) {
		case '"':
			in_string = true;
			break;
		case '[':
		case '{':
			if (++depth > max_depth)
				return zrun_error_set(err, 0,
						      "%s: invalid JSON: nesting deeper than %u levels",
						      origin, max_depth);
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		case '/':
			return zrun_error_set(err, 0,
					      "%s: invalid JSON: comments are not allowed (offset %zu)",
					      origin, i);
		default:
			break;
		}
	}
	return 0;
}

