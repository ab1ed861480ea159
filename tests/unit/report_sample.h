/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A small report shared by the writer tests: two groups and two open sockets. */
#ifndef TCPWT_REPORT_SAMPLE_H
#define TCPWT_REPORT_SAMPLE_H

#include "report.h"

struct sample {
	struct config cfg;
	struct agg *agg;
	struct open_sock cw[2];
	struct open_sock tw[2];
	struct tw_dest dests[4];
	struct report rep;
};

/*
 * One CLOSE_WAIT group (4 done, 1 open: listed twice, IPv4 and IPv6) and one
 * TIME_WAIT group (1 expired, 1 killed by a connect() taking its tuple
 * over, 1 open: listed, and listed again as
 * if its own address had not been kept); four destinations of client ports
 * from 10.0.0.4: 300 of 400 (a finding), 250 of 400 where tcp_tw_reuse
 * applies (another finding), 40 of 400, and 5 in a namespace whose settings
 * are unknown, from an address not kept.
 */
void sample_build(struct sample *s, const char *comm);
void sample_done(struct sample *s);

#endif
