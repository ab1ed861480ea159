// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <string.h>
#include "jsonw.h"

/* Room for the longest single item written without a check: a number. */
#define ITEM_MAX 48

void jsonw_init(struct jsonw *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->err = false;
	w->need_comma[0] = false;
	w->len = 0;
}

static void flush(struct jsonw *w)
{
	if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
		w->err = true;
	w->len = 0;
}

static inline void reserve(struct jsonw *w, size_t n)
{
	if (w->len + n > sizeof(w->buf))
		flush(w);
}

static inline void put(struct jsonw *w, char c)
{
	w->buf[w->len++] = c;
}

static void put_str(struct jsonw *w, const char *s, size_t n)
{
	reserve(w, n);
	if (n > sizeof(w->buf)) {
		if (fwrite(s, 1, n, w->out) != n)
			w->err = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* Before any value: a comma if the container already holds one. */
static void sep(struct jsonw *w)
{
	reserve(w, ITEM_MAX);
	if (w->need_comma[w->depth])
		put(w, ',');
	w->need_comma[w->depth] = true;
}

static void open_(struct jsonw *w, char c)
{
	sep(w);
	put(w, c);
	if (w->depth + 1 >= JSONW_MAX_DEPTH) {
		w->err = true;
		return;
	}
	w->need_comma[++w->depth] = false;
}

static void close_(struct jsonw *w, char c)
{
	reserve(w, 1);
	put(w, c);
	if (w->depth > 0)
		w->depth--;
	else
		w->err = true;
}

void jsonw_obj_open(struct jsonw *w)
{
	open_(w, '{');
}

void jsonw_obj_close(struct jsonw *w)
{
	close_(w, '}');
}

void jsonw_arr_open(struct jsonw *w)
{
	open_(w, '[');
}

void jsonw_arr_close(struct jsonw *w)
{
	close_(w, ']');
}

static void str_body(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(w, '"');
	for (; *s; s++) {
		unsigned char c = *s;

		reserve(w, 8);
		if (c == '"' || c == '\\') {
			put(w, '\\');
			put(w, c);
		} else if (c < 0x20) {
			put_str(w, "\\u00", 4);
			put(w, hex[c >> 4]);
			put(w, hex[c & 15]);
		} else {
			put(w, c < 0x7f ? c : '?');
		}
	}
	reserve(w, 2);
	put(w, '"');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	size_t n = strlen(key);

	sep(w);
	if (n + 3 > ITEM_MAX) {
		str_body(w, key);
	} else {
		/* Keys are our own names: nothing to escape. */
		put(w, '"');
		memcpy(w->buf + w->len, key, n);
		w->len += n;
		put(w, '"');
	}
	reserve(w, 1);
	put(w, ':');
	/* The value that follows takes no comma of its own. */
	w->need_comma[w->depth] = false;
}

void jsonw_u64(struct jsonw *w, uint64_t v)
{
	char tmp[20];
	int n = sizeof(tmp);

	sep(w);
	do {
		tmp[--n] = '0' + v % 10;
		v /= 10;
	} while (v);
	memcpy(w->buf + w->len, tmp + n, sizeof(tmp) - n);
	w->len += sizeof(tmp) - n;
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	sep(w);
	str_body(w, s);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	sep(w);
	put_str(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	put_str(w, "null", 4);
}

void jsonw_double(struct jsonw *w, double v)
{
	char tmp[ITEM_MAX];
	int n;

	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	sep(w);
	/* %.17g round-trips; a bare integer would read back as an integer. */
	n = snprintf(tmp, sizeof(tmp) - 2, "%.17g", v);
	if (n < 0 || n >= (int)sizeof(tmp) - 2) {
		w->err = true;
		return;
	}
	if (!strpbrk(tmp, ".eEn"))
		strcpy(tmp + n, ".0");
	put_str(w, tmp, strlen(tmp));
}

int jsonw_finish(struct jsonw *w)
{
	flush(w);
	return w->err || w->depth || ferror(w->out) ? -1 : 0;
}
