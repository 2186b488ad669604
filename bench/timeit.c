/* timeit: run one command, append "wall_ns maxrss_kb status" to a file.
 * The benchmark's own stopwatch: forking date(1) around each operation would add
 * ~1 ms of noise to operations that take 3-20 ms, and wait4() gives the peak RSS
 * of the runtime process (and of the children it reaped) for free.
 *
 * Usage: timeit [-i IDLE_MS] [-p CGROUP_PROCS] OUTFILE COMMAND [ARG...]
 *   -i IDLE_MS  sleep that long before starting the clock (no fork, no cgroup
 *               migration in between, so cgroup v1's idle RCU wait is exposed)
 *   -p FILE     write our own pid to FILE (the cgroup.procs of the cgroup we are
 *               already in) just before starting the clock: a migration that
 *               moves nothing but takes cgroup_threadgroup_rwsem for writing,
 *               so the runtime's own attach finds the RCU sync already in its
 *               slow mode. This makes "back to back" mean the same for each
 *               runtime, whatever the one before it did.
 * Exit status: the command's (128+signal if it was killed), 127 if it could not run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return -1;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	long idle_ms = 0;
	const char *prime_path = NULL;
	int arg = 1;

	while (argc - arg > 2 && argv[arg][0] == '-') {
		if (strcmp(argv[arg], "-i") == 0)
			idle_ms = strtol(argv[arg + 1], NULL, 10);
		else if (strcmp(argv[arg], "-p") == 0)
			prime_path = argv[arg + 1];
		else
			break;
		arg += 2;
	}
	if (argc - arg < 2) {
		fprintf(stderr, "usage: timeit [-i IDLE_MS] [-p CGROUP_PROCS] OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	int out = open(argv[arg], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[arg], strerror(errno));
		return 2;
	}
	if (idle_ms > 0)
		sleep_ms(idle_ms);
	if (prime_path != NULL) {
		int procs = open(prime_path, O_WRONLY | O_CLOEXEC);
		if (procs < 0 || dprintf(procs, "%d\n", (int)getpid()) < 0) {
			fprintf(stderr, "timeit: %s: %s\n", prime_path, strerror(errno));
			return 2;
		}
		close(procs);
	}

	long long start_ns = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[arg + 1], argv + arg + 1);
		fprintf(stderr, "timeit: %s: %s\n", argv[arg + 1], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage usage;
	pid_t got;
	while ((got = wait4(pid, &status, 0, &usage)) < 0 && errno == EINTR)
		;
	long long wall_ns = now_ns() - start_ns;
	if (got < 0) {
		fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
		return 2;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (dprintf(out, "%lld %ld %d\n", wall_ns, usage.ru_maxrss, code) < 0) {
		fprintf(stderr, "timeit: %s: %s\n", argv[arg], strerror(errno));
		return 2;
	}
	close(out);
	return code;
}
