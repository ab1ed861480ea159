/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A streaming JSON writer: values go straight to a FILE, nothing is built in
 * memory, so a report of 10k groups (a million values) costs what printing it
 * costs. Commas are placed by the writer; strings are escaped (RFC 8259) and
 * bytes outside printable ASCII become '?', as everywhere in our output.
 */
#ifndef TCPWT_JSONW_H
#define TCPWT_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 16
#define JSONW_BUF 16384

struct jsonw {
	FILE *out;
	int depth;
	bool err;
	bool need_comma[JSONW_MAX_DEPTH];
	size_t len;
	char buf[JSONW_BUF]; /* our own buffer: stdio costs per call */
};

void jsonw_init(struct jsonw *w, FILE *out);
void jsonw_obj_open(struct jsonw *w);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w);
void jsonw_arr_close(struct jsonw *w);
/* An object key (our own name: not escaped); then one value call below. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_u64(struct jsonw *w, uint64_t v);
void jsonw_str(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_double(struct jsonw *w, double v);
/* Flushes; 0 when everything was written and every container closed. */
int jsonw_finish(struct jsonw *w);

#endif
