/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef TCPWT_OWNER_H
#define TCPWT_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#define OWNER_COMM_LEN 16

/* The process holding a socket's file descriptor. */
struct owner_info {
	uint32_t pid; /* TGID */
	uint32_t holders; /* processes holding the socket, >1 when shared */
	char comm[OWNER_COMM_LEN];
};

/*
 * Resolves socket inodes to processes by reading /proc/<pid>/fd links
 * (socket:[INODE]), as ss -p does: lazily, at most one scan per generation,
 * and only the followed processes when given.
 */
struct owners;

struct owners *owners__new(const char *proc_root, const uint32_t *pids, int npids);
void owners__free(struct owners *o);
/* 0 and *out filled, or -ENOENT when no followed process holds ino. */
int owners__lookup(struct owners *o, uint64_t ino, struct owner_info *out);
/* Lets the next lookup miss scan /proc again (call once per report). */
void owners__new_generation(struct owners *o);
unsigned long owners__scans(const struct owners *o);
/* The process's name (its main thread's comm); "?" when gone. */
void owners__comm(const struct owners *o, uint32_t pid, char *comm);
bool owners__alive(const struct owners *o, uint32_t pid);
/* The process's command line, arguments joined by spaces; NULL when gone. */
char *owners__cmdline(const struct owners *o, uint32_t pid);

#endif
