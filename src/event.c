#include "event.h"

#include <stdarg.h>
#include <stdlib.h>

#include "json.h"

char *event_json(const struct event *ev)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "step");
	json_w_string(&w, ev->step);
	json_w_key(&w, "version");
	json_w_string(&w, ev->version);
	json_w_key(&w, "elapsed_ms");
	json_w_int(&w, ev->elapsed_ms);
	json_w_key(&w, "message");
	json_w_string(&w, ev->message);
	json_w_object_end(&w);
	return json_w_finish(&w);
}

void event_write(FILE *out, bool json, const struct event *ev)
{
	if (out == NULL)
		return;
	if (json) {
		char *line = event_json(ev);
		/* out of memory: the step is lost, never printed half-escaped */
		if (line)
			fprintf(out, "%s\n", line);
		free(line);
	} else {
		fprintf(out, "%s: %s\n", ev->label ? ev->label : ev->version, ev->message);
	}
	fflush(out);
}

void event_say(FILE *out, bool json, const char *step, const char *version, long elapsed_ms,
	       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (out == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	event_write(out, json, &(struct event){ .step = step, .version = version, .elapsed_ms = elapsed_ms,
						 .message = msg });
}
