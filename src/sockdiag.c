// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include "sockdiag.h"

#define MAX_NETNS 4096

struct netns_ref {
	uint32_t ino;
	char path[300];
};

struct netns_list {
	struct netns_ref *v;
	int n;
};

static void add_netns(struct netns_list *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) || l->n == MAX_NETNS)
		return;
	for (int i = 0; i < l->n; i++)
		if (l->v[i].ino == st.st_ino)
			return;
	l->v[l->n].ino = st.st_ino;
	snprintf(l->v[l->n].path, sizeof(l->v[l->n].path), "%s", path);
	l->n++;
}

/* Every namespace a process lives in, plus those kept alive by a bind mount. */
static int list_netns(struct netns_list *l)
{
	char path[300];
	struct dirent *d;
	DIR *dir;

	l->n = 0;
	l->v = calloc(MAX_NETNS, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	add_netns(l, "/proc/self/ns/net");
	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) > 40)
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		add_netns(l, path);
	}
	if (dir)
		closedir(dir);
	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		char *end;

		strtoul(d->d_name, &end, 10);
		if (*end || strlen(d->d_name) > 10)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		add_netns(l, path);
	}
	if (dir)
		closedir(dir);
	return 0;
}

uint32_t sockdiag__own_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

struct dump_ctx {
	uint32_t netns;
	sd_cb cb;
	void *arg;
	int stop;
};

static int on_attr(const struct nlattr *attr, void *data)
{
	struct sd_sock *s = data;
	const struct tcp_info *info;

	if (mnl_attr_get_type(attr) != INET_DIAG_INFO)
		return MNL_CB_OK;
	/* Older kernels send a shorter struct: read only what is there. */
	if (mnl_attr_get_payload_len(attr) <
	    offsetof(struct tcp_info, tcpi_last_ack_recv) + sizeof(info->tcpi_last_ack_recv))
		return MNL_CB_OK;
	info = mnl_attr_get_payload(attr);
	s->last_data_recv_ms = info->tcpi_last_data_recv;
	s->last_ack_recv_ms = info->tcpi_last_ack_recv;
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct dump_ctx *ctx = data;
	struct sd_sock s = { .netns = ctx->netns, .last_data_recv_ms = -1, .last_ack_recv_ms = -1 };
	size_t alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_ERROR;
	s.family = m->idiag_family;
	s.state = m->idiag_state;
	s.lport = ntohs(m->id.idiag_sport);
	s.rport = ntohs(m->id.idiag_dport);
	alen = s.family == AF_INET ? 4 : 16;
	memcpy(s.laddr, m->id.idiag_src, alen);
	memcpy(s.raddr, m->id.idiag_dst, alen);
	s.ino = m->idiag_inode;
	s.expires_ms = m->idiag_expires;
	s.uid = m->idiag_uid;
	s.cookie = (uint64_t)m->id.idiag_cookie[0] | (uint64_t)m->id.idiag_cookie[1] << 32;
	mnl_attr_parse(nlh, sizeof(*m), on_attr, &s);
	ctx->stop = ctx->cb(&s, ctx->arg);
	return ctx->stop ? MNL_CB_STOP : MNL_CB_OK;
}

static int dump_family(struct mnl_socket *nl, int family, uint32_t states,
		       struct dump_ctx *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned int seq = 1, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret = MNL_CB_OK;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = states;
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, n, seq, portid, on_msg, ctx);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (n < 0)
		return -errno;
	return ret == MNL_CB_ERROR ? -errno : 0;
}

/* Runs fn(arg) inside the namespace at nspath, then comes back; false if it could not enter. */
static bool in_netns(const char *nspath, int self_fd, void (*fn)(void *), void *arg)
{
	int fd = open(nspath, O_RDONLY | O_CLOEXEC);
	bool entered;

	if (fd < 0)
		return false;
	entered = setns(fd, CLONE_NEWNET) == 0;
	if (entered) {
		fn(arg);
		if (setns(self_fd, CLONE_NEWNET)) {
			/* Never keep running in another namespace. */
			perror("tcpwaittrace: cannot return to own network namespace");
			abort();
		}
	}
	close(fd);
	return entered;
}

/* A netlink socket belongs to the namespace it was created in. */
static void open_diag_socket(void *arg)
{
	struct mnl_socket **nl = arg;

	*nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (*nl && mnl_socket_bind(*nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(*nl);
		*nl = NULL;
	}
}

static struct mnl_socket *open_in(const char *nspath, int self_fd)
{
	struct mnl_socket *nl = NULL;

	in_netns(nspath, self_fd, open_diag_socket, &nl);
	return nl;
}

static int dump_one(const struct netns_ref *ns, int self_fd, uint32_t states,
		    int family, struct dump_ctx *ctx)
{
	struct mnl_socket *nl = open_in(ns->path, self_fd);
	int err = 0;

	if (!nl)
		return -errno;
	ctx->netns = ns->ino;
	if (family != AF_INET6)
		err = dump_family(nl, AF_INET, states, ctx);
	if (!err && !ctx->stop && family != AF_INET)
		err = dump_family(nl, AF_INET6, states, ctx);
	mnl_socket_close(nl);
	return err;
}

/* Up to n unsigned numbers from a sysctl file; how many were read. */
static int read_sysctl(const char *path, unsigned int *v, int n)
{
	FILE *f = fopen(path, "re");
	int got = 0;

	while (f && got < n && fscanf(f, "%u", &v[got]) == 1)
		got++;
	if (f)
		fclose(f);
	return got;
}

/* Network sysctls are those of the namespace the file is opened in. */
static void read_port_sysctls(void *arg)
{
	struct sd_port_sysctls *s = arg;
	unsigned int range[2], reuse;

	if (read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", range, 2) == 2 &&
	    range[0] && range[1] >= range[0] && range[1] <= 65535) {
		s->port_lo = (uint16_t)range[0];
		s->port_hi = (uint16_t)range[1];
	}
	if (read_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", &reuse, 1) == 1)
		s->tw_reuse = (int)reuse;
}

void sockdiag__port_sysctls(uint32_t netns, struct sd_port_sysctls *s)
{
	struct netns_list l;
	int self_fd;

	s->port_lo = s->port_hi = 0;
	s->tw_reuse = -1;
	if (netns == sockdiag__own_netns()) {
		read_port_sysctls(s);
		return;
	}
	if (list_netns(&l))
		return;
	self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	for (int i = 0; self_fd >= 0 && i < l.n; i++) {
		if (l.v[i].ino == netns) {
			in_netns(l.v[i].path, self_fd, read_port_sysctls, s);
			break;
		}
	}
	if (self_fd >= 0)
		close(self_fd);
	free(l.v);
}

int sockdiag__dump(uint32_t netns, uint32_t states, int family, sd_cb cb, void *arg)
{
	struct dump_ctx ctx = { .cb = cb, .arg = arg };
	struct netns_list l;
	int self_fd, err, done = 0;

	err = list_netns(&l);
	if (err)
		return err;
	self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self_fd < 0) {
		free(l.v);
		return -errno;
	}
	for (int i = 0; i < l.n && !ctx.stop; i++) {
		if (netns && l.v[i].ino != netns)
			continue;
		/* A namespace may vanish between listing and reading it. */
		if (dump_one(&l.v[i], self_fd, states, family, &ctx) == 0)
			done++;
	}
	close(self_fd);
	free(l.v);
	return done;
}
