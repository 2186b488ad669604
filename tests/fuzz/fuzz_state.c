/* libFuzzer target: a container's state.json through state_parse_json()
 * (what state_read() does with the file), then the runc `state` output of
 * what was read, since that re-emits the parsed strings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zrun_error err;
	struct container_state st;

	if (state_parse_json((const char *)data, size, "state.json", &st, &err) == 0) {
		/* A root that does not exist: the live status reads nothing. */
		free(state_to_oci_json("/nonexistent-zrun-fuzz", &st, true));
		state_clear(&st);
	}
	return 0;
}
