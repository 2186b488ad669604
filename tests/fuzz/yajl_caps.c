/* yajl_caps: the known yajl bugs cannot be reached through json_parse().
 * Built with ASan+UBSan+LSan and linked with --wrap=yajl_tree_parse, so
 * each check can tell whether yajl saw the input at all. TAP output.
 *
 *   CVE-2022-24795  yajl_buf_ensure_available() overflows its size_t
 *                   doubling for a value near 2^31 bytes (32-bit) or 2^63;
 *                   json_parse() refuses documents over the cap (4 MiB for
 *                   config.json, 1 MiB for state, 64 KiB for service files)
 *                   before yajl sees a byte.
 *   CVE-2023-33460  yajl_tree_parse() leaks its partly built tree when the
 *                   parse fails; LSan checks invalid documents leak nothing
 *                   (Debian's 2.1.0-3+deb12u2 carries the fix; this proves
 *                   the library we link does).
 *   CVE-2017-16516  yajl_string_decode() over-reads on a truncated \u
 *                   escape; such strings must parse or fail cleanly.
 *   Depth           yajl's tree free recurses per level; nesting over 64
 *                   is refused before parsing. */
#include <sanitizer/lsan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "spec.h"
#include "state.h"
#include "unit.h"

static int yajl_calls;

yajl_val __real_yajl_tree_parse(const char *input, char *error_buffer, size_t error_buffer_size);
yajl_val __wrap_yajl_tree_parse(const char *input, char *error_buffer, size_t error_buffer_size)
{
	yajl_calls++;
	return __real_yajl_tree_parse(input, error_buffer, error_buffer_size);
}

static char *filled(size_t len, char fill)
{
	char *b = malloc(len);

	if (b)
		memset(b, fill, len);
	return b;
}

TEST(oversized_config_is_refused_before_yajl)
{
	size_t len = SPEC_MAX_BYTES + 1;
	char *big = filled(len, ' ');
	struct zrun_error err;

	if (big == NULL)
		return;
	/* One huge string: the shape that drives yajl_buf's doubling. */
	big[0] = '[';
	big[1] = '"';
	big[len - 2] = '"';
	big[len - 1] = ']';
	yajl_calls = 0;
	CHECK(spec_parse(big, len, "config.json", &err) == NULL);
	CHECK_STR(err.msg, "config.json: too large (4194305 bytes, limit 4194304)");
	CHECK_INT(yajl_calls, 0);
	free(big);
}

TEST(oversized_state_is_refused_before_yajl)
{
	size_t len = STATE_MAX_BYTES + 1;
	char *big = filled(len, 'a');
	struct container_state st;
	struct zrun_error err;

	if (big == NULL)
		return;
	big[0] = '"';
	big[len - 1] = '"';
	yajl_calls = 0;
	CHECK(state_parse_json(big, len, "state.json", &st, &err) < 0);
	CHECK_STR(err.msg, "state.json: too large (1048577 bytes, limit 1048576)");
	CHECK_INT(yajl_calls, 0);
	free(big);
}

/* The largest document allowed: one string of escapes that yajl decodes
 * into its growing buffer. Must parse cleanly (ASan watches the copies). */
TEST(largest_allowed_string_parses_cleanly)
{
	size_t len = SPEC_MAX_BYTES;
	char *doc = filled(len, 'x');
	struct zrun_error err;

	if (doc == NULL)
		return;
	doc[0] = '[';
	doc[1] = '"';
	for (size_t i = 2; i + 6 < len - 2; i += 6)
		memcpy(doc + i, "\\u00e9", 6);
	doc[len - 2] = '"';
	doc[len - 1] = ']';
	yajl_calls = 0;
	yajl_val v = json_parse(doc, len, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, "big.json", &err);
	CHECK(v != NULL);
	CHECK_INT(yajl_calls, 1);
	if (v != NULL) {
		CHECK(YAJL_IS_ARRAY(v) && v->u.array.len == 1 && YAJL_IS_STRING(v->u.array.values[0]));
		yajl_tree_free(v);
	}
	free(doc);
}

TEST(nesting_over_cap_is_refused_before_yajl)
{
	enum { DEEP = 100000 };
	char *doc = malloc(2 * DEEP);
	struct zrun_error err;

	if (doc == NULL)
		return;
	for (size_t i = 0; i < DEEP; i++) {
		doc[i] = i % 2 ? '{' : '[';
		doc[2 * DEEP - 1 - i] = i % 2 ? '}' : ']';
	}
	/* not valid JSON ({ needs keys), but the depth check comes first */
	yajl_calls = 0;
	CHECK(json_parse(doc, 2 * DEEP, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, "deep.json", &err) == NULL);
	CHECK_STR(err.msg, "deep.json: invalid JSON: nesting deeper than 64 levels");
	CHECK_INT(yajl_calls, 0);
	/* 64 levels of arrays is the limit and parses. */
	memset(doc, '[', 64);
	memset(doc + 64, ']', 64);
	yajl_val v = json_parse(doc, 128, SPEC_MAX_BYTES, SPEC_MAX_DEPTH, "ok.json", &err);
	CHECK(v != NULL);
	yajl_tree_free(v);
	free(doc);
}

TEST(comments_and_nul_are_refused_before_yajl)
{
	struct zrun_error err;

	yajl_calls = 0;
	/* a comment holding a quote would blind the nesting count */
	CHECK(json_parse("[/* \" */ [[[", 12, 100, 2, "c.json", &err) == NULL);
	CHECK(json_parse("[1]\0[[[[[", 9, 100, 2, "n.json", &err) == NULL);
	CHECK_INT(yajl_calls, 0);
}

/* CVE-2023-33460 and its relatives: invalid documents that fail midway
 * through building a tree. With a leaking yajl LSan finds the tree. */
TEST(invalid_documents_leak_nothing)
{
	static const char *const docs[] = {
		"{\"@\\\\\n\\\\\\\\\"",                 /* the lloyd/yajl#250 reproducer */
		"{\"obj1\":{ \"key1\":1 \"key2\":2}}",    /* missing comma, nested */
		"{\"key\" : \"value\n}",
		"[[[[{\"a\":[1,2,{\"b\":",
		"{\"a\":[\"x\",{\"c\":tru}]}",
		"[1,2,3,]", "{\"a\" 1}", "{\"a\":1,}", "[\"\\x\"]",
	};
	struct zrun_error err;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		yajl_val v = json_parse(docs[i], strlen(docs[i]), 1024, 64, "bad.json", &err);
		CHECK(v == NULL);
		yajl_tree_free(v);
		struct spec *s = spec_parse(docs[i], strlen(docs[i]), "config.json", &err);
		CHECK(s == NULL);
		spec_free(s);
	}
	CHECK_INT(__lsan_do_recoverable_leak_check(), 0);
}

/* CVE-2017-16516: truncated and lone surrogate \u escapes. */
TEST(bad_unicode_escapes_fail_or_parse_cleanly)
{
	static const char *const docs[] = {
		"[\"\\ud800\"]", "[\"\\udc00\\u\"]", "[\"\\ud800\\u12\"]", "[\"\\u\"]",
		"[\"\\ud834\\udd1e\"]", "[\"\\uDFFF\\uD800\"]", "[\"\xff\xfe\"]",
	};
	struct zrun_error err;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		yajl_val v = json_parse(docs[i], strlen(docs[i]), 1024, 64, "u.json", &err);
		yajl_tree_free(v);
	}
	CHECK_INT(__lsan_do_recoverable_leak_check(), 0);
}

int main(void)
{
	RUN(oversized_config_is_refused_before_yajl);
	RUN(oversized_state_is_refused_before_yajl);
	RUN(largest_allowed_string_parses_cleanly);
	RUN(nesting_over_cap_is_refused_before_yajl);
	RUN(comments_and_nul_are_refused_before_yajl);
	RUN(invalid_documents_leak_nothing);
	RUN(bad_unicode_escapes_fail_or_parse_cleanly);
	UNIT_DONE();
}
