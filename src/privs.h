/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_PRIVS_H
#define TCPWT_PRIVS_H

#include <stdbool.h>

/*
 * Once the BPF programs are loaded and attached, keeps only the capabilities
 * the rest of the run needs, and forbids gaining new ones:
 * - CAP_SYS_ADMIN: setns() into other network namespaces for sock_diag;
 * - CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: read other processes' /proc/<pid>/fd
 *   and /proc/<pid>/ns/net to name socket owners;
 * - CAP_DAC_OVERRIDE, only with export files: rewrite them where asked.
 * CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and the rest are dropped: the ring
 * buffer and maps are already open, and closing them needs no privilege.
 */
int privs__drop(bool keep_file_writes);

#endif
