// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tracker_fixture.h"

void fx_setup(struct fixture *f)
{
	unsigned int lo = 32768, hi = 60999;
	FILE *pr;

	memset(f, 0, sizeof(*f));
	strcpy(f->root, "/tmp/tcpwt-unit.XXXXXX");
	if (!mkdtemp(f->root))
		abort();
	f->cfg.top = 10;
	f->cfg.closers_max = 1000;
	f->agg = agg__new();
	f->owners = owners__new(f->root, NULL, 0);
	f->t = tracker__new(&f->cfg, f->agg, f->owners);
	if (!f->agg || !f->owners || !f->t)
		abort();
	tracker__set_jiffy(f->t, 4 * 1000000ULL); /* HZ=250 */
	pr = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (pr) {
		if (fscanf(pr, "%u %u", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(pr);
	}
	f->eph_lo = lo;
	f->eph_hi = hi;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void fx_teardown(struct fixture *f)
{
	tracker__free(f->t);
	owners__free(f->owners);
	agg__free(f->agg);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
}

void fx_process(struct fixture *f, uint32_t pid, const char *comm, const uint64_t *inos,
		int n)
{
	char path[256], target[64];

	snprintf(path, sizeof(path), "%s/%u", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/fd/0", f->root, pid);
	if (symlink("pipe:[4242]", path))
		perror(path);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%u/fd/%d", f->root, pid, 3 + i);
		snprintf(target, sizeof(target), "socket:[%llu]", (unsigned long long)inos[i]);
		if (symlink(target, path))
			perror(path);
	}
	snprintf(path, sizeof(path), "%s/%u/comm", f->root, pid);
	snprintf(target, sizeof(target), "%s\n", comm);
	write_file(path, target);
}

struct tcpwt_event fx_ev(uint8_t type, uint64_t id, uint64_t ts, uint16_t lport, uint16_t rport)
{
	struct tcpwt_event e = { .type = type, .id = id, .ts_ns = ts, .family = AF_INET,
				 .netns = NETNS, .lport = lport, .rport = rport };

	e.laddr[0] = e.raddr[0] = 10;
	e.laddr[3] = 1;
	e.raddr[3] = 2;
	return e;
}

struct tcpwt_event *fx_owned(struct tcpwt_event *e, uint32_t pid, const char *comm)
{
	e->flags |= TCPWT_F_OWNER;
	e->tgid = pid;
	memset(e->comm, 0, sizeof(e->comm));
	strncpy(e->comm, comm, sizeof(e->comm) - 1);
	return e;
}

void fx_feed(struct fixture *f, const struct tcpwt_event *e)
{
	if (f->ahead)
		tracker__on_data_ahead(f->t, e, sizeof(*e));
	else
		tracker__on_data(f->t, e, sizeof(*e));
}

void fx_born(struct fixture *f, uint64_t id, uint64_t ts, uint16_t lport, uint16_t rport,
	     uint8_t state, uint32_t pid, const char *comm)
{
	struct tcpwt_event e;

	if (pid) {
		e = fx_ev(TCPWT_EV_CLOSER, FX_SK(id), ts > MS ? ts - MS : 0, lport, rport);
		e.state = TCPWT_FIN_WAIT1;
		fx_feed(f, fx_owned(&e, pid, comm));
	}
	e = fx_ev(TCPWT_EV_TW_BORN, id, ts, lport, rport);
	e.sk = FX_SK(id);
	e.state = state;
	fx_feed(f, &e);
}

void fx_tw(struct fixture *f, uint8_t type, uint64_t id, uint64_t ts, uint8_t state)
{
	/* No tuple: the tracker goes by the address alone (the kernel's carry ports). */
	struct tcpwt_event e = { .type = type, .id = id, .ts_ns = ts, .state = state };

	fx_feed(f, &e);
}

static struct group *scan_groups(struct fixture *f, uint8_t state, size_t *n)
{
	struct group **v, *g = NULL;
	size_t all = agg__sorted(f->agg, &v);

	*n = 0;
	for (size_t i = 0; i < all; i++)
		if (v[i]->key.state == state) {
			g = v[i];
			(*n)++;
		}
	free(v);
	return *n == 1 ? g : NULL;
}

size_t fx_groups(struct fixture *f, uint8_t state)
{
	size_t n;

	scan_groups(f, state, &n);
	return n;
}

struct group *fx_only(struct fixture *f, uint8_t state)
{
	size_t n;

	return scan_groups(f, state, &n);
}

struct sd_sock fx_sd_sock(uint8_t state, uint16_t lport, uint16_t rport, uint64_t cookie)
{
	struct sd_sock s = { .netns = NETNS, .family = AF_INET, .state = state, .lport = lport,
			     .rport = rport, .cookie = cookie, .last_data_recv_ms = -1,
			     .last_ack_recv_ms = -1 };

	s.laddr[0] = s.raddr[0] = 10;
	s.laddr[3] = 1;
	s.raddr[3] = 2;
	return s;
}

struct sd_sock fx_listed[FX_LISTED_MAX];
size_t fx_n_listed, fx_listings;

int fx_lister(uint32_t states, int family, sd_cb cb, void *arg)
{
	(void)family;
	fx_listings++;
	for (size_t i = 0; i < fx_n_listed; i++)
		if (states & SD_STATE(fx_listed[i].state))
			cb(&fx_listed[i], arg);
	return 1;
}

uint16_t fx_eph(const struct fixture *f, int i)
{
	return f->eph_lo + 100 + i;
}
