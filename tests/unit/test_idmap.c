/* The id-map writer's text and its bounds: the kernel's 340 lines and
 * 4095 bytes, and never a byte past the caller's buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "idmap.h"
#include "unit.h"

/* N ten-digit mappings (24 bytes a line) and, when LAST_LEN, one more
 * line of exactly LAST_LEN bytes (15 or 16). */
static struct spec_id_mapping *wide_maps(size_t n, int last_len, size_t *len)
{
	struct spec_id_mapping *m = calloc(n + 1, sizeof(*m));

	for (size_t i = 0; m && i < n; i++)
		m[i] = (struct spec_id_mapping){ 1000000000u + (uint32_t)i, 3000000000u + (uint32_t)i, 1 };
	*len = n;
	if (m && last_len) /* "1234567 1234 1\n" is 15 bytes, one more digit 16 */
		m[(*len)++] = (struct spec_id_mapping){ last_len == 15 ? 1234567u : 12345678u, 1234, 1 };
	return m;
}

TEST(formats_one_line_per_mapping)
{
	struct spec_id_mapping m[] = { { 0, 100000, 65536 }, { 65536, 4294967295u, 1 } };
	struct zrun_error err = { 0 };
	char buf[IDMAP_MAX_BYTES + 1];

	CHECK_INT(idmap_format(m, 2, "linux.uidMappings", buf, sizeof(buf), &err), 34);
	CHECK_STR(buf, "0 100000 65536\n65536 4294967295 1\n");
	CHECK_INT(idmap_format(m, 0, "linux.uidMappings", buf, sizeof(buf), &err), 0);
}

TEST(takes_340_lines_and_refuses_341)
{
	struct spec_id_mapping m[IDMAP_MAX_LINES + 1];
	struct zrun_error err = { 0 };

	for (size_t i = 0; i <= IDMAP_MAX_LINES; i++)
		m[i] = (struct spec_id_mapping){ (uint32_t)i, 10000 + (uint32_t)i, 1 };
	CHECK_INT(idmap_check(m, IDMAP_MAX_LINES, "linux.uidMappings", &err), 0);
	CHECK_INT(idmap_check(m, IDMAP_MAX_LINES + 1, "linux.uidMappings", &err), -1);
	CHECK_STR(err.msg, "linux.uidMappings: 341 mappings, the kernel takes at most 340");
}

TEST(takes_4095_bytes_and_refuses_4096)
{
	struct zrun_error err = { 0 };
	char buf[IDMAP_MAX_BYTES + 1];
	size_t n;
	struct spec_id_mapping *m = wide_maps(170, 15, &n);

	CHECK(m != NULL);
	CHECK_INT(idmap_format(m, n, "linux.gidMappings", buf, sizeof(buf), &err), 4095);
	free(m);
	m = wide_maps(170, 16, &n);
	CHECK(m != NULL);
	CHECK_INT(idmap_format(m, n, "linux.gidMappings", buf, sizeof(buf), &err), -1);
	CHECK_STR(err.msg, "linux.gidMappings: 171 mappings make a map of more than 4095 bytes, "
		  "the most the kernel takes");
	free(m);
}

/* The old writers stopped at the end of their buffer but then wrote the
 * length snprintf would have produced, reading past the buffer. */
TEST(never_writes_past_a_small_buffer)
{
	struct zrun_error err = { 0 };
	struct { char buf[30]; char guard[8]; } b;
	size_t n;
	struct spec_id_mapping *m = wide_maps(2, 0, &n);

	memset(b.guard, 'G', sizeof(b.guard));
	CHECK_INT(idmap_format(m, n, "uidMappings", b.buf, sizeof(b.buf), &err), -1);
	CHECK_STR(err.msg, "uidMappings: the map does not fit in 30 bytes");
	CHECK(memcmp(b.guard, "GGGGGGGG", 8) == 0);
	CHECK_INT(idmap_format(m, 1, "uidMappings", b.buf, sizeof(b.buf), &err), 24);
	free(m);
}

int main(void)
{
	RUN(formats_one_line_per_mapping);
	RUN(takes_340_lines_and_refuses_341);
	RUN(takes_4095_bytes_and_refuses_4096);
	RUN(never_writes_past_a_small_buffer);
	UNIT_DONE();
}
