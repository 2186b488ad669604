/* test_procfs: the one reader of /proc/PID/stat (runtime/procfs.c), which
 * state.c (pid reuse), the supervisor (a zombie's exit status) and
 * `service status` (uptime) share, and the socket inode behind a
 * process's fd (the accepting probe, intercept). */
#include "procfs.h"
#include "state.h"
#include "unit.h"

#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
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

int main(void)
{
	RUN(stat_of_this_process);
	RUN(stat_of_a_zombie_named_to_confuse);
	RUN(socket_inode_of_an_fd);
	UNIT_DONE();
}
