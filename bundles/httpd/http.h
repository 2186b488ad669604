/* The request parser of httpd: one request head in, its method, target,
 * keep-alive and body length out. No allocation, no state between calls. */
#ifndef HTTPD_HTTP_H
#define HTTPD_HTTP_H
#include <stdbool.h>
#include <stddef.h>

struct request {
	bool head, keep_alive;
	const char *path;   /* into the head, not NUL-terminated */
	size_t path_len;
	const char *query;  /* after '?', or NULL */
	size_t query_len;
	size_t body_len;    /* Content-Length, to skip */
};

/* Parses head[0..head_len), which ends with the blank line. Returns 0 for a
 * good request, else the status to answer with (400, 405, 501); r's
 * keep_alive and body_len are valid for 405 too. */
int parse_request(const char *head, size_t head_len, struct request *r);

/* The value of KEY in the query as a number, or -1. */
long query_long(const struct request *r, const char *key);

bool path_is(const struct request *r, const char *path);

#endif
