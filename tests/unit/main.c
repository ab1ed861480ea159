// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runs every registered test (or those whose name contains argv[1]). */
#include <stdlib.h>
#include "check.h"

struct test *test_list;
bool test_failed;

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	/* Errors the code under test prints on stderr are expected here. */
	if (!getenv("UNIT_VERBOSE"))
		if (!freopen("/dev/null", "w", stderr))
			return 1;
	for (struct test *t = test_list; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		test_failed = false;
		t->fn();
		printf("%s %s\n", test_failed ? "FAIL" : "ok  ", t->name);
		if (test_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
