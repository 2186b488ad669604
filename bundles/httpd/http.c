/* The request parser of httpd (see http.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define BODY_MAX_BYTES (1 << 20)

static bool header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

static bool has_token(const char *v, size_t len, const char *token)
{
	size_t n = strlen(token);
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(v + i, token, n) == 0 &&
		    (i == 0 || v[i - 1] == ' ' || v[i - 1] == ',') &&
		    (i + n == len || v[i + n] == ' ' || v[i + n] == ',' || v[i + n] == '\r'))
			return true;
	return false;
}

int parse_request(const char *head, size_t head_len, struct request *r)
{
	const char *p = head, *end = head + head_len;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	int status = 0;

	memset(r, 0, sizeof(*r));
	if (!sp1 || !sp2 || eol - sp2 < 9 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	r->keep_alive = sp2[8] != '0';  /* HTTP/1.1 and later: keep-alive */
	r->head = sp1 - p == 4 && memcmp(p, "HEAD", 4) == 0;
	if (!r->head && !(sp1 - p == 3 && memcmp(p, "GET", 3) == 0))
		status = 405;  /* after the headers: the body and Connection count */
	r->path = sp1 + 1;
	r->path_len = (size_t)(sp2 - r->path);
	r->query = memchr(r->path, '?', r->path_len);
	if (r->query) {
		r->query_len = (size_t)(sp2 - r->query - 1);
		r->path_len = (size_t)(r->query - r->path);
		r->query++;
	}
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(eol - p);
		const char *v = memchr(p, ':', len);
		size_t vlen = v ? (size_t)(eol - v - 1) : 0;
		if (header_is(p, len, "Connection")) {
			if (has_token(v + 1, vlen, "close"))
				r->keep_alive = false;
			else if (has_token(v + 1, vlen, "keep-alive"))
				r->keep_alive = true;
		} else if (header_is(p, len, "Transfer-Encoding")) {
			return 501;
		} else if (header_is(p, len, "Content-Length")) {
			long n = strtol(v + 1, NULL, 10);
			if (n < 0 || n > BODY_MAX_BYTES)
				return 400;
			r->body_len = (size_t)n;
		}
	}
	return status;
}

long query_long(const struct request *r, const char *key)
{
	size_t klen = strlen(key);
	const char *q = r->query, *end;

	if (!q)
		return -1;
	for (end = q + r->query_len; q < end;) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		if (!amp)
			amp = end;
		if ((size_t)(amp - q) > klen && q[klen] == '=' && !strncmp(q, key, klen))
			return strtol(q + klen + 1, NULL, 10);
		q = amp + 1;
	}
	return -1;
}

bool path_is(const struct request *r, const char *path)
{
	return r->path_len == strlen(path) && !memcmp(r->path, path, r->path_len);
}
