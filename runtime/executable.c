#include "executable.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *env_lookup(char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
	       access(path, X_OK) == 0;
}

int executable_resolve(const char *name, char *const *env, char *out, size_t len,
		       struct zrun_error *err)
{
	if (strchr(name, '/')) {
		if (!is_executable(name))
			return zrun_error_set(err, 0, "exec: \"%s\": %s", name,
				access(name, F_OK) < 0 ? "no such file or directory" : "permission denied");
		snprintf(out, len, "%s", name);
		return 0;
	}
	const char *path = env_lookup(env, "PATH");
	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t dlen = end ? (size_t)(end - path) : strlen(path);
		snprintf(out, len, "%.*s/%s", (int)dlen, dlen ? path : ".", name);
		if (is_executable(out))
			return 0;
		path += dlen + (end ? 1 : 0);
	}
	return zrun_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}
