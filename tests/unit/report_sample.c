// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "report_sample.h"

#define MS 1000000ULL
#define S 1000000000ULL

void sample_build(struct sample *s, const char *comm)
{
	struct group_key cw = { .state = TCPWT_CLOSE_WAIT, .role = ROLE_SERVER, .port = 8080,
				.pid = 10 };
	struct group_key tw = { .state = TCPWT_TIME_WAIT, .role = ROLE_CLIENT, .port = 443,
				.pid = 11, .comm = "curl" };
	bool created;
	uint64_t a, b;

	memset(s, 0, sizeof(*s));
	s->cfg.top = 10;
	s->agg = agg__new();
	strncpy(cw.comm, comm, sizeof(cw.comm) - 1);
	a = agg__group(s->agg, &cw, &created);
	b = agg__group(s->agg, &tw, &created);
	for (int i = 0; i < 4; i++)
		agg__complete(s->agg, a, (300 + i) * MS, TW_END_NONE);
	agg__complete(s->agg, b, 60 * S, TW_END_EXPIRED);
	agg__complete(s->agg, b, 2 * S, TW_END_TAKEN_OVER);
	agg__add_open(s->agg, a, 5 * S, false, false, false);
	agg__add_open(s->agg, b, 3 * S, false, false, false);
	s->cw[0] = (struct open_sock){ .state = TCPWT_CLOSE_WAIT, .role = ROLE_SERVER,
				       .family = AF_INET, .port = 8080, .lport = 8080,
				       .rport = 40000, .pid = 10, .age_ns = 5 * S };
	strncpy(s->cw[0].comm, comm, sizeof(s->cw[0].comm) - 1);
	inet_pton(AF_INET, "10.0.0.1", s->cw[0].laddr);
	inet_pton(AF_INET, "10.0.0.2", s->cw[0].raddr);
	s->cw[1] = s->cw[0];
	s->cw[1].family = AF_INET6;
	s->cw[1].age_ns = 4 * S;
	inet_pton(AF_INET6, "2001:db8::1", s->cw[1].laddr);
	inet_pton(AF_INET6, "2001:db8::2", s->cw[1].raddr);
	s->rep.cfg = &s->cfg;
	s->rep.ngroups = agg__sorted(s->agg, &s->rep.groups);
	s->tw[0] = (struct open_sock){ .state = TCPWT_TIME_WAIT, .role = ROLE_CLIENT,
				       .family = AF_INET, .port = 443,
				       .lport = 40001, .rport = 443, .pid = 9, .age_ns = 3 * S };
	strncpy(s->tw[0].comm, "curl", sizeof(s->tw[0].comm) - 1);
	inet_pton(AF_INET, "10.0.0.4", s->tw[0].laddr);
	inet_pton(AF_INET, "10.0.0.3", s->tw[0].raddr);
	s->tw[1] = s->tw[0];
	s->tw[1].no_laddr = true;
	memset(s->tw[1].laddr, 0, sizeof(s->tw[1].laddr));
	s->tw[1].lport = 40002;
	s->tw[1].age_ns = 2 * S;
	s->rep.oldest_cw = s->cw;
	s->rep.n_cw = 2;
	s->rep.oldest_tw = s->tw;
	s->rep.n_tw = 2;
	s->dests[0] = (struct tw_dest){ .pid = 9, .family = AF_INET, .rport = 443, .netns = 1,
					.ephemeral_ports = 400, .tw_reuse = 0, .sockets = 300 };
	strncpy(s->dests[0].comm, "curl", sizeof(s->dests[0].comm) - 1);
	inet_pton(AF_INET, "10.0.0.4", s->dests[0].laddr);
	inet_pton(AF_INET, "10.0.0.3", s->dests[0].raddr);
	s->dests[1] = s->dests[0];
	s->dests[1].sockets = 250;
	s->dests[1].rport = 8443;
	s->dests[1].tw_reuse = 1;
	s->dests[1].tw_reusable = true;
	s->dests[2] = s->dests[0];
	s->dests[2].sockets = 40;
	s->dests[2].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::4", s->dests[2].laddr);
	inet_pton(AF_INET6, "2001:db8::3", s->dests[2].raddr);
	s->dests[3] = s->dests[0];
	s->dests[3].sockets = 5;
	s->dests[3].netns = 2;
	s->dests[3].ephemeral_ports = 0;
	s->dests[3].tw_reuse = -1;
	s->dests[3].no_laddr = true;
	memset(s->dests[3].laddr, 0, sizeof(s->dests[3].laddr));
	s->rep.tw_dests = s->dests;
	s->rep.n_dests = 4;
	s->rep.elapsed_s = 6;
	s->rep.host = "h";
	s->rep.kernel = "k";
}

void sample_done(struct sample *s)
{
	free(s->rep.groups);
	agg__free(s->agg);
}
