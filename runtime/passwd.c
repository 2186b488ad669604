#include "passwd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void passwd_user_name(uid_t uid, char *buf, size_t len)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	if (len > 0)
		buf[0] = '\0';
	if (f == NULL)
		return;
	/* name:password:uid:...; a line longer than the buffer is skipped
	 * whole (its rest would look like a line of its own) */
	bool rest = false;
	while (fgets(line, sizeof(line), f) != NULL) {
		bool whole = strchr(line, '\n') != NULL;
		bool skip = rest;
		rest = !whole;
		if (skip)
			continue;
		char *pw = strchr(line, ':');
		char *id = pw ? strchr(pw + 1, ':') : NULL;
		if (id == NULL)
			continue;
		char *end;
		unsigned long v = strtoul(id + 1, &end, 10);
		if (end == id + 1 || *end != ':' || v != (unsigned long)uid)
			continue;
		*pw = '\0';
		snprintf(buf, len, "%s", line);
		break;
	}
	fclose(f);
}
