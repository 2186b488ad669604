/* fault: see fault.h. Compiled in only with ZRUN_TEST_HOOKS (the test
 * build); nothing here runs unless ZRUN_TEST_FAULT is set. */
#include "fault.h"

#ifdef ZRUN_TEST_HOOKS

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static struct {
	bool read, armed, fail, stop;
	char point[128];
	int errno_value;
	long nth, hits;
} fault;

static const struct { const char *name; int value; } fault_errnos[] = {
	{ "ENOSPC", ENOSPC }, { "EMFILE", EMFILE }, { "EIO", EIO }, { "ENOMEM", ENOMEM },
	{ "EINVAL", EINVAL },
};

static void fault_read(void)
{
	const char *env = getenv("ZRUN_TEST_FAULT");
	char buf[256];

	fault.read = true;
	if (env == NULL || *env == '\0' || strlen(env) >= sizeof(buf))
		return;
	strcpy(buf, env);
	fault.nth = 1;
	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		fault.nth = strtol(at + 1, NULL, 10);
		if (fault.nth < 1)
			fault.nth = 1;
	}
	char *action = strchr(buf, ':');
	if (action) {
		*action++ = '\0';
		if (strncmp(action, "fail", 4) == 0) {
			fault.fail = true;
			fault.errno_value = EIO;
			if (action[4] == '=')
				for (size_t i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
					if (strcmp(action + 5, fault_errnos[i].name) == 0)
						fault.errno_value = fault_errnos[i].value;
		} else if (strcmp(action, "stop") == 0) {
			fault.stop = true;
		} else if (strcmp(action, "kill") != 0) {
			return; /* unknown action: stay inert */
		}
	}
	if (strlen(buf) >= sizeof(fault.point))
		return;
	strcpy(fault.point, buf);
	fault.armed = true;
}

/* true once, at the n-th time the named point is reached */
static bool fault_hit(const char *name)
{
	if (!fault.read)
		fault_read();
	if (!fault.armed || strcmp(name, fault.point) != 0)
		return false;
	return ++fault.hits == fault.nth;
}

void fault_point(const char *name)
{
	if (fault_hit(name) && !fault.fail)
		raise(fault.stop ? SIGSTOP : SIGKILL);
}

int fault_check(const char *name, struct zrun_error *err)
{
	if (!fault_hit(name))
		return 0;
	if (fault.stop) {
		raise(SIGSTOP);
		return 0;
	}
	if (!fault.fail)
		raise(SIGKILL);
	if (err)
		zrun_error_set(err, fault.errno_value, "injected fault at %s", name);
	errno = fault.errno_value;
	return -1;
}

#endif
