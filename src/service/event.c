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

/* A message quotes what the user gave (a probe's command or path): its
 * control characters are written as \xHH, as cli_print_line does for
 * errors, so that they cannot repaint a terminal or forge a line. */
static void put_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
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
		fprintf(out, "%s: ", ev->label ? ev->label : ev->version);
		put_text(out, ev->message);
		fputc('\n', out);
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
