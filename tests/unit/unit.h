/* unit: a tiny TAP producer for the C unit tests. Each test binary prints
 * "ok N - name" / "not ok N - name" lines and exits non-zero on a failure;
 * tests/run.sh counts them. A failing check prints what it expected and saw. */
#ifndef ZRUN_UNIT_H
#define ZRUN_UNIT_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed, unit_case_failed;

#define CHECK(cond) do { if (!(cond)) { \
	printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	unit_case_failed = 1; } } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
	if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) { \
	printf("#   %s:%d: expected \"%s\", saw \"%s\"\n", __FILE__, __LINE__, \
	       w_ ? w_ : "(null)", g_ ? g_ : "(null)"); unit_case_failed = 1; } } while (0)

#define CHECK_INT(got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { printf("#   %s:%d: %s: expected %lld, saw %lld\n", __FILE__, __LINE__, \
	#got, w_, g_); unit_case_failed = 1; } } while (0)

#define TEST(name) static void name(void)
#define RUN(name) do { unit_case_failed = 0; name(); unit_n++; \
	if (unit_case_failed) unit_failed++; \
	printf("%s %d - %s\n", unit_case_failed ? "not ok" : "ok", unit_n, #name); \
	/* stdout is a file under the VM and tests/run.sh: a binary killed by \
	 * a timeout must still show the cases it finished */ \
	fflush(stdout); } while (0)
/* The fds open in this process (through /proc/self/fd): a check that a
 * receiver left none open counts them before and after. */
static inline int unit_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

#define UNIT_DONE() do { printf("1..%d\n", unit_n); return unit_failed ? 1 : 0; } while (0)

#endif
