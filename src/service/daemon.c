#include "daemon.h"

#include <stdlib.h>
#include <string.h>

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
