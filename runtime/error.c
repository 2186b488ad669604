#include "error.h"

#include <stdio.h>
#include <string.h>

int (zrun_error_set)(struct zrun_error *err, int errno_value, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	err->errno_value = errno_value;
	if (errno_value != 0) {
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errno_value));
	}
	return -1;
}

int (zrun_error_prefix)(struct zrun_error *err, const char *fmt, ...)
{
	char prefix[ZRUN_ERROR_MSG_MAX];
	char old[ZRUN_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Built by hand: the message is cut at the buffer's end on purpose. */
	size_t plen = strnlen(prefix, sizeof(err->msg) - 1);
	memcpy(err->msg, prefix, plen);
	size_t off = plen;
	for (const char *sep = ": "; *sep && off < sizeof(err->msg) - 1; sep++)
		err->msg[off++] = *sep;
	size_t olen = strnlen(old, sizeof(old));
	if (olen > sizeof(err->msg) - 1 - off)
		olen = sizeof(err->msg) - 1 - off;
	memcpy(err->msg + off, old, olen);
	err->msg[off + olen] = '\0';
	return -1;
}

void zrun_error_clear(struct zrun_error *err)
{
	if (err == NULL)
		return;
	err->errno_value = 0;
	err->msg[0] = '\0';
}
