/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_SOCKDIAG_H
#define TCPWT_SOCKDIAG_H

#include <stdint.h>

/* One TCP socket as sock_diag (what ss uses) lists it. */
struct sd_sock {
	uint32_t netns;
	uint8_t family;
	uint8_t state;
	uint16_t lport;
	uint16_t rport;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint64_t ino; /* 0 for timewait sockets and the accept queue */
	uint32_t expires_ms; /* time left on the socket's timer */
	uint32_t uid;
	uint64_t cookie;
	/* tcp_info of full sockets: ms since data last arrived; -1 if unknown */
	int64_t last_data_recv_ms;
	/*
	 * ms since an acceptable ACK last arrived (the peer's FIN carries one):
	 * -1 if unknown
	 */
	int64_t last_ack_recv_ms;
};

typedef int (*sd_cb)(const struct sd_sock *s, void *arg);

#define SD_STATE(s) (1u << (s))

/*
 * Lists the TCP sockets whose state is in the mask, of both families unless
 * family is given, in one network namespace (by inode number) or, with
 * netns 0, in every namespace of the host: those of every process and those
 * bound under /run/netns. A callback returning non-zero stops the walk.
 * Returns the number of namespaces read, or a negative errno.
 */
int sockdiag__dump(uint32_t netns, uint32_t states, int family, sd_cb cb, void *arg);

/* What a network namespace lets connect() take for a local port. */
struct sd_port_sysctls {
	uint16_t port_lo, port_hi; /* ip_local_port_range; both 0 if unknown */
	int tw_reuse; /* net.ipv4.tcp_tw_reuse: 0, 1, 2 (loopback only); -1 if unknown */
};

/*
 * Reads them in a network namespace (by inode number), entering it; unknown
 * when it cannot (the namespace is gone).
 */
void sockdiag__port_sysctls(uint32_t netns, struct sd_port_sysctls *s);

/* Inode number of this process's network namespace. */
uint32_t sockdiag__own_netns(void);

#endif
