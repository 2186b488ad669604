/* test_service: the parsers of the service layer (src/service/listener.c,
 * src/service/service.c): --listen URLs, --probe specs and durations; and
 * the progress lines of swap and deploy (src/service/event.c) and the
 * swap record's table of states (src/service/swap_record.c), through
 * their headers, linked from the service library. */
#include "event.h"
#include "listener.h"
#include "probe.h"
#include "service.h"
#include "swap_record.h"
#include "service_log.h"
#include "unit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Durations the one parser takes, and what it makes of them: the service
 * flags' forms and Go's (`events --interval` takes them as runc does). */
static const struct { const char *text; long ms; } durations_ok[] = {
	{ "500ms", 500 }, { "200ms", 200 }, { "2s", 2000 }, { "1.5s", 1500 }, { ".5s", 500 },
	{ "3", 3000 }, { "1m", 60000 }, { "2m", 120000 }, { "1h", 3600000 },
	/* edge cases */
	{ "0", 0 }, { "0s", 0 }, { "1m30s", 90000 }, { "1h2m3s4ms", 3723004 },
	{ "1500us", 1 }, { "2000000ns", 2 },
	{ "168h", 7 * 86400000L },  /* the most: 7 days */
};

/* ... and what it refuses, leaving the result untouched. */
static const char *const durations_bad[] = {
	"", "-1s", "soon", "5parsecs",
	/* overflow: more than 7 days, or a number no double holds */
	"169h", "100000000000000000000000000000s", "167h120m", "1e400s",
	/* garbage: what strtod alone would take */
	"nan", "nanms", "inf", "infs", "0x10s", "1e3", " 5s", "+5s", "5 s", "1.2.3s", ".s", "s",
	"5s3",  /* a bare number only alone */
	"5sx",
};

TEST(durations)
{
	long ms;

	for (size_t i = 0; i < sizeof(durations_ok) / sizeof(durations_ok[0]); i++) {
		ms = -1;
		int r = duration_parse(durations_ok[i].text, &ms);
		if (r != 0 || ms != durations_ok[i].ms) {
			printf("#   \"%s\": expected %ld ms, saw %d (%ld ms)\n", durations_ok[i].text,
			       durations_ok[i].ms, r, ms);
			unit_case_failed = 1;
		}
	}
	for (size_t i = 0; i < sizeof(durations_bad) / sizeof(durations_bad[0]); i++) {
		ms = -1;
		if (duration_parse(durations_bad[i], &ms) == 0 || ms != -1) {
			printf("#   \"%s\": expected refused and the result untouched, saw %ld ms\n",
			       durations_bad[i], ms);
			unit_case_failed = 1;
		}
	}
	CHECK(duration_parse(NULL, &ms) < 0);
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

/* Every field set away from its default comes back the same: the table
 * (src/service/service.c) names every field, both ways. */
TEST(version_config_every_field_round_trips)
{
	struct version_config vc, back;
	struct container_state st;

	version_config_defaults(&vc);
	snprintf(vc.service, sizeof(vc.service), "api");
	vc.probe = (struct probe_spec){ .kind = PROBE_EXEC, .initial_delay_ms = 7, .period_ms = 11, .timeout_ms = 13,
					.success_threshold = 2, .failure_threshold = 9 };
	snprintf(vc.probe.target, sizeof(vc.probe.target), "test -e \"/run/a b\"");
	vc.stop_signal = 10;
	vc.grace_period_ms = 4321;
	vc.own_netns = true;
	vc.intercept = true;
	snprintf(vc.group, sizeof(vc.group), "api-3");
	vc.restart = RESTART_ON_FAILURE;
	vc.restart_max = 5;
	snprintf(vc.notify_socket, sizeof(vc.notify_socket), "@zrun-notify-0123");
	/* a steered version's sockets: index, inode, cookie per listener */
	vc.n_steer = 2;
	vc.steer_index[0] = 3;
	vc.steer_index[1] = -1;
	vc.steer_inode[0] = 123456789UL;
	vc.steer_cookie[0] = 18446744073709551615ULL;
	vc.steer_cookie[1] = 7;
	memset(&st, 0, sizeof(st));
	st.extra_json = version_config_json(&vc);
	CHECK_INT(version_config_from_state(&st, &back), 0);
	CHECK(memcmp(&vc, &back, sizeof(vc)) == 0);
	free(st.extra_json);
	/* the settings deploy keeps carry none of one version's own */
	version_config_settings(&back, &vc);
	CHECK_INT(back.n_steer, 0);
	CHECK_STR(back.group, "");
	CHECK_STR(back.notify_socket, "");
	/* a value of the wrong type is refused, not taken as the default */
	st.extra_json = (char *)"{\"service\":\"api\",\"period_ms\":\"fast\"}";
	CHECK_INT(version_config_from_state(&st, &back), -1);
	/* a socket without its cookie is refused: no index is taken on trust */
	st.extra_json = (char *)"{\"service\":\"api\",\"steer\":[[1,2]]}";
	CHECK_INT(version_config_from_state(&st, &back), -1);
}

TEST(service_record_round_trips_with_its_deploy_settings)
{
	char dir[] = "/tmp/zrun-test-record-XXXXXX";
	struct service svc, back;
	struct zrun_error err;

	CHECK(mkdtemp(dir) != NULL);
	memset(&svc, 0, sizeof(svc));
	snprintf(svc.name, sizeof(svc.name), "api");
	CHECK_INT(listener_parse("web=tcp://127.0.0.1:8080", 0, &svc.listeners[0], &err), 0);
	svc.n_listeners = 1;
	svc.supervisor_pid = 42;
	svc.supervisor_start_time = 18446744073709551615ULL;
	snprintf(svc.current, sizeof(svc.current), "api-3");
	snprintf(svc.previous, sizeof(svc.previous), "api-2");
	svc.seq = 3;
	svc.replicas = 2;
	svc.keep_old = true;
	svc.timeout_ms = 5000;
	version_config_defaults(&svc.settings);
	snprintf(svc.settings.service, sizeof(svc.settings.service), "api");
	svc.settings.restart = RESTART_ALWAYS;
	svc.settings.intercept = true;
	svc.steered = true;
	for (uint32_t k = 0; k < STEER_MAPS; k++)
		svc.steer_maps[0][k] = 100 + k;
	CHECK_INT(service_save(dir, &svc, &err), 0);
	CHECK_INT(service_load(dir, "api", &back, &err), 0);
	CHECK(back.steered);
	CHECK(memcmp(back.steer_maps, svc.steer_maps, sizeof(svc.steer_maps)) == 0);
	CHECK_STR(back.listeners[0].url, "tcp://127.0.0.1:8080");
	CHECK_STR(back.listeners[0].name, "web");
	CHECK_INT(back.n_listeners, 1);
	CHECK(back.supervisor_start_time == svc.supervisor_start_time);
	CHECK_STR(back.previous, "api-2");
	CHECK_INT(back.replicas, 2);
	CHECK(back.keep_old);
	CHECK_INT(back.timeout_ms, 5000);
	CHECK(memcmp(&back.settings, &svc.settings, sizeof(svc.settings)) == 0);
	CHECK_INT(service_remove(dir, "api", &err), 0);
	CHECK_INT(rmdir(dir), 0);
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

/* Every state's name reads back as that state; any other name is an
 * error that names it (never a default state: "created" undid a swap). */
TEST(swap_state_names_round_trip_and_an_unknown_name_is_refused)
{
	struct zrun_error err;
	enum swap_state s;

	for (int i = 0; i < SWAP_STATE_COUNT; i++) {
		s = SWAP_STATE_COUNT;
		CHECK_INT(swap_state_parse(swap_state_name((enum swap_state)i), &s, &err), 0);
		CHECK_INT(s, i);
	}
	CHECK_STR(swap_state_name(SWAP_DRAINING), "draining");
	const char *bad[] = { "bogus", "", "Created", "created ", "draining\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = SWAP_DONE;
		CHECK_INT(swap_state_parse(bad[i], &s, &err), -1);
		CHECK_INT(s, SWAP_DONE);
		CHECK(strstr(err.msg, "is not a swap state") != NULL);
	}
}

/* A canary's shares: one from 1% to 99%, or rising steps whose last may
 * be 100% (promote); anything else names what is wrong and gives nothing. */
TEST(canary_shares_parse_and_bad_ones_are_refused)
{
	struct zrun_error err;
	unsigned p[SWAP_CANARY_STEPS_MAX];
	size_t n = 0;
	char buf[128];

	CHECK_INT(swap_canary_parse("10%", p, &n, &err), 0);
	CHECK_INT(n, 1);
	CHECK_INT(p[0], 10);
	CHECK_INT(swap_canary_parse("10%,50%,100%", p, &n, &err), 0);
	CHECK_INT(n, 3);
	CHECK_INT(p[2], 100);
	swap_canary_format(p, n, buf, sizeof(buf));
	CHECK_STR(buf, "10%,50%,100%");
	const char *bad[] = { "0%", "100%", "150%", "abc", "10", "", ",", "10%,10%", "50%,10%", "10%,", "10 %",
			      "1%,2%,3%,4%,5%,6%,7%,8%,9%,10%,11%", "-5%", "99999999999999999999%" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = swap_canary_parse(bad[i], p, &n, &err);
		CHECK_INT(r, -1);
		CHECK(strstr(err.msg, "--canary") != NULL);
	}
	CHECK_INT(swap_canary_steps_check(2, 0, &err), -1);
	CHECK_INT(swap_canary_steps_check(1, 60000, &err), -1);
	CHECK_INT(swap_canary_steps_check(1, 0, &err), 0);
	CHECK_INT(swap_canary_steps_check(3, 60000, &err), 0);
}

TEST(probe_schedule_is_fast_until_the_first_success_then_the_period)
{
	struct version_config vc;

	version_config_defaults(&vc);
	struct probe_spec *p = &vc.probe;
	CHECK_INT(probe_first_delay_ms(p), PROBE_FIRST_MS);
	CHECK_INT(probe_next_delay_ms(p, false, 0), PROBE_STARTUP_FAST_MS);
	CHECK_INT(probe_next_delay_ms(p, false, 5000), PROBE_STARTUP_SLOW_MS);
	CHECK_INT(probe_next_delay_ms(p, true, 5000), 10000);
	/* the startup budget is what one probe per period gave */
	CHECK(!probe_startup_over(p, 29999));
	CHECK(probe_startup_over(p, 30000));
	/* an exec probe starts a process each time: not every 10 ms */
	p->kind = PROBE_EXEC;
	CHECK_INT(probe_next_delay_ms(p, false, 0), PROBE_STARTUP_EXEC_MS);
	CHECK_INT(probe_next_delay_ms(p, false, 5000), PROBE_STARTUP_EXEC_MS);
	/* never less often than the period */
	p->initial_delay_ms = 2000;
	p->period_ms = 5;
	CHECK_INT(probe_first_delay_ms(p), 2000);
	CHECK_INT(probe_next_delay_ms(p, false, 0), 5);
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
	RUN(probe_schedule_is_fast_until_the_first_success_then_the_period);
	RUN(version_config_every_field_round_trips);
	RUN(service_record_round_trips_with_its_deploy_settings);
	RUN(event_lines_escape_every_string_and_keep_their_field_names);
	RUN(swap_state_names_round_trip_and_an_unknown_name_is_refused);
	RUN(canary_shares_parse_and_bad_ones_are_refused);
	RUN(log_dir_is_var_log_zrun_for_the_default_root_and_under_any_other_root);
	UNIT_DONE();
}
