#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdstore.h"
#include "supervisor_daemon.h"

/* Nothing else runs under those names: no command line reaches here as
 * them without the state root in the environment. */
void daemon_main(int argc, char **argv)
{
	const char *root = getenv(DAEMON_ROOT_ENV);

	if (argc != 2 || root == NULL || root[0] != '/')
		return;
	/* read by glibc already (fdstore_exec): not for the versions the
	 * supervisor restarts */
	unsetenv("GLIBC_TUNABLES");
	if (strcmp(argv[0], DAEMON_FDSTORE) == 0)
		fdstore_run(root, argv[1]);
	if (strcmp(argv[0], DAEMON_SUPERVISOR) == 0)
		supervisor_daemon_run(root, argv[1]);
}

void daemon_binary_for(const char *zrun_path, char *exe, size_t len)
{
	const char *slash = zrun_path ? strrchr(zrun_path, '/') : NULL;

	/* the installed pair: one directory, one make install, one protocol */
	if (zrun_path != NULL && zrun_path[0] == '/' && slash != NULL &&
	    (size_t)snprintf(exe, len, "%.*s/%s", (int)(slash - zrun_path), zrun_path, DAEMON_BINARY) < len &&
	    access(exe, X_OK) == 0)
		return;
	snprintf(exe, len, "%s", "/proc/self/exe");
}
