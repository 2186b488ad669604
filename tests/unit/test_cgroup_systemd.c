/* Unit tests of the systemd driver's names (cgroup_systemd_name.c, pure):
 * runc's "slice:prefix:name" cgroupsPath and systemd's slice paths. */
#include "unit.h"

#include "cgroup_systemd.h"

static void expect_scope(const char *cgroups_path, const char *id, const char *slice_default,
			 const char *unit, const char *slice, const char *path)
{
	struct systemd_scope s;
	struct zrun_error err = { 0 };
	int r = systemd_scope_parse(cgroups_path, id, slice_default, &s, &err);

	CHECK_INT(r, 0);
	if (r < 0) {
		printf("#   %s: %s\n", cgroups_path ? cgroups_path : "(null)", err.msg);
		return;
	}
	CHECK_STR(s.unit, unit);
	CHECK_STR(s.slice, slice);
	CHECK_STR(s.path, path);
}

static void expect_refused(const char *cgroups_path, const char *words)
{
	struct systemd_scope s;
	struct zrun_error err = { 0 };

	CHECK_INT(systemd_scope_parse(cgroups_path, "c1", NULL, &s, &err), -1);
	if (strstr(err.msg, words) == NULL)
		printf("#   %s: expected an error with \"%s\", saw \"%s\"\n", cgroups_path, words, err.msg),
			unit_case_failed = 1;
}

TEST(runc_format_names_prefix_id_scope_in_the_slice)
{
	expect_scope("system.slice:docker:abc", "x", NULL,
		     "docker-abc.scope", "system.slice", "/system.slice/docker-abc.scope");
	expect_scope("kubepods-besteffort-pod1.slice:cri-containerd:c1", "x", NULL,
		     "cri-containerd-c1.scope", "kubepods-besteffort-pod1.slice",
		     "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope");
	/* podman's form: an empty prefix names the scope "name.scope" */
	expect_scope("machine.slice::libpod-c1", "x", NULL,
		     "libpod-c1.scope", "machine.slice", "/machine.slice/libpod-c1.scope");
}

TEST(an_empty_slice_or_path_takes_the_default)
{
	expect_scope(":p:n", "x", NULL, "p-n.scope", "system.slice", "/system.slice/p-n.scope");
	expect_scope(NULL, "c1", NULL, "zrun-c1.scope", "system.slice", "/system.slice/zrun-c1.scope");
	expect_scope("", "v1", "zrun-api.slice", "zrun-v1.scope", "zrun-api.slice",
		     "/zrun.slice/zrun-api.slice/zrun-v1.scope");
	expect_scope("-.slice:p:n", "x", NULL, "p-n.scope", "-.slice", "/p-n.scope");
}

TEST(paths_not_in_runc_format_are_refused_with_its_words)
{
	expect_refused("/zrun/c1", "expected \"slice:prefix:name\"");
	expect_refused("a:b", "expected \"slice:prefix:name\"");
	expect_refused("a.slice:b:c:d", "expected \"slice:prefix:name\"");
	expect_refused("system.slice:p:", "name part is empty");
	expect_refused("system:p:n", "not a slice name");
	expect_refused("a--b.slice:p:n", "may only separate");
	expect_refused("-a.slice:p:n", "may only separate");
	expect_refused("system.slice:p:n/x", "not a valid systemd unit name");
	expect_refused("system.slice:p:x.slice", "name a scope");
}

int main(void)
{
	RUN(runc_format_names_prefix_id_scope_in_the_slice);
	RUN(an_empty_slice_or_path_takes_the_default);
	RUN(paths_not_in_runc_format_are_refused_with_its_words);
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}
