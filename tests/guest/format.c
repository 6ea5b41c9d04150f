/*
 * A minimal printf: %s %c %d %u %x %p %%, the l and ll size modifiers, and a zero-padded width
 * (%08x). Characters go to a callback, so the serial port needs no line buffer.
 */
#include "format.h"

static void put_unsigned(format_put_fn put, void *ctx, uint64_t v, unsigned base, unsigned width)
{
	char digits[20];
	unsigned n = 0;
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width > n) {
		put('0', ctx);
		width--;
	}
	while (n)
		put(digits[--n], ctx);
}

void format(format_put_fn put, void *ctx, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt, ctx);
			continue;
		}
		fmt++;
		unsigned width = 0;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		unsigned longs = 0;
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			while (*s)
				put(*s++, ctx);
			break;
		}
		case 'c':
			put((char)va_arg(ap, int), ctx);
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			if (v < 0) {
				put('-', ctx);
				v = -v;
			}
			put_unsigned(put, ctx, (uint64_t)v, 10, width);
			break;
		}
		case 'u':
			put_unsigned(put, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width);
			break;
		case 'x':
			put_unsigned(put, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width);
			break;
		case 'p':
			put('0', ctx);
			put('x', ctx);
			put_unsigned(put, ctx, (uintptr_t)va_arg(ap, void *), 16, width);
			break;
		case '%':
			put('%', ctx);
			break;
		default: /* unknown conversion: show it rather than guess */
			put('%', ctx);
			if (!*fmt)
				return;
			put(*fmt, ctx);
		}
	}
}

struct buffer {
	char *p;
	size_t left;
};

static void put_buffer(char c, void *ctx)
{
	struct buffer *b = ctx;
	if (b->left > 1) {
		*b->p++ = c;
		b->left--;
	}
}

void vformat_buffer(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = { buf, size };
	format(put_buffer, &b, fmt, ap);
	if (size)
		*b.p = '\0';
}

void format_buffer(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat_buffer(buf, size, fmt, ap);
	va_end(ap);
}

size_t append_format(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= size)
		return used;
	struct buffer b = { buf + used, size - used };
	va_list ap;
	va_start(ap, fmt);
	format(put_buffer, &b, fmt, ap);
	va_end(ap);
	*b.p = '\0';
	return (size_t)(b.p - buf);
}
