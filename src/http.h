/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_HTTP_H
#define TCPWT_HTTP_H

#include <stddef.h>

/*
 * GET /metrics over HTTP (libmicrohttpd, its own thread). The main loop
 * publishes each new metrics text; scrapes get the latest one.
 */
struct http;

/* addr is "PORT", "HOST:PORT" or "[V6]:PORT"; the host defaults to 127.0.0.1. */
int http__parse_addr(const char *addr, char *host, size_t hostlen, unsigned int *port);
/* Listens now; a port in use is an error here, before any tracing. */
int http__start(const char *addr, struct http **out);
/* Takes ownership of text (malloc'd). */
void http__publish(struct http *h, char *text, size_t len);
unsigned long http__requests(const struct http *h);
void http__stop(struct http *h);

#endif
