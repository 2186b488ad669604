#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

ssize_t idmap_format(const struct spec_id_mapping *m, size_t n, const char *what, char *buf,
		     size_t len, struct zrun_error *err)
{
	size_t off = 0;

	if (n > IDMAP_MAX_LINES)
		return zrun_error_set(err, 0, "%s: %zu mappings, the kernel takes at most %d", what, n,
				      IDMAP_MAX_LINES);
	for (size_t i = 0; i < n; i++) {
		/* snprintf returns what it would have written: the offset is
		 * only advanced by what fits, so a long map can never make the
		 * write below read past BUF (issue 13: a 4,125-byte read). */
		int w = snprintf(buf + off, len - off, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);
		if (w < 0)
			return zrun_error_set(err, errno, "%s", what);
		if (off + (size_t)w > IDMAP_MAX_BYTES)
			return zrun_error_set(err, 0, "%s: %zu mappings make a map of more than %d bytes, "
					      "the most the kernel takes", what, n, IDMAP_MAX_BYTES);
		if ((size_t)w >= len - off)
			return zrun_error_set(err, 0, "%s: the map does not fit in %zu bytes", what, len);
		off += (size_t)w;
	}
	return (ssize_t)off;
}

int idmap_check(const struct spec_id_mapping *m, size_t n, const char *what, struct zrun_error *err)
{
	char buf[IDMAP_MAX_BYTES + 1];

	return idmap_format(m, n, what, buf, sizeof(buf), err) < 0 ? -1 : 0;
}

int idmap_write(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
		const char *what, struct zrun_error *err)
{
	char path[64], buf[IDMAP_MAX_BYTES + 1];
	ssize_t len = idmap_format(m, n, what, buf, sizeof(buf), err);

	if (len < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return zrun_error_set(err, errno, "open %s", path);
	/* one write: the kernel takes a map only whole, at offset 0 */
	ssize_t w = write(fd, buf, (size_t)len);
	int e = errno;
	close(fd);
	if (w < 0)
		return zrun_error_set(err, e, "%s: write %s", what, file);
	if (w != len)
		return zrun_error_set(err, 0, "%s: write %s: short write", what, file);
	return 0;
}
