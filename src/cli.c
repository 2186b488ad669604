#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "state.h"

#define MAX_OPTS 48

void cli_print_help(const struct command *cmd)
{
	printf("Usage: zrun [global options] %s [options] %s\n\n%s\n", cmd->name,
	       cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->opts && cmd->opts[0].name)
		printf("\nOptions:\n");
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++) {
		char left[64];
		if (o->key < 256)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key, o->name,
				 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->arg_name ? " " : "", o->arg_name ? o->arg_name : "");
		printf("  %-30s %s\n", left, o->help);
	}
	printf("  %-30s %s\n", "-h, --help", "show this help");
}

/* getopt_long's tables from a command's option table. */
static void build_options(const struct command *cmd, struct option *longopts, char *shortopts)
{
	/* '-': every word that is not an option comes back in order as an
	 * option 1, so options may follow positional arguments and the parser
	 * sees where a program's arguments begin (GNU permutation would take
	 * the -l of `exec ID ls -l` for zrun's). ':' : a missing value is
	 * reported as ':', for long options too, not as an unknown option. */
	size_t n = 0, s = 0;

	shortopts[s++] = '-';
	shortopts[s++] = ':';
	shortopts[s++] = 'h';
	for (const struct cli_opt *o = cmd->opts; o && o->name && n < MAX_OPTS; o++, n++) {
		longopts[n] = (struct option){ o->name, o->has_arg, NULL, o->key };
		if (o->key < 256) {
			shortopts[s++] = (char)o->key;
			if (o->has_arg == required_argument)
				shortopts[s++] = ':';
		}
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n] = (struct option){ 0 };
	shortopts[s] = '\0';
}

static int bad_option(struct cli_ctx *ctx, int c, char **argv)
{
	/* name the option as the user wrote it: "--long" or the one letter
	 * of a bundle like "-qx" */
	const char *name = ctx->cmd->name;
	const char *word = argv[optind - 1];
	char letter[8];

	if (strncmp(word, "--", 2) != 0 && optopt > 0 && optopt < 256) {
		snprintf(letter, sizeof(letter), "-%c", optopt);
		word = letter;
	}
	if (c == ':')
		return zrun_error_set(&ctx->err, 0, "%s: option %s needs a value", name, word);
	return zrun_error_set(&ctx->err, 0, "%s: unknown option %s (see zrun %s --help)", name, word, name);
}

/* Put the positional words (is_pos) last, in their order, so that a command
 * reads them as argv[first ..]; returns first. */
static int positionals_last(int argc, char **argv, const bool *is_pos)
{
	char **words = malloc((size_t)argc * sizeof(*words));
	int k = 1, npos = 0;

	if (words == NULL)
		return -1;
	for (int i = 1; i < argc; i++)
		if (!is_pos[i])
			words[k++] = argv[i];
	int first = k;
	for (int i = 1; i < argc; i++)
		if (is_pos[i])
			words[first + npos++] = argv[i];
	memcpy(argv + 1, words + 1, (size_t)(argc - 1) * sizeof(*argv));
	free(words);
	return first;
}

int cli_parse(struct cli_ctx *ctx, int argc, char **argv, int *first_arg,
	      int (*on_opt)(struct cli_ctx *ctx, int key, const char *arg, void *data), void *data)
{
	struct option longopts[MAX_OPTS + 2];
	char shortopts[MAX_OPTS * 2 + 4];
	const struct command *cmd = ctx->cmd;
	bool *is_pos = calloc((size_t)argc + 1, sizeof(*is_pos));
	int npos = 0, rest = argc, r = 0;

	if (is_pos == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "%s", cmd->name);
	build_options(cmd, longopts, shortopts);
	optind = 0; /* 0, not 1: glibc re-initialises its scan state */
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == -1) {
			rest = optind; /* after "--", or argc */
			break;
		}
		if (c == 1) {
			is_pos[optind - 1] = true;
			/* after the id of exec or ps, every word is the program's */
			if (cmd->program_after > 0 && ++npos >= cmd->program_after) {
				/* `exec ID -- CMD`: the "--" still only ends options */
				rest = optind + (optind < argc && strcmp(argv[optind], "--") == 0);
				break;
			}
			continue;
		}
		if (c == 'h') {
			cli_print_help(cmd);
			r = 1;
			break;
		}
		if (c == ':' || c == '?' || on_opt(ctx, c, optarg, data) < 0) {
			r = c == ':' || c == '?' ? bad_option(ctx, c, argv) : -1;
			break;
		}
	}
	for (int i = rest; r == 0 && i < argc; i++)
		is_pos[i] = true;
	if (r == 0 && (*first_arg = positionals_last(argc, argv, is_pos)) < 0)
		r = zrun_error_set(&ctx->err, ENOMEM, "%s", cmd->name);
	free(is_pos);
	return r;
}

int cli_expect_args(struct cli_ctx *ctx, int argc, int first, int want)
{
	int have = argc - first;

	if (have < want)
		return zrun_error_set(&ctx->err, 0, "%s: expects %s (see zrun %s --help)",
				      ctx->cmd->name, ctx->cmd->args, ctx->cmd->name);
	if (have > want)
		return zrun_error_set(&ctx->err, 0, "%s: too many arguments: expects %s (see zrun %s --help)",
				      ctx->cmd->name, want ? ctx->cmd->args : "none", ctx->cmd->name);
	return 0;
}

int cli_parse_uint(struct cli_ctx *ctx, const char *opt, const char *value, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(value, &end, 10);
	if (errno || *end || value[0] == '-' || value[0] == '\0')
		return zrun_error_set(&ctx->err, 0, "%s: --%s: \"%s\" is not a non-negative integer",
				      ctx->cmd->name, opt, value);
	*out = v;
	return 0;
}

void cli_log(const struct cli_ctx *ctx, const char *level, const char *msg)
{
	char now[64], *line = NULL;

	if (ctx->log_path == NULL)
		return;
	state_now_rfc3339(now, sizeof(now));
	/* Both formats quote msg with json.c's escaping (logrus does too): a
	 * quote or a newline in a path must not end the field or the line. */
	if (ctx->log_json) {
		struct json_writer w;
		json_w_init(&w, false);
		json_w_object_begin(&w);
		json_w_key(&w, "level");
		json_w_string(&w, level);
		json_w_key(&w, "msg");
		json_w_string(&w, msg);
		json_w_key(&w, "time");
		json_w_string(&w, now);
		json_w_object_end(&w);
		line = json_w_finish(&w);
	} else {
		struct json_buf b = { 0 };
		json_buf_printf(&b, "time=\"%s\" level=%s msg=", now, level);
		json_escape(&b, msg);
		line = b.failed ? NULL : b.data;
		if (line == NULL)
			json_buf_free(&b);
	}
	int fd = line ? open(ctx->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd >= 0) {
		/* one writev: the line and its newline land together in O_APPEND */
		struct iovec iov[2] = { { line, strlen(line) }, { "\n", 1 } };
		if (writev(fd, iov, 2) < 0) {
			/* nothing better to do: stderr has the message too */
		}
		close(fd);
	}
	free(line);
}

void cli_print_line(FILE *f, const char *prefix, const char *msg)
{
	fputs(prefix, f);
	/* Messages echo user input (ids, paths, JSON keys): a raw escape
	 * sequence or newline must not reach the terminal or split the line. */
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

void cli_report_error(const struct cli_ctx *ctx, const char *msg)
{
	cli_print_line(stderr, "zrun: ", msg);
	cli_log(ctx, "error", msg);
}
