/* service_log: where a service's logs live and how a version's output gets
 * there. The supervisor drains each version's stdout/stderr pipe into
 * DIR/ID.log (rotated to ID.log.1, ID.log.2 before passing the cap), each
 * line prefixed with the UTC time it was read, so that `zrun logs` can put
 * the lines of all versions in time order. DIR outlives the state under
 * /run: /var/log/zrun/SERVICE for the default root, ROOT/.logs/SERVICE for
 * any other (so a test's or a user's own root never writes into the
 * system's /var/log). */
#ifndef ZRUN_SERVICE_LOG_H
#define ZRUN_SERVICE_LOG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "state.h"

#define SERVICE_LOG_MAX_BYTES (1024 * 1024)  /* per file; 2 rotations kept */
#define SERVICE_LOG_SYSTEM_DIR "/var/log/zrun"
#define SERVICE_LOG_DEFAULT_ROOT "/run/zrun"
/* "2026-12-06T23:24:00.123Z ": every line of a log file starts so */
#define SERVICE_LOG_TIME_LEN 24

/* DIR for the service's logs (see above). -1 when it does not fit. */
int service_log_dir(char *buf, size_t len, const char *root, const char *service);

/* One version's pipe and the file it is drained into. */
struct log_sink {
	bool used;
	bool mid_line;          /* the last byte written was not a newline */
	char id[STATE_ID_MAX + 1];
	char dir[PATH_MAX];
	int pipe_fd, file_fd;
	off_t size;
};

/* Takes pipe_fd (made non-blocking) and opens DIR/ID.log, making DIR. */
void log_sink_open(struct log_sink *l, const char *root, const char *service, const char *id, int pipe_fd);
/* Read what the pipe holds (never blocks) and append it, timestamped. 1 when
 * the pipe ended. */
int log_sink_drain(struct log_sink *l);
void log_sink_close(struct log_sink *l);

/* Open DIR/ID.log to append (O_CLOEXEC), making DIR; -1 on failure. */
int service_log_open(const char *root, const char *service, const char *id);

/* The last line ID wrote (without the time in front) into out, cut to len,
 * if written at or after since (RFC 3339 UTC, as state's "created"; NULL:
 * any); -1 when there is none (a version made by `zrun create` keeps
 * create's stdio, and a log outlives its version). */
int service_log_last_line(const char *root, const char *service, const char *id, const char *since, char *out,
			  size_t len);

/* "api-3.r2.log.1" -> id "api-3.r2", group "api-3"; false if not a log. */
bool service_log_file_id(const char *name, char *id, size_t id_len, char *group, size_t group_len);

#endif
