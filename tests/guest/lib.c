/* The few libc functions the guest needs, written plainly: nothing here is speed-critical. */
#include "lib.h"

void *memcpy(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dest;
}

void *memmove(void *dest, const void *src, size_t n)
{
	unsigned char *d = dest;
	const unsigned char *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dest;
}

void *memset(void *dest, int c, size_t n)
{
	unsigned char *d = dest;
	while (n--)
		*d++ = (unsigned char)c;
	return dest;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

bool key_value(const char *token, const char *end, const char *name, const char **value)
{
	size_t n = strlen(name);
	if ((size_t)(end - token) < n || memcmp(token, name, n) != 0)
		return false;
	*value = token + n;
	return true;
}

bool parse_u64(const char *s, const char *end, uint64_t *value)
{
	uint64_t v = 0;
	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned digit = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	return true;
}

bool parse_hex32(const char *s, const char *end, uint32_t *value)
{
	uint32_t v = 0;
	if (end - s != 8)
		return false;
	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9')
			v = v << 4 | (uint32_t)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v = v << 4 | (uint32_t)(*s - 'a' + 10);
		else
			return false;
	}
	*value = v;
	return true;
}

bool parse_number(const char *s, const char *end, uint64_t *value)
{
	if (end - s < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return parse_u64(s, end, value);
	uint64_t v = 0;
	if (end - s > 18)
		return false;
	for (s += 2; s < end; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*value = v;
	return true;
}
