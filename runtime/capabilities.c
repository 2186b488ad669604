#include "capabilities.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <stddef.h>
#include <sys/syscall.h>
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

/* The five sets as the kernel takes them (capset(2), version 3: two 32-bit
 * words per set), and the ambient capabilities to raise. Computed before
 * the seccomp filter is loaded, so the switch itself is syscalls only. */
static void add_bits(struct __user_cap_data_struct *d, size_t set_offset, char **names)
{
	for (size_t i = 0; names && names[i]; i++) {
		cap_value_t v;
		if (cap_from_name(names[i], &v) < 0 || (int)v > last_cap())
			continue; /* a capability this kernel does not have */
		__u32 *word = (__u32 *)((char *)&d[v / 32] + set_offset);
		*word |= 1U << (v % 32);
	}
}

int caps_switch_prepare(const struct spec_process *p, struct caps_switch *sw, struct zrun_error *err)
{
	const struct spec_capabilities *caps = p->capabilities;

	memset(sw, 0, sizeof(*sw));
	sw->user = &p->user;
	if (caps_prepare(caps, err) < 0)
		return -1;
	/* Before the filter: the program gets it, and nothing of ours
	 * creates a file after this. */
	umask(p->user.has_umask ? p->user.umask : 022);
	if (caps == NULL)
		return 0;
	sw->has_caps = true;
	add_bits(sw->data, offsetof(struct __user_cap_data_struct, effective), caps->effective);
	add_bits(sw->data, offsetof(struct __user_cap_data_struct, permitted), caps->permitted);
	add_bits(sw->data, offsetof(struct __user_cap_data_struct, inheritable), caps->inheritable);
	for (size_t i = 0; caps->ambient && caps->ambient[i]; i++) {
		cap_value_t v;
		if (cap_from_name(caps->ambient[i], &v) < 0 || (int)v > last_cap() ||
		    sw->ambient_len == sizeof(sw->ambient) / sizeof(sw->ambient[0]))
			continue;
		sw->ambient[sw->ambient_len++] = v;
	}
	return 0;
}

/* Only syscalls, no allocation: this may run under the container's own
 * seccomp profile (noNewPrivileges unset), which allows the user switch
 * and little else. */
int caps_switch_finish(const struct caps_switch *sw, bool in_user_ns, struct zrun_error *err)
{
	const struct spec_user *u = sw->user;

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
	if (!sw->has_caps)
		return 0;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	if (syscall(SYS_capset, &hdr, sw->data) < 0)
		return zrun_error_set(err, errno, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return zrun_error_set(err, errno, "clear ambient capabilities");
	/* Raising fails (EPERM) unless the capability is both permitted and
	 * inheritable; runc ignores that, and so do we. */
	for (size_t i = 0; i < sw->ambient_len; i++)
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, sw->ambient[i], 0, 0);
	return 0;
}

