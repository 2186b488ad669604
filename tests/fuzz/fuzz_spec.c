/* libFuzzer target: config.json through spec_parse() (the bounded json
 * front door, yajl, and every typed reader of the spec), and the same bytes
 * as a `process.json` through spec_parse_process(). Any crash, sanitizer
 * report or leak (LSan) is a finding. */
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zrun_error err;
	struct spec *s = spec_parse((const char *)data, size, "config.json", &err);

	spec_free(s);
	struct spec_process *p = spec_parse_process((const char *)data, size, "process.json", &err);
	spec_process_free(p);
	return 0;
}
