/* A glue.* key's value straight from the command line, for tests whose keys options.c does not know. */
#ifndef CMDLINE_KEY_H
#define CMDLINE_KEY_H

#include "lib.h"

/* Finds the last token "<key><value>" (key includes its '='); false if there is none. */
bool cmdline_key(const char *key, const char **value, const char **end);

/* Splits [s, end) at ':' into exactly n numbers (decimal or 0x-hex). */
bool cmdline_numbers(const char *s, const char *end, uint64_t *values, unsigned n);

#endif
