/* cgroup_systemd_name: the names of the systemd driver (see
 * cgroup_systemd.h): runc's "slice:prefix:name" cgroupsPath and systemd's
 * slice paths. Pure string work, no bus, so that unit tests cover it. */
#include "cgroup_systemd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A unit name's characters, as systemd's unit_name_is_valid: letters,
 * digits, ":-_.\" (zrun leaves out '@' templates and '\' escapes). */
static bool unit_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr(":-_.", s[i]) != NULL))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int systemd_slice_path(const char *slice, char *out, size_t size, struct zrun_error *err)
{
	size_t len = strlen(slice), o = 0, base;

	if (!ends_with(slice, ".slice") || len == strlen(".slice") || len >= SYSTEMD_UNIT_NAME_MAX ||
	    !unit_chars_ok(slice, len))
		return zrun_error_set(err, 0, "systemd slice \"%s\": not a slice name (NAME.slice)", slice);
	if (strcmp(slice, "-.slice") == 0) {
		if (size < 2)
			return zrun_error_set(err, ENAMETOOLONG, "systemd slice \"%s\"", slice);
		snprintf(out, size, "/");
		return 0;
	}
	base = len - strlen(".slice");
	/* systemd: no leading, trailing or doubled '-' (each '-' is a level). */
	if (slice[0] == '-' || slice[base - 1] == '-' || memmem(slice, base, "--", 2) != NULL)
		return zrun_error_set(err, 0, "systemd slice \"%s\": a '-' may only separate two names", slice);
	out[0] = '\0';
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		int n = snprintf(out + o, size - o, "/%.*s.slice", (int)i, slice);
		if (n < 0 || (size_t)n >= size - o)
			return zrun_error_set(err, ENAMETOOLONG, "systemd slice \"%s\"", slice);
		o += (size_t)n;
	}
	return 0;
}

int systemd_scope_parse(const char *cgroups_path, const char *id, const char *slice_default,
			struct systemd_scope *s, struct zrun_error *err)
{
	const char *slice = slice_default ? slice_default : SYSTEMD_DEFAULT_SLICE;
	const char *prefix = SYSTEMD_DEFAULT_PREFIX, *name = id;
	char buf[PATH_MAX];
	int n;

	memset(s, 0, sizeof(*s));
	if (cgroups_path != NULL && cgroups_path[0] != '\0') {
		char *c1, *c2;
		if (strlen(cgroups_path) >= sizeof(buf) ||
		    (c1 = strchr(strcpy(buf, cgroups_path), ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL || strchr(c2 + 1, ':') != NULL)
			return zrun_error_set(err, 0, "linux.cgroupsPath \"%s\": expected \"slice:prefix:name\" for systemd cgroups (runc's format, e.g. \"system.slice:docker:ID\")",
					      cgroups_path);
		*c1 = *c2 = '\0';
		if (buf[0] != '\0')
			slice = buf;
		prefix = c1 + 1;
		name = c2 + 1;
	}
	if (name == NULL || name[0] == '\0')
		return zrun_error_set(err, 0, "linux.cgroupsPath \"%s\": the name part is empty",
				      cgroups_path ? cgroups_path : "");
	/* runc: a name that is itself a slice is the container's cgroup as it is. */
	if (ends_with(name, ".slice"))
		return zrun_error_set(err, 0, "linux.cgroupsPath \"%s\": a slice as the container's unit is not supported; name a scope",
				      cgroups_path ? cgroups_path : "");
	n = prefix[0] != '\0' ? snprintf(s->unit, sizeof(s->unit), "%s-%s.scope", prefix, name)
			      : snprintf(s->unit, sizeof(s->unit), "%s.scope", name);
	if (n < 0 || (size_t)n >= sizeof(s->unit) || !unit_chars_ok(s->unit, strlen(s->unit)))
		return zrun_error_set(err, 0, "linux.cgroupsPath \"%s\": \"%s\" is not a valid systemd unit name",
				      cgroups_path ? cgroups_path : "", n > 0 && (size_t)n < sizeof(s->unit) ? s->unit : name);
	snprintf(s->slice, sizeof(s->slice), "%s", slice);
	if (strlen(slice) >= sizeof(s->slice) ||
	    systemd_slice_path(s->slice, s->path, sizeof(s->path), err) < 0)
		return zrun_error_prefix(err, "linux.cgroupsPath \"%s\"", cgroups_path ? cgroups_path : "");
	size_t len = strlen(s->path);
	if (strcmp(s->path, "/") == 0)
		len = 0;
	n = snprintf(s->path + len, sizeof(s->path) - len, "/%s", s->unit);
	if (n < 0 || (size_t)n >= sizeof(s->path) - len)
		return zrun_error_set(err, ENAMETOOLONG, "linux.cgroupsPath");
	return 0;
}

int systemd_check_booted(struct zrun_error *err)
{
	struct stat st;

	/* sd_booted()'s test, without linking libsystemd for it. */
	if (lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return zrun_error_set(err, 0, "--systemd-cgroup: systemd is not this host's init (/run/systemd/system is missing); use the cgroupfs driver (omit the flag)");
}
