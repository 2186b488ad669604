/* test_service: the parsers of the service layer (src/service/listener.c,
 * src/service/service.c): --listen URLs, --probe specs and durations; and
 * the progress lines of swap and deploy (src/service/event.c), through
 * their headers, linked from the service library. */
#include "event.h"
#include "listener.h"
#include "service.h"
#include "service_log.h"
#include "unit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

TEST(listen_tcp_ipv4_with_and_without_a_name)
{
	struct listener l;
	struct zrun_error err;

	CHECK_INT(listener_parse("tcp://127.0.0.1:8080", 0, &l, &err), 0);
	CHECK_STR(l.name, "l0");
	CHECK_STR(l.url, "tcp://127.0.0.1:8080");
	CHECK_INT(l.kind, LISTENER_TCP);
	CHECK_INT(l.port, 8080);
	CHECK_INT(l.addr.ss_family, AF_INET);
	CHECK_INT(listener_parse("web=tcp://*:80", 3, &l, &err), 0);
	CHECK_STR(l.name, "web");
	CHECK_STR(l.host, "0.0.0.0");
}

TEST(listen_tcp_ipv6_and_unix)
{
	struct listener l;
	struct zrun_error err;

	CHECK_INT(listener_parse("tcp://[::1]:9000", 1, &l, &err), 0);
	CHECK_STR(l.name, "l1");
	CHECK_STR(l.host, "::1");
	CHECK_INT(l.addr.ss_family, AF_INET6);
	CHECK_INT(listener_parse("unix:/run/api.sock", 0, &l, &err), 0);
	CHECK_INT(l.kind, LISTENER_UNIX);
	CHECK_STR(l.path, "/run/api.sock");
	CHECK_INT(listener_parse("admin=unix:/run/a=b.sock", 0, &l, &err), 0);
	CHECK_STR(l.name, "admin");
	CHECK_STR(l.path, "/run/a=b.sock");
}

TEST(listen_refuses_bad_urls)
{
	static const char *const bad[] = { "tcp://x:99999", "tcp://127.0.0.1:0", "tcp://127.0.0.1:", "tcp://127.0.0.1",
		"ftp://127.0.0.1:80", "unix:relative", "tcp://not-an-ip:80", "tcp://[::1]80", "=tcp://1.2.3.4:5",
		"a:b=tcp://1.2.3.4:5", "", NULL };
	struct listener l;
	struct zrun_error err;

	for (size_t i = 0; bad[i]; i++) {
		err.msg[0] = '\0';
		int r = listener_parse(bad[i], 0, &l, &err);
		if (r == 0)
			printf("#   --listen %s was accepted\n", bad[i]);
		CHECK(r < 0);
		CHECK(strstr(err.msg, "--listen") != NULL);
	}
}

TEST(listener_sets_compare_names_and_urls)
{
	struct listener a[2], b[2];
	struct zrun_error err;

	listener_parse("web=tcp://127.0.0.1:1", 0, &a[0], &err);
	listener_parse("unix:/x", 1, &a[1], &err);
	listener_parse("web=tcp://127.0.0.1:1", 0, &b[0], &err);
	listener_parse("unix:/x", 1, &b[1], &err);
	CHECK(listener_sets_equal(a, 2, b, 2));
	CHECK(!listener_sets_equal(a, 2, b, 1));
	listener_parse("tcp://127.0.0.1:1", 0, &b[0], &err);
	CHECK(!listener_sets_equal(a, 2, b, 2));
}

TEST(probe_specs)
{
	struct probe_spec p = { 0 };
	struct zrun_error err;

	CHECK_INT(probe_parse("accepting", &p, &err), 0);
	CHECK_INT(p.kind, PROBE_ACCEPTING);
	CHECK_INT(probe_parse("http", &p, &err), 0);
	CHECK_INT(p.kind, PROBE_HTTP);
	CHECK_STR(p.target, "/");
	CHECK_INT(probe_parse("http:/healthz", &p, &err), 0);
	CHECK_STR(p.target, "/healthz");
	CHECK_INT(probe_parse("tcp", &p, &err), 0);
	CHECK_INT(p.kind, PROBE_TCP);
	CHECK_INT(probe_parse("exec:test -e /ready", &p, &err), 0);
	CHECK_INT(p.kind, PROBE_EXEC);
	CHECK_STR(p.target, "test -e /ready");
	CHECK_INT(probe_parse("notify", &p, &err), 0);
	CHECK_INT(p.kind, PROBE_NOTIFY);
	CHECK(probe_parse("bogus", &p, &err) < 0);
	CHECK(strstr(err.msg, "bogus") != NULL);
	CHECK(probe_parse("http:healthz", &p, &err) < 0);
	CHECK(probe_parse("http:/a b", &p, &err) < 0);
	CHECK(probe_parse("exec:", &p, &err) < 0);
}

TEST(durations)
{
	long ms = -1;

	CHECK_INT(duration_parse("500ms", &ms), 0);
	CHECK_INT(ms, 500);
	CHECK_INT(duration_parse("2s", &ms), 0);
	CHECK_INT(ms, 2000);
	CHECK_INT(duration_parse("1.5s", &ms), 0);
	CHECK_INT(ms, 1500);
	CHECK_INT(duration_parse("3", &ms), 0);
	CHECK_INT(ms, 3000);
	CHECK_INT(duration_parse("1m", &ms), 0);
	CHECK_INT(ms, 60000);
	CHECK(duration_parse("", &ms) < 0);
	CHECK(duration_parse("-1s", &ms) < 0);
	CHECK(duration_parse("soon", &ms) < 0);
	CHECK(duration_parse("5parsecs", &ms) < 0);
}

TEST(service_names)
{
	struct zrun_error err;

	CHECK_INT(service_validate_name("api", &err), 0);
	CHECK_INT(service_validate_name("api-v2_x.y", &err), 0);
	CHECK(service_validate_name("", &err) < 0);
	CHECK(service_validate_name(".hidden", &err) < 0);
	CHECK(service_validate_name("a/b", &err) < 0);
}

TEST(version_config_round_trips_through_state)
{
	struct version_config vc, back;
	struct container_state st;

	version_config_defaults(&vc);
	snprintf(vc.service, sizeof(vc.service), "api");
	vc.probe.kind = PROBE_HTTP;
	snprintf(vc.probe.target, sizeof(vc.probe.target), "/healthz");
	vc.probe.period_ms = 50;
	vc.probe.failure_threshold = 7;
	vc.grace_period_ms = 1000;
	vc.stop_signal = 3;
	vc.own_netns = true;
	memset(&st, 0, sizeof(st));
	st.extra_json = version_config_json(&vc);
	CHECK_INT(version_config_from_state(&st, &back), 0);
	CHECK_STR(back.service, "api");
	CHECK_INT(back.probe.kind, PROBE_HTTP);
	CHECK_STR(back.probe.target, "/healthz");
	CHECK_INT(back.probe.period_ms, 50);
	CHECK_INT(back.probe.timeout_ms, 1000);
	CHECK_INT(back.probe.failure_threshold, 7);
	CHECK_INT(back.grace_period_ms, 1000);
	CHECK_INT(back.stop_signal, 3);
	CHECK(back.own_netns);
	free(st.extra_json);
}

/* A progress line as --format json prints it: the fields the docs name,
 * in that order, every string escaped (a probe's reason may hold
 * anything); the text form starts with the label, else the version. */
TEST(event_lines_escape_every_string_and_keep_their_field_names)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	if (f == NULL)
		return;
	event_say(f, true, "aborted", "api-\"2", 41, "exec %s: exit %d", "false \"q\\\x01\t", 1);
	event_write(f, false, &(struct event){ .step = "deployed", .version = "api-3", .label = "api",
					       .elapsed_ms = 5, .message = "api-3 serving" });
	event_say(f, false, "ready", "api-4", 7, "ready after %d probes", 2);
	event_say(f, false, "aborted", "api-5", 9, "exec %s: exit 1", "a\nb\x01\x7f");
	event_say(NULL, true, "ready", "api-4", 7, "nowhere");
	fclose(f);
	CHECK_STR(buf, "{\"step\":\"aborted\",\"version\":\"api-\\\"2\",\"elapsed_ms\":41,"
		       "\"message\":\"exec false \\\"q\\\\\\u0001\\t: exit 1\"}\n"
		       "api: api-3 serving\n"
		       "api-4: ready after 2 probes\n"
		       "api-5: exec a\\x0ab\\x01\\x7f: exit 1\n");
	free(buf);
}

TEST(log_dir_is_var_log_zrun_for_the_default_root_and_under_any_other_root)
{
	char dir[PATH_MAX];

	CHECK_INT(service_log_dir(dir, sizeof(dir), "/run/zrun", "api"), 0);
	CHECK_STR(dir, "/var/log/zrun/api");
	CHECK_INT(service_log_dir(dir, sizeof(dir), "/nonexistent-root/x", "api"), 0);
	CHECK_STR(dir, "/nonexistent-root/x/.logs/api");
	CHECK_INT(service_log_dir(dir, 10, "/nonexistent-root/x", "api"), -1);
}

int main(void)
{
	RUN(listen_tcp_ipv4_with_and_without_a_name);
	RUN(listen_tcp_ipv6_and_unix);
	RUN(listen_refuses_bad_urls);
	RUN(listener_sets_compare_names_and_urls);
	RUN(probe_specs);
	RUN(durations);
	RUN(service_names);
	RUN(version_config_round_trips_through_state);
	RUN(event_lines_escape_every_string_and_keep_their_field_names);
	RUN(log_dir_is_var_log_zrun_for_the_default_root_and_under_any_other_root);
	UNIT_DONE();
}
