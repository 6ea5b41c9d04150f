#include "options.h"

static bool equals(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - s) == n && memcmp(s, word, n) == 0;
}

static enum expect expectation(const char *v, const char *end)
{
	return equals(v, end, "1") ? EXPECT_PRESENT : equals(v, end, "0") ? EXPECT_ABSENT : EXPECT_INVALID;
}

/* The end of the field that starts at s: the next `separator`, or end. */
static const char *field_end(const char *s, const char *end, char separator)
{
	while (s < end && *s != separator)
		s++;
	return s;
}

/* Splits [s, end) at `separator` into n numbers (0x hex or decimal). */
static bool parse_fields(const char *s, const char *end, char separator, uint64_t *values, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const char *e = field_end(s, end, separator);
		if ((i + 1 < n) != (e < end) || !parse_number(s, e, &values[i]))
			return false;
		s = e + 1;
	}
	return true;
}

/* A size as Linux's memparse() takes it: a number with an optional K, M or G. */
static bool parse_size(const char *s, const char *end, uint64_t *size)
{
	unsigned shift = 0;
	if (end > s && (end[-1] == 'K' || end[-1] == 'k'))
		shift = 10;
	else if (end > s && (end[-1] == 'M' || end[-1] == 'm'))
		shift = 20;
	else if (end > s && (end[-1] == 'G' || end[-1] == 'g'))
		shift = 30;
	if (!parse_number(s, shift ? end - 1 : end, size) || *size > (UINT64_MAX >> shift))
		return false;
	*size <<= shift;
	return true;
}

/* virtio_mmio.device=<size>@<base>:<irq>[:<platform device id>] (Linux, drivers/virtio/virtio_mmio.c). */
static void parse_virtio_token(const char *v, const char *end, struct options *o)
{
	struct virtio_window w;
	const char *at = field_end(v, end, '@');
	const char *colon = field_end(at, end, ':');
	const char *irq_end = colon < end ? field_end(colon + 1, end, ':') : end;
	o->virtio_tokens++;
	if (at == end || colon == end || !parse_size(v, at, &w.size) || !parse_number(at + 1, colon, &w.base) ||
	    !parse_number(colon + 1, irq_end, &w.irq) || w.size == 0) {
		o->virtio_tokens_bad++;
		return;
	}
	uint32_t i = o->virtio_tokens - o->virtio_tokens_bad - 1;
	if (i < VIRTIO_TOKENS_MAX)
		o->virtio_windows[i] = w;
}

static bool parse_blk_attribute(const char *a, const char *end, struct blk_expect *b)
{
	const char *v;
	uint64_t n[3];
	if (equals(a, end, "ro")) {
		b->ro = true;
	} else if (key_value(a, end, "sectors:", &v)) {
		b->sectors_given = parse_fields(v, end, ':', &b->sectors, 1);
		return b->sectors_given;
	} else if (key_value(a, end, "pattern:", &v)) {
		if (!parse_fields(v, end, ':', n, 1) || n[0] > UINT32_MAX)
			return false;
		b->pattern_given = true;
		b->pattern_seed = (uint32_t)n[0];
	} else if (key_value(a, end, "write:", &v)) {
		if (!parse_fields(v, end, ':', n, 3) || n[1] == 0 || n[2] > UINT32_MAX)
			return false;
		b->write_given = true;
		b->write_sector = n[0];
		b->write_count = n[1];
		b->write_seed = (uint32_t)n[2];
	} else if (key_value(a, end, "id:", &v)) {
		if (v == end || end - v > BLK_ID_BYTES)
			return false;
		b->id_given = true;
		memcpy(b->id, v, (size_t)(end - v));
		b->id[end - v] = '\0';
	} else {
		return false;
	}
	return true;
}

/* glue.blk<k>=<attribute>[,<attribute>...]: v points after "glue.blk". */
static void parse_blk_key(const char *v, const char *end, struct options *o)
{
	const char *equals_sign = field_end(v, end, '=');
	uint64_t k;
	if (equals_sign == end || !parse_u64(v, equals_sign, &k) || k >= BLK_KEYS_MAX)
		return; /* not one of ours: ignored like any unknown token */
	struct blk_expect *b = &o->blk[k];
	*b = (struct blk_expect){ .given = true, .valid = true };
	for (const char *a = equals_sign + 1; a <= end;) {
		const char *e = field_end(a, end, ',');
		if (!parse_blk_attribute(a, e, b))
			b->valid = false;
		a = e + 1;
	}
}

static void parse_token(const char *token, const char *end, struct options *o)
{
	const char *v;
	if (key_value(token, end, "glue.mem=", &v)) {
		o->mem_given = true;
		o->mem_valid = parse_u64(v, end, &o->mem_mib) && o->mem_mib > 0;
	} else if (key_value(token, end, "glue.initrd=", &v)) {
		o->initrd_given = true;
		const char *colon = v;
		while (colon < end && *colon != ':')
			colon++;
		o->initrd_valid = colon < end && parse_u64(v, colon, &o->initrd_size) &&
				  parse_hex32(colon + 1, end, &o->initrd_crc);
	} else if (key_value(token, end, "glue.cpus=", &v)) {
		o->cpus_valid = parse_u64(v, end, &o->cpus) && o->cpus > 0;
	} else if (key_value(token, end, "glue.acpi=", &v)) {
		o->acpi = expectation(v, end);
	} else if (key_value(token, end, "glue.mptable=", &v)) {
		o->mptable = expectation(v, end);
	} else if (key_value(token, end, "virtio_mmio.device=", &v)) {
		parse_virtio_token(v, end, o);
	} else if (key_value(token, end, "glue.virtio-scan=", &v)) {
		uint64_t n[4] = { 0 };
		o->virtio_scan_given = true;
		o->virtio_scan_valid = parse_fields(v, end, ':', n, 4) && n[1] > 0 && n[2] > 0;
		o->scan_base = n[0];
		o->scan_stride = n[1];
		o->scan_count = n[2];
		o->scan_irq = n[3];
	} else if (key_value(token, end, "glue.blk", &v)) {
		parse_blk_key(v, end, o);
	} else if (key_value(token, end, "glue.rng=", &v)) {
		o->rng = expectation(v, end);
	} else if (key_value(token, end, "glue.mode=", &v)) {
		if (equals(v, end, "emulation-failure"))
			o->mode = MODE_EMULATION_FAILURE;
		else if (equals(v, end, "counter"))
			o->mode = MODE_COUNTER;
		else if (equals(v, end, "exits"))
			o->mode = MODE_EXITS;
		else if (equals(v, end, "blkbench"))
			o->mode = MODE_BLKBENCH;
		else if (equals(v, end, "netbench"))
			o->mode = MODE_NETBENCH;
		else if (equals(v, end, "blk-soak"))
			o->mode = MODE_BLK_SOAK;
		else if (equals(v, end, "io-seq"))
			o->mode = MODE_IO_SEQ;
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
