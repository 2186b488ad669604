#include "capabilities.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"

static int last_cap(void)
{
	static int last = -1;

	if (last < 0) {
		last = CAP_LAST_CAP;
		/* The kernel may know more or fewer than our headers. */
		while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
			last++;
		while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0)
			last--;
	}
	return last;
}

/* config.md "Linux Process": a capability that "cannot be mapped to a
 * relevant kernel interface, or cannot be granted otherwise MUST be logged
 * as a warning"; runtimes "SHOULD NOT fail" (runc ignores them too). The
 * sets are applied without it (add_flags, in_set skip unknown names). */
static void warn_unknown(char **names, const char *set)
{
	for (size_t i = 0; names && names[i]; i++) {
		cap_value_t v;
		char msg[512];
		if (cap_from_name(names[i], &v) < 0)
			snprintf(msg, sizeof(msg), "process.capabilities.%s: unknown capability %s: ignored",
				 set, names[i]);
		else if ((int)v > last_cap())
			snprintf(msg, sizeof(msg), "process.capabilities.%s: %s is not in this kernel: ignored",
				 set, names[i]);
		else
			continue;
		hooks_warn(msg);
	}
}

void caps_warn_unknown(const struct spec_capabilities *caps)
{
	if (caps == NULL)
		return;
	warn_unknown(caps->bounding, "bounding");
	warn_unknown(caps->effective, "effective");
	warn_unknown(caps->inheritable, "inheritable");
	warn_unknown(caps->permitted, "permitted");
	warn_unknown(caps->ambient, "ambient");
}

int caps_check_name(const char *name, struct zrun_error *err)
{
	cap_value_t v;

	if (cap_from_name(name, &v) < 0)
		return zrun_error_set(err, 0, "unknown capability %s", name);
	return 0;
}

static bool in_set(char **names, int cap)
{
	for (size_t i = 0; names && names[i]; i++) {
		cap_value_t v;
		if (cap_from_name(names[i], &v) == 0 && (int)v == cap)
			return true;
	}
	return false;
}

int caps_prepare(const struct spec_capabilities *caps, struct zrun_error *err)
{
	if (caps == NULL)
		return 0;
	for (int c = 0; c <= last_cap(); c++) {
		if (!in_set(caps->bounding, c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return zrun_error_set(err, errno, "drop capability %d from the bounding set", c);
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return zrun_error_set(err, errno, "PR_SET_KEEPCAPS");
	return 0;
}

static int add_flags(cap_t c, char **names, cap_flag_t flag)
{
	for (size_t i = 0; names && names[i]; i++) {
		cap_value_t v;
		if (cap_from_name(names[i], &v) < 0 || (int)v > last_cap())
			continue; /* a capability this kernel does not have */
		if (cap_set_flag(c, flag, 1, &v, CAP_SET) < 0)
			return -1;
	}
	return 0;
}

int caps_apply(const struct spec_capabilities *caps, struct zrun_error *err)
{
	cap_t c;

	if (caps == NULL)
		return 0;
	c = cap_init();
	if (c == NULL)
		return zrun_error_set(err, errno, "cap_init");
	if (add_flags(c, caps->effective, CAP_EFFECTIVE) < 0 ||
	    add_flags(c, caps->permitted, CAP_PERMITTED) < 0 ||
	    add_flags(c, caps->inheritable, CAP_INHERITABLE) < 0) {
		cap_free(c);
		return zrun_error_set(err, errno, "capability sets");
	}
	if (cap_set_proc(c) < 0) {
		int e = errno;
		cap_free(c);
		return zrun_error_set(err, e, "set capabilities");
	}
	cap_free(c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return zrun_error_set(err, errno, "clear ambient capabilities");
	for (size_t i = 0; caps->ambient && caps->ambient[i]; i++) {
		cap_value_t v;
		if (cap_from_name(caps->ambient[i], &v) < 0 || (int)v > last_cap())
			continue;
		/* Raising fails (EPERM) unless the capability is both permitted and
		 * inheritable; runc ignores that, and so do we. */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0);
	}
	return 0;
}

int caps_switch_user(const struct spec_process *p, bool in_user_ns, struct zrun_error *err)
{
	const struct spec_user *u = &p->user;

	if (caps_prepare(p->capabilities, err) < 0)
		return -1;
	/* Always replace the groups: inherited host groups would otherwise stay
	 * (unmapped in a user namespace). Only a joined user namespace whose
	 * setgroups is "deny" refuses, and then there is nothing to drop. */
	if (setgroups(u->additional_gids_len, u->additional_gids) < 0 &&
	    !(in_user_ns && errno == EPERM && u->additional_gids_len == 0))
		return zrun_error_set(err, errno, "process.user.additionalGids");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return zrun_error_set(err, errno, "process.user.gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return zrun_error_set(err, errno, "process.user.uid %u", u->uid);
	if (caps_apply(p->capabilities, err) < 0)
		return -1;
	umask(u->has_umask ? u->umask : 022);
	return 0;
}
