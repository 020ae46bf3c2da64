/* Child processes and loopback ports, for the commands that start other programs (demo,
 * services). Free ports, open ports and sleeping are the helpers layer's (net.h, clock.h). */
#ifndef CLI_PROC_H
#define CLI_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* 0 when a listener could bind addr:port now (addr NULL: every interface, as mosquitto binds a
 * listener without an address), else the errno of the bind (EADDRINUSE, EACCES, ...). */
int cli_port_bindable(const char *addr, int port);

/* Names the process listening on a TCP port, as "mosquitto (pid 1234)", into buf. False when
 * it cannot be found (another user's process, without root). */
bool cli_port_owner(int port, char *buf, size_t size);

/* Starts argv[0] from the PATH with stdin from /dev/null, stdout to out_fd (inherited when -1)
 * and stderr to err_path (truncated). A detached child gets a session of its own, so it
 * outlives this process and the terminal's Ctrl-C, and never inherits stdout (out_fd -1 sends
 * it to err_path too); an attached one gets a process group of its own, so that a Ctrl-C
 * reaches only the parent, which decides the order of shutdown. -1 when fork fails. */
pid_t cli_spawn(char *const argv[], int out_fd, const char *err_path, bool detach);

/* The first line of /proc/PID/NAME ("comm", "stat"), without its newline; false if unreadable. */
bool cli_proc_read(pid_t pid, const char *name, char *buf, size_t size);

/* True while pid exists and has not exited (a zombie, reaped or not, has). */
bool cli_pid_alive(pid_t pid);

/* Stops pid with SIGTERM, waits up to wait_s seconds, then SIGKILLs it with a message naming
 * what. Works for children (reaped) and for other processes. */
void cli_stop(pid_t pid, const char *what, int wait_s);

#endif
