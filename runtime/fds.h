/* fds: closing every fd of a process but a chosen few, whatever their
 * numbers, before it runs someone else's code (a container's init, a
 * daemon forked from a command). */
#ifndef ZRUN_FDS_H
#define ZRUN_FDS_H

#include <stddef.h>

/* Closes every fd >= FROM that is not in KEEP[0..n) (sorted in place),
 * with close_range between the kept ones. */
void fds_close_except(unsigned int from, int *keep, size_t n);

#endif
