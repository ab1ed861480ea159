// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "owner.h"
#include "table.h"

struct owners {
	char proc[256];
	uint32_t *pids;
	int npids;
	struct table *by_ino; /* socket inode -> struct owner_info */
	bool scanned; /* in this generation */
	unsigned long scans;
};

struct owners *owners__new(const char *proc_root, const uint32_t *pids, int npids)
{
	struct owners *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	snprintf(o->proc, sizeof(o->proc), "%s", proc_root ? proc_root : "/proc");
	o->by_ino = table__new(sizeof(struct owner_info));
	o->pids = calloc(npids ? npids : 1, sizeof(*pids));
	if (!o->by_ino || !o->pids) {
		owners__free(o);
		return NULL;
	}
	if (npids)
		memcpy(o->pids, pids, npids * sizeof(*pids));
	o->npids = npids;
	return o;
}

void owners__free(struct owners *o)
{
	if (!o)
		return;
	table__free(o->by_ino);
	free(o->pids);
	free(o);
}

void owners__comm(const struct owners *o, uint32_t pid, char *comm)
{
	char path[PATH_MAX];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/comm", o->proc, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, OWNER_COMM_LEN - 1);
		close(fd);
	}
	if (n <= 0) {
		strcpy(comm, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

bool owners__alive(const struct owners *o, uint32_t pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u", o->proc, pid);
	return access(path, F_OK) == 0;
}

char *owners__cmdline(const struct owners *o, uint32_t pid)
{
	char path[PATH_MAX], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/cmdline", o->proc, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strdup(buf);
}

static void note_holder(struct owners *o, uint64_t ino, uint32_t pid)
{
	struct owner_info *info;
	bool created;

	info = table__get(o->by_ino, ino, &created);
	if (!info)
		return;
	if (created) {
		info->pid = pid;
		info->holders = 1;
		owners__comm(o, pid, info->comm);
	} else if (info->pid != pid) {
		/* Charge the lowest PID: usually the parent of a fork. */
		info->holders++;
		if (pid < info->pid) {
			info->pid = pid;
			owners__comm(o, pid, info->comm);
		}
	}
}

static void scan_pid(struct owners *o, uint32_t pid)
{
	char path[PATH_MAX], link[64];
	struct dirent *d;
	uint64_t seen_last = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%u/fd", o->proc, pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		unsigned long long ino;
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%u/fd/%s", o->proc, pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1 || ino == seen_last)
			continue;
		/* A process holding one socket twice (dup) is one holder. */
		seen_last = ino;
		note_holder(o, ino, pid);
	}
	closedir(dir);
}

static void scan(struct owners *o)
{
	struct dirent *d;
	DIR *dir;

	o->scans++;
	o->scanned = true;
	/* Start afresh: sockets close and fds move between processes. */
	table__free(o->by_ino);
	o->by_ino = table__new(sizeof(struct owner_info));
	if (!o->by_ino)
		return;
	if (o->npids) {
		for (int i = 0; i < o->npids; i++)
			scan_pid(o, o->pids[i]);
		return;
	}
	dir = opendir(o->proc);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (*end || !pid)
			continue;
		scan_pid(o, pid);
	}
	closedir(dir);
}

int owners__lookup(struct owners *o, uint64_t ino, struct owner_info *out)
{
	struct owner_info *info;

	if (!ino)
		return -ENOENT;
	info = o->by_ino ? table__find(o->by_ino, ino) : NULL;
	if (!info && !o->scanned) {
		scan(o);
		info = o->by_ino ? table__find(o->by_ino, ino) : NULL;
	}
	if (!info)
		return -ENOENT;
	*out = *info;
	return 0;
}

void owners__new_generation(struct owners *o)
{
	o->scanned = false;
}

unsigned long owners__scans(const struct owners *o)
{
	return o->scans;
}
