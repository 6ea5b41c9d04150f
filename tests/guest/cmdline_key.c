#include "cmdline_key.h"
#include "start_info.h"

bool cmdline_key(const char *key, const char **value, const char **end)
{
	size_t n = strlen(key);
	bool found = false;
	for (const char *p = boot_info.cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *token = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - token) >= n && memcmp(token, key, n) == 0) {
			*value = token + n;
			*end = p;
			found = true;
		}
	}
	return found;
}

bool cmdline_numbers(const char *s, const char *end, uint64_t *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const char *e = s;
		while (e < end && *e != ':')
			e++;
		if ((i + 1 < n) != (e < end) || !parse_number(s, e, &values[i]))
			return false;
		s = e + 1;
	}
	return true;
}
