/* test_procfs: the one reader of /proc/PID/stat (runtime/procfs.c), which
 * state.c (pid reuse), the supervisor (a zombie's exit status) and
 * `service status` (uptime) share, the socket inode behind a
 * process's fd (the accepting probe, intercept), and whether a stop signal
 * reaches a container's init (a swap says when it does not). */
#include "procfs.h"
#include "state.h"
#include "unit.h"

#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(stat_of_this_process)
{
	struct procfs_stat ps;

	CHECK_INT(procfs_stat(getpid(), &ps), 0);
	CHECK_INT(ps.state, 'R');
	CHECK(ps.start_time > 0);
	CHECK_INT(ps.has_exit_code, 1);
	CHECK_INT(state_pid_start_time(getpid()), ps.start_time);
}

/* A name with spaces and parentheses must not shift the fields: they are
 * counted from the last ')'. The zombie's field 52 is its wait status. */
TEST(stat_of_a_zombie_named_to_confuse)
{
	struct procfs_stat ps;
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, "a) b (c ) 9 9");
		_exit(3);
	}
	CHECK(pid > 0);
	/* wait for it to become a zombie without reaping it */
	siginfo_t si;
	CHECK_INT(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_INT(procfs_stat(pid, &ps), 0);
	CHECK_INT(ps.state, 'Z');
	CHECK_INT(ps.has_exit_code, 1);
	CHECK_INT(ps.exit_code, 3 << 8);
	CHECK(ps.start_time > 0);
	/* a zombie no longer counts as the process a state names */
	CHECK_INT(state_pid_start_time(pid), 0);
	waitpid(pid, NULL, 0);
	CHECK_INT(procfs_stat(pid, &ps), -1);
	CHECK_INT(procfs_stat(0, &ps), -1);
	CHECK_INT(procfs_stat(-1, &ps), -1);
}

TEST(socket_inode_of_an_fd)
{
	int sv[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct stat st;

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_INT(fstat(sv[1], &st), 0);
	CHECK_INT(procfs_socket_inode(getpid(), sv[1]), st.st_ino);
	CHECK_INT(procfs_socket_inode(getpid(), fd), 0);   /* not a socket */
	CHECK_INT(procfs_socket_inode(getpid(), 1 << 20), 0); /* no such fd */
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

static void on_term(int sig)
{
	(void)sig;
}

/* In a child (the namespace is for its children only): pid 1 of a new pid
 * namespace with SIGTERM left at its default ('d'), handled ('h'), ignored
 * ('i') or blocked ('b'); exits 0 when procfs_signal_dropped says want. */
static void check_init(char how, int want)
{
	int ready[2];

	if (pipe2(ready, O_CLOEXEC) < 0 || unshare(CLONE_NEWPID) < 0)
		_exit(2);
	pid_t init = fork();
	if (init == 0) {
		sigset_t term;
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		if (how == 'h')
			signal(SIGTERM, on_term);
		else if (how == 'i')
			signal(SIGTERM, SIG_IGN);
		else if (how == 'b')
			sigprocmask(SIG_BLOCK, &term, NULL);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	char ack;
	if (init < 0 || read(ready[0], &ack, 1) != 1)
		_exit(2);
	int r = procfs_signal_dropped(init, SIGTERM);
	kill(init, SIGKILL);
	waitpid(init, NULL, 0);
	_exit(r == want ? 0 : 1);
}

/* The kernel drops a signal whose action is the default when it is sent to
 * the init of a pid namespace below (pid_namespaces(7)): python or node as
 * a container's init ignores SIGTERM, and a swap waited out the whole grace
 * period with no word why. Handled or blocked (a signalfd), it arrives;
 * ignored (SIG_IGN), it is dropped for any process. */
TEST(signal_dropped_by_an_init_without_a_handler)
{
	const char hows[] = "dhib";
	const int want[] = { 1, 0, 2, 0 };

	CHECK_INT(procfs_signal_dropped(getpid(), SIGTERM), 0);  /* not an init */
	CHECK_INT(procfs_signal_dropped(0, SIGTERM), -1);
	for (int k = 0; k < 4; k++) {
		pid_t pid = fork();
		if (pid == 0)
			check_init(hows[k], want[k]);
		int status = -1;
		waitpid(pid, &status, 0);
		CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
	}
}

int main(void)
{
	RUN(stat_of_this_process);
	RUN(stat_of_a_zombie_named_to_confuse);
	RUN(socket_inode_of_an_fd);
	RUN(signal_dropped_by_an_init_without_a_handler);
	UNIT_DONE();
}
