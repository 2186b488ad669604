/* zrun-daemon: the per-service daemons (`zrun-fdstore NAME`,
 * `zrun-supervisor NAME`) and nothing else, a static-pie that links only
 * their loops: each service's two processes map less than the whole
 * dynamic zrun (docs/decisions.md, "The fdstore and the supervisor are
 * exec'd images"). zrun execs it from beside itself (daemon.h). */
#include <stdio.h>

#include "daemon.h"

int main(int argc, char **argv)
{
	daemon_main(argc, argv);
	fprintf(stderr, "zrun-daemon: %s: not a daemon of a zrun service (zrun starts it, not a user)\n",
		argc > 0 ? argv[0] : "?");
	return 2;
}
