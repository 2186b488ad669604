/* test_cgroup_path: where a relative linux.cgroupsPath goes, computed from a
 * /proc/self/cgroup text alone (cgroup_relative_base is pure), so the v1
 * and the v2 rules are both checked on any host, the VM included. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_driver.h"
#include "unit.h"

/* A hybrid host's caller that sits in different groups per hierarchy. */
static const char hybrid_self[] =
	"13:misc:/\n"
	"12:pids:/user.slice/user-0.slice/session-3.scope\n"
	"11:cpu,cpuacct:/batch\n"
	"10:memory:/process_api/abc\n"
	"9:net_cls,net_prio:/\n"
	"1:name=systemd:/user.slice/user-0.slice/session-3.scope\n"
	"0::/user.slice/user-0.slice/session-3.scope"; /* no final newline */

static void check_base(const char *text, const char *controllers, const char *want)
{
	struct zrun_error err = { 0 };
	char *got = cgroup_relative_base(text, controllers, &err);

	if (want == NULL && got != NULL)
		printf("#   %s: expected an error, saw \"%s\"\n", controllers ? controllers : "v2", got);
	if (want != NULL && got == NULL)
		printf("#   %s: %s\n", controllers ? controllers : "v2", err.msg);
	CHECK_STR(got, want);
	free(got);
}

TEST(relative_base_v1_is_the_callers_cgroup_of_each_hierarchy)
{
	check_base(hybrid_self, "memory", "/process_api/abc");
	check_base(hybrid_self, "pids", "/user.slice/user-0.slice/session-3.scope");
	/* co-mounted: either name, in either order, finds the shared line */
	check_base(hybrid_self, "cpu,cpuacct", "/batch");
	check_base(hybrid_self, "cpuacct,cpu", "/batch");
	check_base(hybrid_self, "cpuacct", "/batch");
	check_base(hybrid_self, "net_prio,net_cls", "/");
	/* named hierarchies match by their name= */
	check_base(hybrid_self, "name=systemd", "/user.slice/user-0.slice/session-3.scope");
	check_base(hybrid_self, "misc", "/");
	/* "cpu" is not "cpuset"; a hierarchy the caller is not in is an error */
	check_base("3:cpuset:/s\n2:cpu:/c\n", "cpu", "/c");
	check_base("3:cpuset:/s\n2:cpu:/c\n", "cpuset", "/s");
	check_base(hybrid_self, "hugetlb", NULL);
	check_base(hybrid_self, "", NULL);
	/* the v2 line (empty controllers) never stands for a v1 hierarchy */
	check_base("0::/u\n", "memory", NULL);
}

TEST(relative_base_v2_is_the_parent_of_the_callers_cgroup)
{
	check_base(hybrid_self, NULL, "/user.slice/user-0.slice");
	check_base("0::/user.slice/user-0.slice/session-1.scope\n", NULL, "/user.slice/user-0.slice");
	check_base("0::/a\n", NULL, "/");
	check_base("0::/\n", NULL, "/");
	/* only "0::" is the v2 line */
	check_base("4:memory:/m\n1:name=systemd:/s\n", NULL, NULL);
	check_base("", NULL, NULL);
}

TEST(relative_base_refuses_a_caller_outside_its_cgroup_namespace)
{
	struct zrun_error err = { 0 };
	char *got = cgroup_relative_base("0::/../../x\n", NULL, &err);

	CHECK(got == NULL);
	free(got);
	CHECK(strstr(err.msg, "outside its cgroup namespace") != NULL);
	check_base("4:memory:/..\n", "memory", NULL);
	check_base("4:memory:/a/../b\n", "memory", NULL);
	check_base("4:memory:/..a/b..\n", "memory", "/..a/b.."); /* names, not ".." */
	check_base("4:memory:relative\n", "memory", NULL);
	/* a malformed line is skipped, not misread */
	check_base("garbage\n4:memory\n5:memory:/ok\n", "memory", "/ok");
}

int main(void)
{
	RUN(relative_base_v1_is_the_callers_cgroup_of_each_hierarchy);
	RUN(relative_base_v2_is_the_parent_of_the_callers_cgroup);
	RUN(relative_base_refuses_a_caller_outside_its_cgroup_namespace);
	UNIT_DONE();
}
