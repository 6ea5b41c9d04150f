/* The host agent's wire format (tests/host/README.md): frames of a type byte, a little-endian u32 length and
 * that many payload bytes, both ways over one TCP connection per command. */
#ifndef GLUE_HOST_FRAME_H
#define GLUE_HOST_FRAME_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum {
    /* client to agent */
    FRAME_EXEC = 'X',       /* how NUL, cwd NUL, argc NUL, argv[i] NUL..., env[i] NUL...: run a program; how lists
                             * the digits of the standard streams the client had closed ("", "2"), and 't' when
                             * the program is to get a terminal (its stdin, stdout and stderr) */
    FRAME_CONNECT = 'C',    /* "unix:PATH" or "tcp:PORT": connect inside the host, then raw bytes both ways */
    FRAME_LISTEN = 'L',     /* "unix:PATH": listen inside the host; the first connection there gets raw bytes */
    FRAME_STDIN = 'I',      /* bytes for the program's standard input */
    FRAME_STDIN_EOF = 'i',  /* close the program's standard input */
    FRAME_SIGNAL = 'S',     /* one byte: the signal to send the program */
    FRAME_STDOUT_CLOSED = 'o', /* the client's standard output is gone: close the program's, as a broken pipe would */
    /* agent to client */
    FRAME_STDOUT = 'O',
    FRAME_STDERR = 'E',
    FRAME_PID = 'P',        /* u32: the program's process id in the host, sent once it runs */
    FRAME_EXIT = 'W',       /* u32: the exit status, or 128 + the signal that killed it */
    FRAME_CONNECTED = 'K',  /* CONNECT succeeded, or LISTEN accepted a connection: raw bytes follow */
    FRAME_LISTENING = 'l',  /* LISTEN's socket is bound and listening */
    FRAME_ERROR = 'F',      /* a line saying why EXEC or CONNECT failed; the connection then closes */
};

#define FRAME_MAX (1u << 20)

/* Writes all of it. A descriptor the other side made non-blocking (a reader's pipe can be) is waited on, not
 * taken for a reader that went away: only EPIPE and other errors end the write. */
static inline int write_all(int fd, const void *buffer, size_t length)
{
    const char *p = buffer;
    while (length > 0) {
        ssize_t n = write(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd writable = { .fd = fd, .events = POLLOUT };
            poll(&writable, 1, -1);
            continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static inline int read_all(int fd, void *buffer, size_t length)
{
    char *p = buffer;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static inline void put_u32(unsigned char *word, uint32_t value)
{
    word[0] = value & 0xff;
    word[1] = (value >> 8) & 0xff;
    word[2] = (value >> 16) & 0xff;
    word[3] = value >> 24;
}

static inline uint32_t get_u32(const unsigned char *word)
{
    return word[0] | word[1] << 8 | word[2] << 16 | (uint32_t)word[3] << 24;
}

static inline int send_frame(int fd, char type, const void *payload, uint32_t length)
{
    unsigned char header[5] = { (unsigned char)type, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, length >> 24 };
    return write_all(fd, header, sizeof header) || (length > 0 && write_all(fd, payload, length)) ? -1 : 0;
}

/* Reads one frame into buffer (FRAME_MAX bytes); returns its type, or -1 at the end of the connection. */
static inline int receive_frame(int fd, char *buffer, uint32_t *length)
{
    unsigned char header[5];
    if (read_all(fd, header, sizeof header))
        return -1;
    *length = header[1] | header[2] << 8 | header[3] << 16 | (uint32_t)header[4] << 24;
    if (*length > FRAME_MAX || (*length > 0 && read_all(fd, buffer, *length)))
        return -1;
    return header[0];
}

#endif
