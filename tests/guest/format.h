#ifndef FORMAT_H
#define FORMAT_H

#include "lib.h"

typedef void (*format_put_fn)(char c, void *ctx);

/* printf-style formatting to a callback; see format.c for the conversions it knows. */
void format(format_put_fn put, void *ctx, const char *fmt, va_list ap);
/* Into buf (always NUL-terminated, truncated to fit). */
void vformat_buffer(char *buf, size_t size, const char *fmt, va_list ap);
void format_buffer(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appended to the string already in buf; returns the new length. */
size_t append_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
