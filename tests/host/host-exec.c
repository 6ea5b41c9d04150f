/* Runs a program inside the software KVM host, as if here: host-exec PROGRAM [ARGUMENTS...]
 * The agent (agent.c) at GLUE_HOST_AGENT (a TCP port on 127.0.0.1, which QEMU forwards into the host) runs it with
 * this process's argv, working directory and environment; standard input, output and error are carried both
 * ways, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on, and this process exits with the
 * program's status (128 + N for a program killed by signal N). At a terminal, the program gets a terminal too. When this process is killed, the agent kills the
 * program, since the connection ends. Paths mean the same inside: the host shares this machine's root.
 * With GLUE_HOST_PIDS set to a folder, the file there named by this process's pid holds the program's pid in the
 * host while it runs (what `glue list` shows), for tests that compare the two. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>

#include "frame.h"

extern char **environ;
static char buffer[FRAME_MAX];
static char payload[FRAME_MAX];

static struct termios saved_terminal;

static void restore_terminal(void)
{
    tcsetattr(0, TCSANOW, &saved_terminal);
}

static char pid_file[4200];

static void remove_pid_file(void)
{
    if (pid_file[0])
        unlink(pid_file);
}

/* Says where the program runs, in GLUE_HOST_PIDS/<this pid>, written whole by a rename. */
static void record_pid(uint32_t pid)
{
    const char *folder = getenv("GLUE_HOST_PIDS");
    if (!folder || !*folder)
        return;
    char partial[4300];
    snprintf(pid_file, sizeof pid_file, "%s/%d", folder, (int)getpid());
    snprintf(partial, sizeof partial, "%s.partial", pid_file);
    FILE *file = fopen(partial, "w");
    if (!file)
        return;
    fprintf(file, "%u\n", pid);
    fclose(file);
    rename(partial, pid_file);
    atexit(remove_pid_file);
}

static int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* The EXEC payload: the standard streams closed here, the working directory, argc, argv, the environment. */
static size_t exec_payload(char *payload, size_t room, int argc, char **argv, int terminal)
{
    char how[5] = "", cwd[4096];
    int n = 0;
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            how[n++] = (char)('0' + fd);
    if (terminal)
        how[n++] = 't';
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "/");
    size_t used = (size_t)snprintf(payload, room, "%s%c%s%c%d%c", how, 0, cwd, 0, argc, 0);
    for (int i = 0; i < argc; i++) {
        size_t length = strlen(argv[i]) + 1;
        if (used + length > room)
            return 0;
        memcpy(payload + used, argv[i], length);
        used += length;
    }
    for (char **variable = environ; *variable; variable++) {
        size_t length = strlen(*variable) + 1;
        if (used + length > room)
            return 0;
        memcpy(payload + used, *variable, length);
        used += length;
    }
    return used;
}

/* One connection to the agent, or -1 when nothing answers on its port (QEMU is not running). */
static int connect_agent(const char *port)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int agent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(agent, (struct sockaddr *)&address, sizeof address)) {
        close(agent);
        return -1;
    }
    int on = 1;
    setsockopt(agent, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return agent;
}

/* Has the agent start the program; returns the connection once the program runs. The host may be booting again
 * (the build program restarts it after a panic or a stall): until the program has started, a refused connection,
 * or one QEMU accepts and then closes because nothing listens inside yet, is tried again for up to three minutes
 * (900 tries, 200 ms apart). */
static int start_program(const char *payload, uint32_t length, int signal_fd)
{
    const char *port = getenv("GLUE_HOST_AGENT");
    if (!port || atoi(port) <= 0) {
        fprintf(stderr, "host-exec: GLUE_HOST_AGENT is not set to the agent's port (tests/host/README.md)\n");
        exit(125);
    }
    for (int tries = 0; tries < 900; tries++) {
        int agent = connect_agent(port);
        if (agent >= 0 && send_frame(agent, FRAME_EXEC, payload, length) == 0) {
            uint32_t size;
            int type = receive_frame(agent, buffer, &size);
            if (type == FRAME_PID && size == 4) {
                record_pid(get_u32((unsigned char *)buffer));
                return agent;
            }
            if (type == FRAME_ERROR) {
                write_all(2, buffer, size);
                write_all(2, "\n", 1);
                exit(125);
            }
        }
        if (agent >= 0)
            close(agent);
        /* A signal before the program runs ends this process as it would have ended the program. */
        struct pollfd signalled = { .fd = signal_fd, .events = POLLIN };
        struct signalfd_siginfo info;
        if (poll(&signalled, 1, 200) > 0 && read(signal_fd, &info, sizeof info) == sizeof info)
            exit(128 + (int)info.ssi_signo);
    }
    fprintf(stderr, "host-exec: the host agent on port %s did not start the program within three minutes\n", port);
    exit(125);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: host-exec PROGRAM [ARGUMENTS...]\n");
        return 125;
    }
    sigset_t signals;
    sigemptyset(&signals);
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaddset(&signals, forwarded[i]);
    sigprocmask(SIG_BLOCK, &signals, NULL);
    int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    /* At a terminal the program gets one inside too, and this one passes every key through (Ctrl-A x included). */
    int terminal = isatty(0) && isatty(1);
    size_t length = exec_payload(payload, sizeof payload, argc - 1, argv + 1, terminal);
    if (length == 0) {
        fprintf(stderr, "host-exec: the command and environment do not fit one frame (%u bytes)\n", FRAME_MAX);
        return 125;
    }
    int agent = start_program(payload, (uint32_t)length, signal_fd);
    if (terminal) {
        struct termios raw;
        tcgetattr(0, &saved_terminal);
        raw = saved_terminal;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
        atexit(restore_terminal);
    }
    int input = fcntl(0, F_GETFD) < 0 ? -1 : 0;
    if (input < 0)
        send_frame(agent, FRAME_STDIN_EOF, NULL, 0);
    int stdout_open = 1;
    for (;;) {
        struct pollfd watch[3] = {
            { .fd = agent, .events = POLLIN },
            { .fd = signal_fd, .events = POLLIN },
            { .fd = input, .events = POLLIN },
        };
        if (poll(watch, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 125;
        }
        if (watch[1].revents) {
            struct signalfd_siginfo info;
            if (read(signal_fd, &info, sizeof info) == sizeof info) {
                unsigned char number = (unsigned char)info.ssi_signo;
                send_frame(agent, FRAME_SIGNAL, &number, 1);
            }
        }
        if (input >= 0 && watch[2].revents) {
            ssize_t n = read(input, buffer, 65536);
            if (n < 0 && errno == EINTR)
                continue;
            if (n > 0) {
                send_frame(agent, FRAME_STDIN, buffer, (uint32_t)n);
            } else {
                send_frame(agent, FRAME_STDIN_EOF, NULL, 0);
                input = -1;
            }
        }
        if (watch[0].revents) {
            uint32_t size;
            int type = receive_frame(agent, buffer, &size);
            if (type < 0) {
                fprintf(stderr, "host-exec: the host agent closed the connection before the program's exit status\n");
                return 125;
            }
            if (type == FRAME_STDOUT && stdout_open && write_all(1, buffer, size)) {
                /* Our reader went away: so does the program's, as a broken pipe would tell it. */
                stdout_open = 0;
                send_frame(agent, FRAME_STDOUT_CLOSED, NULL, 0);
            } else if (type == FRAME_STDERR) {
                write_all(2, buffer, size);
            } else if (type == FRAME_ERROR) {
                write_all(2, buffer, size);
                write_all(2, "\n", 1);
                return 125;
            } else if (type == FRAME_EXIT && size == 4) {
                exit((int)get_u32((unsigned char *)buffer));
            }
        }
    }
}
