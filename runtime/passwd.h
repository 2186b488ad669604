/* passwd: the name of a host user, read from /etc/passwd itself. zrun is a
 * static binary: getpwuid() there would load glibc's NSS modules at run
 * time (which only work with the very glibc zrun was linked with), and the
 * state's "owner" needs no more than the files database. */
#ifndef ZRUN_PASSWD_H
#define ZRUN_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

/* The name of uid in /etc/passwd into buf; "" when it has none (or no
 * such file), as runc's state leaves it. */
void passwd_user_name(uid_t uid, char *buf, size_t len);

#endif
