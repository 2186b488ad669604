/* test_state: state.json as state_write() writes it and state_read() reads
 * it back, with the service layer's data under "zrun" (runtime/state.c). */
#include "state.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void sample(struct container_state *st, const char *extra)
{
	static char id[] = "c1", bundle[] = "/b", rootfs[] = "/b/rootfs",
		    created[] = "2026-01-01T00:00:00.000000000Z", owner[] = "", cg[] = "/zrun/c1";

	memset(st, 0, sizeof(*st));
	st->id = id;
	st->pid = 4242;
	st->pid_start_time = 7;
	st->status = STATUS_CREATED;
	st->bundle = bundle;
	st->rootfs = rootfs;
	st->created = created;
	st->owner = owner;
	st->cgroup_path = cg;
	st->extra_json = (char *)extra;
}

static char *file_text(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The format is the one earlier versions wrote, so their state files read. */
TEST(service_data_written_under_zrun_in_the_same_format)
{
	struct container_state st, back;
	struct zrun_error err;
	char path[128];

	sample(&st, "{\"service\":\"api\",\"n\":1.5,\"l\":[true,null,\"a\\\"b/c\"]}");
	CHECK_INT(state_write(root, &st, &err), 0);
	snprintf(path, sizeof(path), "%s/c1/state.json", root);
	CHECK_STR(file_text(path),
		  "{\"id\":\"c1\",\"pid\":4242,\"pid_start_time\":7,\"status\":\"created\",\"bundle\":\"/b\","
		  "\"rootfs\":\"/b/rootfs\",\"created\":\"2026-01-01T00:00:00.000000000Z\",\"owner\":\"\","
		  "\"cgroup_path\":\"/zrun/c1\",\"annotations\":{},"
		  "\"zrun\":{\"service\":\"api\",\"n\":1.5,\"l\":[true,null,\"a\\\"b/c\"]}}");
	CHECK_INT(state_read(root, "c1", &back, &err), 0);
	CHECK_STR(back.extra_json, st.extra_json);
	state_clear(&back);
	unlink(path);
}

/* Text that is not one JSON object was spliced in as it was: a truncated
 * one left a state.json no command could read (the container lost to
 * every command), and one that closes the object added keys of its own. */
TEST(service_data_that_is_not_one_json_object_is_refused)
{
	static const char *bad[] = {
		"{\"service\":",                     /* truncated */
		"{\"a\":1},\"status\":\"stopped\"",   /* closes ours, adds a key */
		"[1]", "1", "",
	};
	struct container_state st;
	struct zrun_error err;
	char path[128];

	snprintf(path, sizeof(path), "%s/c1/state.json", root);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sample(&st, bad[i]);
		int r = state_write(root, &st, &err);
		if (r == 0)
			printf("#   extra %s: written as %s\n", bad[i], file_text(path));
		CHECK_INT(r, -1);
		CHECK_INT(access(path, F_OK), -1);
		unlink(path);
	}
	CHECK(strstr(err.msg, "state of c1: service data") != NULL);
}

int main(void)
{
	char dir[128];

	snprintf(root, sizeof(root), "/tmp/zrun-test-state.XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/c1", root);
	mkdir(dir, 0700);
	RUN(service_data_written_under_zrun_in_the_same_format);
	RUN(service_data_that_is_not_one_json_object_is_refused);
	rmdir(dir);
	if (rmdir(root) < 0) {
		printf("not ok - %s left behind\n", root);
		unit_failed++;
	}
	UNIT_DONE();
}
