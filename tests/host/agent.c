/* The software KVM host's agent (tests/host/README.md): it listens on a TCP port that QEMU forwards from the
 * machine outside, and serves each connection in a process of its own: EXEC runs a program with the client's
 * argv, working directory, environment and standard streams, forwarding signals and reporting the exit status;
 * CONNECT and LISTEN join the connection to a Unix or TCP socket inside the host. A client that goes away takes its
 * program (and the program's process group) with it, as a killed parent's pipe would. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "frame.h"

static char buffer[FRAME_MAX];

static void fail(int client, const char *what)
{
    char line[512];
    int n = snprintf(line, sizeof line, "glue-host-agent: %s: %s", what, strerror(errno));
    send_frame(client, FRAME_ERROR, line, (uint32_t)n);
    _exit(1);
}

/* Splits the EXEC payload's NUL-terminated fields. */
static char **fields(char *payload, uint32_t length, int *count)
{
    int n = 0;
    for (uint32_t i = 0; i < length; i++)
        n += payload[i] == '\0';
    char **result = calloc((size_t)n + 1, sizeof *result);
    char *p = payload;
    for (int i = 0; i < n; i++) {
        result[i] = p;
        p += strlen(p) + 1;
    }
    *count = n;
    return result;
}

/* Forwards bytes from one pipe to the client as frames of a type; returns 0 at the pipe's end. */
static int forward_output(int from, int client, char type)
{
    char chunk[65536];
    ssize_t n = read(from, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n <= 0)
        return 0;
    if (send_frame(client, type, chunk, (uint32_t)n))
        return -1;
    return 1;
}

static void run_program(int client, char *payload, uint32_t length)
{
    int count;
    char **field = fields(payload, length, &count);
    if (count < 3 || atoi(field[2]) < 1 || 3 + atoi(field[2]) > count) {
        errno = EINVAL;
        fail(client, "malformed EXEC");
    }
    const char *how = field[0], *cwd = field[1];
    int argc = atoi(field[2]);
    /* argv gets a NULL of its own; the environment is the rest of the fields, which calloc ended with one. */
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    memcpy(argv, field + 3, (size_t)argc * sizeof *argv);
    char **environment = field + 3 + argc;

    /* Pipes, or one terminal for all three streams (the program then sees a terminal, as at a console). */
    int in[2], out[2], err[2], terminal = strchr(how, 't') != NULL, controller = -1, device = -1;
    if (terminal ? openpty(&controller, &device, NULL, NULL, NULL) != 0
                 : pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        fail(client, terminal ? "openpty" : "pipe");
    pid_t pid = fork();
    if (pid < 0)
        fail(client, "fork");
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        if (terminal) {
            ioctl(device, TIOCSCTTY, 0);
            for (int fd = 0; fd < 3; fd++)
                dup2(device, fd);
        } else {
            int streams[3] = { in[0], out[1], err[1] };
            for (int fd = 0; fd < 3; fd++) {
                if (strchr(how, '0' + fd))
                    close(fd);
                else
                    dup2(streams[fd], fd);
            }
        }
        if (chdir(cwd) == 0)
            execvpe(argv[0], argv, environment);
        dprintf(2, "glue-host-agent: cannot run %s in %s: %s\n", argv[0], cwd, strerror(errno));
        _exit(127);
    }
    int input, output, error;
    if (terminal) {
        close(device);
        input = dup(controller);
        output = controller;
        error = -1;
    } else {
        close(in[0]);
        close(out[1]);
        close(err[1]);
        input = in[1];
        output = out[0];
        error = err[0];
    }
    int process = (int)syscall(SYS_pidfd_open, pid, 0);
    unsigned char pid_word[4];
    put_u32(pid_word, (uint32_t)pid);
    send_frame(client, FRAME_PID, pid_word, 4);
    int exited = 0, status = 0;
    for (;;) {
        struct pollfd watch[4] = {
            { .fd = client, .events = POLLIN },
            { .fd = output, .events = POLLIN },
            { .fd = error, .events = POLLIN },
            { .fd = exited ? -1 : process, .events = POLLIN },
        };
        if (poll(watch, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (watch[0].revents) {
            uint32_t size;
            int type = receive_frame(client, buffer, &size);
            if (type < 0) {
                /* The client is gone: so is its program. */
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                _exit(0);
            }
            if (type == FRAME_STDIN && input >= 0 && write_all(input, buffer, size)) {
                close(input);
                input = -1;
            } else if (type == FRAME_STDIN_EOF && input >= 0) {
                close(input);
                input = -1;
            } else if (type == FRAME_SIGNAL && size == 1) {
                kill(pid, (unsigned char)buffer[0]);
            } else if (type == FRAME_STDOUT_CLOSED && output >= 0) {
                close(output);
                output = -1;
            }
        }
        if (output >= 0 && watch[1].revents) {
            int more = forward_output(output, client, FRAME_STDOUT);
            if (more <= 0) {
                close(output);
                output = -1;
            }
        }
        if (error >= 0 && watch[2].revents) {
            int more = forward_output(error, client, FRAME_STDERR);
            if (more <= 0) {
                close(error);
                error = -1;
            }
        }
        if (!exited && watch[3].revents) {
            waitpid(pid, &status, 0);
            exited = 1;
        }
        /* Done when the program has ended and nothing holds its output open any more. */
        if (exited && output < 0 && error < 0)
            break;
    }
    unsigned char word[4];
    put_u32(word, WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 128u + (uint32_t)WTERMSIG(status));
    send_frame(client, FRAME_EXIT, word, 4);
    _exit(0);
}

/* Fills a Unix socket address from "unix:PATH"; returns -1 for anything else. */
static int unix_address(const char *target, struct sockaddr_un *address)
{
    *address = (struct sockaddr_un){ .sun_family = AF_UNIX };
    if (strncmp(target, "unix:", 5) != 0 || strlen(target + 5) >= sizeof address->sun_path)
        return -1;
    strcpy(address->sun_path, target + 5);
    return 0;
}

/* Connects to "unix:PATH" or "tcp:PORT" (on the host's loopback). */
static int connect_target(int client, const char *target)
{
    struct sockaddr_un unix_peer;
    int peer;
    if (unix_address(target, &unix_peer) == 0) {
        peer = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(peer, (struct sockaddr *)&unix_peer, sizeof unix_peer))
            fail(client, target);
    } else if (strncmp(target, "tcp:", 4) == 0) {
        struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(target + 4)) };
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        peer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(peer, (struct sockaddr *)&address, sizeof address))
            fail(client, target);
    } else {
        errno = EINVAL;
        fail(client, target);
    }
    return peer;
}

/* Listens at "unix:PATH", says so, and takes the first connection; the path goes when this connection ends. */
static int accept_target(int client, const char *target)
{
    struct sockaddr_un address;
    if (unix_address(target, &address)) {
        errno = EINVAL;
        fail(client, target);
    }
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 1))
        fail(client, target);
    send_frame(client, FRAME_LISTENING, NULL, 0);
    struct pollfd watch[2] = { { .fd = listener, .events = POLLIN }, { .fd = client, .events = POLLIN } };
    while (poll(watch, 2, -1) < 0 && errno == EINTR)
        ;
    int peer = watch[0].revents ? accept4(listener, NULL, NULL, SOCK_CLOEXEC) : -1;
    unlink(address.sun_path);
    if (peer < 0)
        _exit(0);   /* the client gave up before anyone connected */
    close(listener);
    return peer;
}

/* Carries raw bytes both ways between the client and a socket inside the host until both ends are done. */
static void join(int client, int peer)
{
    if (send_frame(client, FRAME_CONNECTED, NULL, 0))
        _exit(1);
    int open_ends[2] = { 1, 1 };
    int ends[2] = { client, peer };
    while (open_ends[0] || open_ends[1]) {
        struct pollfd watch[2] = {
            { .fd = open_ends[0] ? client : -1, .events = POLLIN },
            { .fd = open_ends[1] ? peer : -1, .events = POLLIN },
        };
        if (poll(watch, 2, -1) < 0 && errno != EINTR)
            break;
        for (int side = 0; side < 2; side++) {
            if (!watch[side].revents)
                continue;
            ssize_t n = read(ends[side], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0 || write_all(ends[1 - side], buffer, (size_t)n)) {
                /* One side is done sending: pass the end of its stream on, and keep the other direction. */
                shutdown(ends[1 - side], SHUT_WR);
                open_ends[side] = 0;
            }
        }
    }
    _exit(0);
}

static void serve(int client)
{
    int on = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    uint32_t length;
    int type = receive_frame(client, buffer, &length);
    if (type == FRAME_EXEC)
        run_program(client, buffer, length);
    else if ((type == FRAME_CONNECT || type == FRAME_LISTEN) && length < FRAME_MAX) {
        buffer[length] = '\0';
        join(client, type == FRAME_CONNECT ? connect_target(client, buffer) : accept_target(client, buffer));
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    signal(SIGCHLD, SIG_IGN);   /* each connection's process is reaped by the kernel */
    signal(SIGPIPE, SIG_IGN);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 64)) {
        perror("glue-host-agent: listen");
        return 1;
    }
    printf("glue-host-agent: listening on port %s\n", argv[1]);
    fflush(stdout);
    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(listener);
            signal(SIGCHLD, SIG_DFL);
            serve(client);
        }
        close(client);
    }
}
