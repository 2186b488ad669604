/* libFuzzer target: one `--listen` value through listener_parse(), then
 * the set comparison the swap does with it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zrun_error err;
	struct listener l;
	char *spec = malloc(size + 1);

	if (spec == NULL)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';   /* a command-line argument: NUL-terminated */
	if (listener_parse(spec, 0, &l, &err) == 0)
		(void)listener_sets_equal(&l, 1, &l, 1);
	free(spec);
	return 0;
}
