#include "deploy.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "event.h"

#define DEPLOY_TIMEOUT_MS 120000

static bool recorded(const struct service *svc)
{
	return svc->settings.service[0] != '\0';
}

void deploy_settings_resolve(struct deploy_opts *o, const struct service *svc, struct version_config *base)
{
	if (recorded(svc)) {
		*base = svc->settings;
	} else {
		version_config_defaults(base);
		/* deploy's own default (create's is no) */
		base->restart = RESTART_ON_FAILURE;
	}
	o->vo.base = base;
	if (o->replicas <= 0)
		o->replicas = svc->replicas > 0 ? svc->replicas : 1;
	if (o->keep_old < 0)
		o->keep_old = recorded(svc) && svc->keep_old;
	if (o->timeout_ms <= 0)
		o->timeout_ms = recorded(svc) && svc->timeout_ms > 0 ? svc->timeout_ms : DEPLOY_TIMEOUT_MS;
	/* 0 stays 0 (the default, resolved when used): a record made on
	 * one host does not pin another host's CPU count */
	if (o->max_starting <= 0)
		o->max_starting = recorded(svc) ? svc->max_starting : 0;
}

int deploy_max_starting(int setting)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (setting > 0)
		return setting;
	if (cpus < 1)
		cpus = 1;
	return cpus * DEPLOY_STARTING_PER_CPU >= DEPLOY_REPLICAS_MAX ? DEPLOY_REPLICAS_MAX
								     : (int)cpus * DEPLOY_STARTING_PER_CPU;
}

/* --max-starting's value in its own words: "all" is no limit */
static void starting(char *buf, size_t len, int n)
{
	if (n <= 0)
		snprintf(buf, len, "default");
	else if (n >= DEPLOY_REPLICAS_MAX)
		snprintf(buf, len, "all");
	else
		snprintf(buf, len, "%d", n);
}

static void duration(char *buf, size_t len, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lds", ms / 1000);
	else
		snprintf(buf, len, "%ldms", ms);
}

enum setting {
	S_PROBE, S_DELAY, S_PERIOD, S_TIMEOUT, S_SUCCESS, S_FAILURE, S_STOP_SIGNAL, S_GRACE, S_NET, S_INTERCEPT,
	S_RESTART, S_COUNT
};

/* The flag's name of each setting and its value in the flag's words. */
static const char *describe(enum setting s, const struct version_config *vc, char *buf, size_t len)
{
	const struct probe_spec *p = &vc->probe;
	const char *sig;

	switch (s) {
	case S_PROBE:
		if (p->kind == PROBE_HTTP || p->kind == PROBE_EXEC)
			snprintf(buf, len, "%s:%s", probe_kind_name(p->kind), p->target);
		else
			snprintf(buf, len, "%s", probe_kind_name(p->kind));
		return "probe";
	case S_DELAY: duration(buf, len, p->initial_delay_ms); return "probe-initial-delay";
	case S_PERIOD: duration(buf, len, p->period_ms); return "probe-period";
	case S_TIMEOUT: duration(buf, len, p->timeout_ms); return "probe-timeout";
	case S_SUCCESS: snprintf(buf, len, "%d", p->success_threshold); return "probe-success-threshold";
	case S_FAILURE: snprintf(buf, len, "%d", p->failure_threshold); return "probe-failure-threshold";
	case S_STOP_SIGNAL:
		sig = sigabbrev_np(vc->stop_signal);
		if (sig)
			snprintf(buf, len, "SIG%s", sig);
		else
			snprintf(buf, len, "%d", vc->stop_signal);
		return "stop-signal";
	case S_GRACE: duration(buf, len, vc->grace_period_ms); return "grace-period";
	case S_NET: snprintf(buf, len, "%s", vc->own_netns ? "own" : "service"); return "net";
	case S_INTERCEPT: snprintf(buf, len, "%s", vc->intercept ? "on" : "off"); return "intercept";
	case S_RESTART: restart_format(vc->restart, vc->restart_max, buf, len); return "restart";
	case S_COUNT: break;
	}
	buf[0] = '\0';
	return "";
}

static void changed(const struct deploy_opts *o, const char *group, long elapsed_ms, const char *name,
		    const char *was, const char *now)
{
	if (strcmp(was, now) != 0)
		event_say(o->out, o->json, "changed", group, elapsed_ms, "%s: %s -> %s", name, was, now);
}

void deploy_settings_report(const struct deploy_opts *o, const struct service *svc, const struct version_config *now,
			    const char *group, long elapsed_ms)
{
	char was[600], is[600];

	if (!recorded(svc))
		return;
	snprintf(was, sizeof(was), "%d", svc->replicas);
	snprintf(is, sizeof(is), "%d", o->replicas);
	if (svc->replicas > 0)
		changed(o, group, elapsed_ms, "replicas", was, is);
	changed(o, group, elapsed_ms, "keep-old", svc->keep_old ? "on" : "off", o->keep_old ? "on" : "off");
	if (svc->timeout_ms > 0) {
		duration(was, sizeof(was), svc->timeout_ms);
		duration(is, sizeof(is), o->timeout_ms);
		changed(o, group, elapsed_ms, "timeout", was, is);
	}
	starting(was, sizeof(was), svc->max_starting);
	starting(is, sizeof(is), o->max_starting);
	changed(o, group, elapsed_ms, "max-starting", was, is);
	for (int s = 0; s < S_COUNT; s++) {
		const char *name = describe(s, &svc->settings, was, sizeof(was));
		describe(s, now, is, sizeof(is));
		changed(o, group, elapsed_ms, name, was, is);
	}
}

void deploy_settings_record(struct service *svc, const struct deploy_opts *o, const struct version_config *now)
{
	version_config_settings(&svc->settings, now);
	if (o == NULL)
		return;
	svc->replicas = o->replicas;
	svc->keep_old = o->keep_old;
	svc->timeout_ms = o->timeout_ms;
	svc->max_starting = o->max_starting;
}
