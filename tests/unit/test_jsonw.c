// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The streaming JSON writer: what it writes parses back to what was written. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "jsonw.h"

TEST(jsonw_values_parse_back)
{
	char *buf = NULL, big[100000];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct jsonw *w = malloc(sizeof(*w));
	json_error_t err;
	json_t *root = NULL, *arr;

	if (!ASSERT_TRUE(out && w, "buffers"))
		goto out;
	/* A string longer than the writer's buffer, ending in bytes to escape. */
	memset(big, 'x', sizeof(big) - 1);
	memcpy(big + sizeof(big) - 6, "\"\\\n\x01", 5);
	big[sizeof(big) - 1] = '\0';
	jsonw_init(w, out);
	jsonw_obj_open(w);
	jsonw_key(w, "u");
	jsonw_u64(w, INT64_MAX);
	jsonw_key(w, "zero");
	jsonw_u64(w, 0);
	jsonw_key(w, "s");
	jsonw_str(w, "tab\there \"q\" back\\slash caf\xc3\xa9");
	jsonw_key(w, "none");
	jsonw_str(w, NULL);
	jsonw_key(w, "arr");
	jsonw_arr_open(w);
	jsonw_bool(w, true);
	jsonw_bool(w, false);
	jsonw_null(w);
	jsonw_double(w, 2.0);
	jsonw_double(w, 0.25);
	jsonw_arr_open(w);
	jsonw_arr_close(w);
	jsonw_obj_open(w);
	jsonw_obj_close(w);
	jsonw_arr_close(w);
	jsonw_key(w, "big");
	jsonw_str(w, big);
	jsonw_obj_close(w);
	ASSERT_EQ(jsonw_finish(w), 0, "finished cleanly");
	fclose(out);
	out = NULL;
	root = json_loadb(buf, len, 0, &err);
	if (!ASSERT_TRUE(root, err.text))
		goto out;
	ASSERT_TRUE(json_integer_value(json_object_get(root, "u")) == INT64_MAX, "INT64_MAX");
	ASSERT_EQ(json_integer_value(json_object_get(root, "zero")), 0, "zero");
	ASSERT_STREQ(json_string_value(json_object_get(root, "s")),
		     "tab\there \"q\" back\\slash caf??", "escaped; non-ASCII bytes as '?'");
	ASSERT_TRUE(json_is_null(json_object_get(root, "none")), "NULL string is null");
	arr = json_object_get(root, "arr");
	if (ASSERT_EQ(json_array_size(arr), 7, "seven items, commas right")) {
		ASSERT_TRUE(json_is_true(json_array_get(arr, 0)), "true");
		ASSERT_TRUE(json_is_false(json_array_get(arr, 1)), "false");
		ASSERT_TRUE(json_is_null(json_array_get(arr, 2)), "null");
		ASSERT_TRUE(json_is_real(json_array_get(arr, 3)), "2.0 stays a real");
		ASSERT_TRUE(json_real_value(json_array_get(arr, 4)) == 0.25, "0.25");
		ASSERT_EQ(json_array_size(json_array_get(arr, 5)), 0, "empty array");
		ASSERT_EQ(json_object_size(json_array_get(arr, 6)), 0, "empty object");
	}
	ASSERT_STREQ(json_string_value(json_object_get(root, "big")), big, "long string whole");
out:
	json_decref(root);
	if (out)
		fclose(out);
	free(buf);
	free(w);
}

TEST(jsonw_unbalanced_is_an_error)
{
	FILE *out = fopen("/dev/null", "w");
	struct jsonw *w = malloc(sizeof(*w));

	if (!ASSERT_TRUE(out && w, "open"))
		goto out;
	jsonw_init(w, out);
	jsonw_obj_open(w);
	ASSERT_NEQ(jsonw_finish(w), 0, "an open object");
	jsonw_init(w, out);
	jsonw_arr_close(w);
	ASSERT_NEQ(jsonw_finish(w), 0, "a close without an open");
out:
	if (out)
		fclose(out);
	free(w);
}

/* jansson stops at INT64_MAX; our counters do not: the digits, in full. */
TEST(jsonw_u64_max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct jsonw *w = malloc(sizeof(*w));

	if (ASSERT_TRUE(out && w, "buffers")) {
		jsonw_init(w, out);
		jsonw_arr_open(w);
		jsonw_u64(w, UINT64_MAX);
		jsonw_u64(w, 10);
		jsonw_arr_close(w);
		ASSERT_EQ(jsonw_finish(w), 0, "finished");
		fclose(out);
		ASSERT_STREQ(buf, "[18446744073709551615,10]", "digits");
	} else if (out) {
		fclose(out);
	}
	free(buf);
	free(w);
}
