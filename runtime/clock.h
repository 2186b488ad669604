/* clock: the monotonic milliseconds every deadline, backoff and progress
 * line of zrun is measured in, and a sleep that finishes its time. One
 * copy here instead of one per file that waits for something. */
#ifndef ZRUN_CLOCK_H
#define ZRUN_CLOCK_H

/* CLOCK_MONOTONIC in milliseconds: not moved by changes of the wall clock,
 * so a deadline set with it is not cut short or stretched by one. */
long now_ms(void);

/* CLOCK_REALTIME in milliseconds: for a time kept in a record that other
 * processes read (a canary's last step), and a person too. */
long long wall_ms(void);

/* Sleeps MS milliseconds, resuming after a signal handler interrupts it. */
void sleep_ms(unsigned ms);

#endif
