/* The /etc/subuid reader of rootless zrun: the entry newuidmap would take
 * (by name or by uid, the first that matches), and no entry from a line
 * that is not one. */
#include <stdint.h>

#include "rootless.h"
#include "unit.h"

TEST(finds_the_entry_by_name_or_by_uid)
{
	const char *text = "alice:100000:65536\nbob:165536:65536\n1003:231072:1000\n";
	struct rootless_subid s = { 0, 0 };

	CHECK_INT(rootless_subid_find(text, "bob", 1002, &s), 1);
	CHECK_INT(s.start, 165536);
	CHECK_INT(s.count, 65536);
	CHECK_INT(rootless_subid_find(text, "carol", 1003, &s), 1);
	CHECK_INT(s.start, 231072);
	CHECK_INT(s.count, 1000);
	CHECK_INT(rootless_subid_find(text, "dave", 1004, &s), 0);
}

TEST(takes_the_first_entry_and_a_last_line_without_newline)
{
	struct rootless_subid s = { 0, 0 };

	CHECK_INT(rootless_subid_find("al:1:2\nal:100:200\n", "al", 7, &s), 1);
	CHECK_INT(s.start, 1);
	CHECK_INT(rootless_subid_find("x:5:6\nal:300:400", "al", 7, &s), 1);
	CHECK_INT(s.start, 300);
	CHECK_INT(s.count, 400);
}

TEST(refuses_what_is_not_an_entry)
{
	struct rootless_subid s = { 0, 0 };

	/* a prefix of the name, an empty or zero range, a range past 2^32 */
	CHECK_INT(rootless_subid_find("alice:100000:65536\n", "ali", 7, &s), 0);
	CHECK_INT(rootless_subid_find("al:100000\nal::5\nal:1:0\n", "al", 7, &s), 0);
	CHECK_INT(rootless_subid_find("al:4294967295:2\n", "al", 7, &s), 0);
	CHECK_INT(rootless_subid_find("", "al", 7, &s), 0);
}

int main(void)
{
	RUN(finds_the_entry_by_name_or_by_uid);
	RUN(takes_the_first_entry_and_a_last_line_without_newline);
	RUN(refuses_what_is_not_an_entry);
	UNIT_DONE();
}
