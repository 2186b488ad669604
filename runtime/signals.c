/* Signal names for kill: "SIGTERM", "TERM", "15" (as runc accepts them). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "container.h"

static const struct { const char *name; int sig; } signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

int signal_parse(const char *name)
{
	char *end;

	if (name == NULL || *name == '\0')
		return -1;
	long n = strtol(name, &end, 10);
	if (*end == '\0')
		return (n > 0 && n < NSIG) ? (int)n : -1;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;
	/* RTMIN+n / RTMAX-n */
	if (strncasecmp(name, "RTMIN", 5) == 0) {
		long off = name[5] ? strtol(name + 5, &end, 10) : 0;
		if (*end == '\0' && SIGRTMIN + off <= SIGRTMAX && off >= 0)
			return SIGRTMIN + (int)off;
	}
	if (strncasecmp(name, "RTMAX", 5) == 0) {
		long off = name[5] ? strtol(name + 5, &end, 10) : 0;
		if (*end == '\0' && SIGRTMAX + off >= SIGRTMIN && off <= 0)
			return SIGRTMAX + (int)off;
	}
	return -1;
}
