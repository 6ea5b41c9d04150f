#include "options.h"

/* If [token, end) is "<key><value>", points *value at the value. */
static bool key(const char *token, const char *end, const char *name, const char **value)
{
	size_t n = strlen(name);
	if ((size_t)(end - token) < n || memcmp(token, name, n) != 0)
		return false;
	*value = token + n;
	return true;
}

static bool equals(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - s) == n && memcmp(s, word, n) == 0;
}

static enum expect expectation(const char *v, const char *end)
{
	return equals(v, end, "1") ? EXPECT_PRESENT : equals(v, end, "0") ? EXPECT_ABSENT : EXPECT_INVALID;
}

static void parse_token(const char *token, const char *end, struct options *o)
{
	const char *v;
	if (key(token, end, "glue.mem=", &v)) {
		o->mem_given = true;
		o->mem_valid = parse_u64(v, end, &o->mem_mib) && o->mem_mib > 0;
	} else if (key(token, end, "glue.initrd=", &v)) {
		o->initrd_given = true;
		const char *colon = v;
		while (colon < end && *colon != ':')
			colon++;
		o->initrd_valid = colon < end && parse_u64(v, colon, &o->initrd_size) &&
				  parse_hex32(colon + 1, end, &o->initrd_crc);
	} else if (key(token, end, "glue.cpus=", &v)) {
		o->cpus_valid = parse_u64(v, end, &o->cpus) && o->cpus > 0;
	} else if (key(token, end, "glue.acpi=", &v)) {
		o->acpi = expectation(v, end);
	} else if (key(token, end, "glue.mptable=", &v)) {
		o->mptable = expectation(v, end);
	} else if (key(token, end, "glue.mode=", &v)) {
		if (equals(v, end, "emulation-failure"))
			o->mode = MODE_EMULATION_FAILURE;
		else if (equals(v, end, "counter"))
			o->mode = MODE_COUNTER;
	}
}

void options_parse(const char *cmdline, struct options *o)
{
	*o = (struct options){ .mode = MODE_TESTS, .cpus_valid = true, .cpus = 1 };
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *token = p;
		while (*p && *p != ' ')
			p++;
		if (p > token)
			parse_token(token, p, o);
	}
}
