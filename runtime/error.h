/* error: the one failure convention of zrun.
 * A function that can fail returns a negative value and fills a struct
 * zrun_error; callers add context with zrun_error_prefix(). Nothing in
 * runtime/ prints: the CLI prints the error once. */
#ifndef ZRUN_ERROR_H
#define ZRUN_ERROR_H

#include <stdarg.h>

#define ZRUN_ERROR_MSG_MAX 1024

struct zrun_error {
	int errno_value;              /* 0 when the failure was not a syscall */
	char msg[ZRUN_ERROR_MSG_MAX]; /* "what: why", already complete */
};

/* Set the message; appends ": strerror(errno_value)" when errno_value != 0.
 * Always returns -1 so callers can write `return zrun_error_set(...)`. */
int zrun_error_set(struct zrun_error *err, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "context: " to an error already set. Returns -1. */
int zrun_error_prefix(struct zrun_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void zrun_error_clear(struct zrun_error *err);

/* The -1 spelled out at each call: a reader of one file sees that the
 * failure path returns -1, and so do clang's analyzer and cppcheck, which
 * do not look into error.c (without this they report values "uninitialized"
 * on paths that in fact returned). (name) calls the function itself. */
#define zrun_error_set(...) ({ (void)(zrun_error_set)(__VA_ARGS__); -1; })
#define zrun_error_prefix(...) ({ (void)(zrun_error_prefix)(__VA_ARGS__); -1; })

#endif
