/* libFuzzer target: the http probe's response parser, fed what a
 * container's server may send (up to the probe's 8 KiB read buffer). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int status = 0;
	bool complete;
	char *buf;

	if (size > PROBE_RESPONSE_MAX)
		size = PROBE_RESPONSE_MAX;
	/* An exact-size copy: ASan catches any read past the bytes received. */
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (probe_parse_http_status(buf, size, &status, &complete) == 0 && (status < 0 || status > 999))
		abort();
	free(buf);
	return 0;
}
