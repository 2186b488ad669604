/* LD_PRELOAD for the tests: strdup() of a string that starts with
 * $ZRUN_TEST_FAIL_STRDUP returns NULL with ENOMEM, as under memory
 * pressure, so a test reaches the out-of-memory path of the one call that
 * copies that string (a container id, say). Other calls are untouched. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	static char *(*real)(const char *);
	const char *prefix = getenv("ZRUN_TEST_FAIL_STRDUP");

	if (prefix != NULL && *prefix != '\0' && strncmp(s, prefix, strlen(prefix)) == 0) {
		errno = ENOMEM;
		return NULL;
	}
	if (real == NULL)
		real = (char *(*)(const char *))dlsym(RTLD_NEXT, "strdup");
	return real(s);
}
