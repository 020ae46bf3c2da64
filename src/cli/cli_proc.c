/* Child processes and loopback ports (cli_proc.h). */
#define _GNU_SOURCE
#include "cli_proc.h"
#include "clock.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int cli_port_bindable(const char *addr, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (addr && inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
        return EINVAL;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return errno;
    }
    /* As mosquitto does: connections in TIME_WAIT do not keep a restarted broker out. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

/* The inode of the socket listening on port, from /proc/net/tcp or tcp6; 0 if none. */
static unsigned long listening_inode(int port)
{
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        if (!f) {
            continue;
        }
        char line[512];
        unsigned long found = 0;
        while (!found && fgets(line, sizeof line, f)) {
            char local[128];
            unsigned state;
            unsigned long inode;
            /* sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, "%*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &state, &inode) !=
                3) {
                continue;
            }
            const char *colon = strrchr(local, ':');
            if (state == 0x0A && colon && strtol(colon + 1, NULL, 16) == port) {
                found = inode;
            }
        }
        fclose(f);
        if (found) {
            return found;
        }
    }
    return 0;
}

bool cli_port_owner(int port, char *buf, size_t size)
{
    unsigned long inode = listening_inode(port);
    DIR *proc = inode ? opendir("/proc") : NULL;
    if (!proc) {
        return false;
    }
    char want[64];
    snprintf(want, sizeof want, "socket:[%lu]", inode);
    bool found = false;
    struct dirent *p;
    while (!found && (p = readdir(proc))) {
        char *end;
        long pid = strtol(p->d_name, &end, 10);
        if (*end || pid <= 0) {
            continue;
        }
        char path[300];
        snprintf(path, sizeof path, "/proc/%ld/fd", pid);
        DIR *fds = opendir(path);
        struct dirent *fd;
        while (fds && !found && (fd = readdir(fds))) {
            char link[300], target[64];
            snprintf(link, sizeof link, "/proc/%ld/fd/%s", pid, fd->d_name);
            ssize_t n = readlink(link, target, sizeof target - 1);
            if (n > 0) {
                target[n] = '\0';
                found = strcmp(target, want) == 0;
            }
        }
        if (fds) {
            closedir(fds);
        }
        char comm[64];
        if (found) {
            snprintf(buf, size, "%s (pid %ld)",
                     cli_proc_read((pid_t)pid, "comm", comm, sizeof comm) ? comm : "?", pid);
        }
    }
    closedir(proc);
    return found;
}

pid_t cli_spawn(char *const argv[], int out_fd, const char *err_path, bool detach)
{
    pid_t pid = fork();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) {
            dup2(in, 0);
        }
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err >= 0) {
            dup2(err, 2);
        }
        if (out_fd >= 0) {
            dup2(out_fd, 1);
        } else if (detach && err >= 0) {
            /* Not ours: a pipe on our stdout (mqplane services up | tail) would never close. */
            dup2(err, 1);
        }
        if (detach) {
            setsid();
        } else {
            /* A process group of its own: a Ctrl-C at the terminal reaches only the parent,
             * which stops its children in its order. Ignoring SIGINT would not do: mosquitto
             * and mqplane install handlers of their own. From there it may still write to the
             * terminal, even where the terminal stops background writers. */
            setpgid(0, 0);
            signal(SIGTTOU, SIG_IGN);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

bool cli_proc_read(pid_t pid, const char *name, char *buf, size_t size)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/%s", (int)pid, name);
    FILE *f = fopen(p, "r");
    if (!f) {
        return false;
    }
    bool ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok) {
        buf[strcspn(buf, "\n")] = '\0';
    }
    return ok;
}

/* A zombie has exited; its parent has not reaped it yet (an orphan's, when init does not). */
static bool is_zombie(pid_t pid)
{
    char stat[256];
    const char *paren = cli_proc_read(pid, "stat", stat, sizeof stat) ? strrchr(stat, ')') : NULL;
    return paren && paren[1] == ' ' && paren[2] == 'Z'; /* After comm, which may hold spaces. */
}

bool cli_pid_alive(pid_t pid)
{
    if (pid <= 0) {
        return false;
    }
    if (waitpid(pid, NULL, WNOHANG) == pid) {
        return false; /* Our child, and now reaped. */
    }
    return (kill(pid, 0) == 0 || errno == EPERM) && !is_zombie(pid);
}

void cli_stop(pid_t pid, const char *what, int wait_s)
{
    if (pid <= 0 || !cli_pid_alive(pid)) {
        return;
    }
    kill(pid, SIGTERM);
    for (int i = 0; i < wait_s * 20; i++) {
        if (!cli_pid_alive(pid)) {
            return;
        }
        mqpx_sleep_ms(50);
    }
    fprintf(stderr, "mqplane: %s (pid %d) did not stop within %d s; killing it\n", what, (int)pid,
            wait_s);
    kill(pid, SIGKILL);
    for (int i = 0; i < 100 && cli_pid_alive(pid); i++) {
        mqpx_sleep_ms(10);
    }
}
