// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runs every registered test, or those whose name contains argv[1]; ends with
 * one line "unit: N passed, N failed" and exits 1 if any failed.
 */
#include <stdlib.h>
#include "check.h"

struct test *test_head;
struct test **test_tail = &test_head;
bool test_failed;

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct test *t = test_head; t; t = t->next) {
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
