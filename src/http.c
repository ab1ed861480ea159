// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "cli.h"
#include "http.h"

struct http {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	char *text; /* the latest metrics */
	size_t len;
	unsigned long requests;
};

int http__parse_addr(const char *addr, char *host, size_t hostlen, unsigned int *port)
{
	const char *colon = strrchr(addr, ':');
	const char *p = colon ? colon + 1 : addr;
	unsigned long v;
	size_t n;

	if (cli__parse_uint(p, 1, 65535, &v))
		return -EINVAL;
	*port = v;
	n = colon ? (size_t)(colon - addr) : 0;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (!n) {
		snprintf(host, hostlen, "127.0.0.1");
		return 0;
	}
	if (n >= hostlen)
		return -EINVAL;
	memcpy(host, addr, n);
	host[n] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "not found: try /metrics\n";
	struct http *h = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		*upload_size = 0;
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else if (strcmp(url, "/metrics")) {
		status = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						      MHD_RESPMEM_PERSISTENT);
	} else {
		pthread_mutex_lock(&h->lock);
		h->requests++;
		resp = MHD_create_response_from_buffer(h->len, h->text ? h->text : "",
						      MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&h->lock);
		if (resp)
			MHD_add_response_header(resp, "Content-Type",
						"text/plain; version=0.0.4; charset=utf-8");
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int http__start(const char *addr, struct http **out)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	/* No MHD_USE_ERROR_LOG: our own one-line errors, no noise per bad request. */
	unsigned int port, flags = MHD_USE_INTERNAL_POLLING_THREAD;
	char host[INET6_ADDRSTRLEN];
	struct http *h;

	if (http__parse_addr(addr, host, sizeof(host), &port))
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->daemon = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				     MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				     MHD_OPTION_END);
	if (!h->daemon) {
		int err = errno ? -errno : -EADDRINUSE;

		pthread_mutex_destroy(&h->lock);
		free(h);
		return err;
	}
	*out = h;
	return 0;
}

void http__publish(struct http *h, char *text, size_t len)
{
	char *old;

	pthread_mutex_lock(&h->lock);
	old = h->text;
	h->text = text;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	free(old);
}

unsigned long http__requests(const struct http *h)
{
	return h->requests;
}

void http__stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	pthread_mutex_destroy(&h->lock);
	free(h->text);
	free(h);
}
