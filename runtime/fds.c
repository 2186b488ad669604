#include "fds.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmp_int(const void *x, const void *y)
{
	return *(const int *)x - *(const int *)y;
}

void fds_close_except(unsigned int from, int *keep, size_t n)
{
	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}
