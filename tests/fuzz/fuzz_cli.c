// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer harness for the command line: NUL-separated arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define MAX_ARGS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2] = { "tcpwaittrace" };
	struct config cfg;
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p < buf + size + 1 && argc <= MAX_ARGS; p += strlen(p) + 1) {
		/* --help and --version print and return: harmless, but noisy. */
		if (!strncmp(p, "--h", 3) || !strncmp(p, "-h", 2) || !strncmp(p, "-V", 2) ||
		    !strncmp(p, "--v", 3) || !strncmp(p, "--u", 3) || !strcmp(p, "-?"))
			continue;
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	cli__parse(argc, argv, &cfg);
	free(buf);
	return 0;
}
