/* libFuzzer target: `--probe` values (probe_parse) and durations
 * (`--probe-timeout 1.5s`, duration_parse). The first byte picks which. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zrun_error err;
	struct probe_spec p;
	long ms;
	char *arg;

	if (size == 0)
		return 0;
	arg = malloc(size);
	if (arg == NULL)
		return 0;
	memcpy(arg, data + 1, size - 1);
	arg[size - 1] = '\0';   /* a command-line argument: NUL-terminated */
	if (data[0] & 1) {
		memset(&p, 0, sizeof(p));
		if (probe_parse(arg, &p, &err) == 0 && strlen(p.target) >= sizeof(p.target))
			abort();
	} else if (duration_parse(arg, &ms) == 0 && (ms < 0 || ms > 7L * 86400000)) {
		abort();  /* the documented range: 0 .. 7 days */
	}
	free(arg);
	return 0;
}
