// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "merge.h"
#include "tcpwaittrace.h"

/* One ring: where the kernel maps it, and how far this reader is. */
struct ring {
	unsigned long *consumer_pos;
	const unsigned long *producer_pos;
	const char *data;
	unsigned long mask;
	unsigned long cons; /* ours, stored to *consumer_pos after each drain */
	unsigned long prod; /* the producer's, read as a drain begins */
	/* The next record to hand on, or NULL: its stamp, place and size. */
	void *rec;
	uint64_t rec_ts;
	uint32_t rec_len;
	/* A record of several events (a batch): which one is next, of how many. */
	unsigned long sub_cons;
	uint32_t sub, nsub, rec_total;
	/* What merge__map() mapped (NULL for a ring set by merge__set_ring()). */
	void *map_cons, *map_prod;
	size_t map_prod_len;
};

struct merge {
	unsigned int n;
	struct ring *r;
	merge_sink_fn sink;
	void *ctx;
	int epfd;
	uint64_t passed; /* every bound drains have passed */
	uint64_t late;
};

struct merge *merge__new(unsigned int nrings, merge_sink_fn sink, void *ctx)
{
	struct merge *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->r = calloc(nrings ? nrings : 1, sizeof(*m->r));
	if (!m->r) {
		free(m);
		return NULL;
	}
	m->n = nrings;
	m->sink = sink;
	m->ctx = ctx;
	m->epfd = -1;
	return m;
}

void merge__free(struct merge *m)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!m)
		return;
	for (unsigned int i = 0; i < m->n; i++) {
		if (m->r[i].map_cons)
			munmap(m->r[i].map_cons, page);
		if (m->r[i].map_prod)
			munmap(m->r[i].map_prod, m->r[i].map_prod_len);
	}
	if (m->epfd >= 0)
		close(m->epfd);
	free(m->r);
	free(m);
}

void merge__set_ring(struct merge *m, unsigned int i, unsigned long *consumer_pos,
		     const unsigned long *producer_pos, const void *data, size_t size)
{
	struct ring *r = &m->r[i];

	r->consumer_pos = consumer_pos;
	r->producer_pos = producer_pos;
	r->data = data;
	r->mask = size - 1;
	r->cons = __atomic_load_n(consumer_pos, __ATOMIC_ACQUIRE);
}

int merge__map(struct merge *m, unsigned int i, int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	/*
	 * Edge-triggered: a ring holding records not yet due reads as ready
	 * until they are; the programs' wakeups (one per batch) are the edges.
	 */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = i };
	struct ring *r = &m->r[i];
	void *cons, *prod;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	r->map_cons = cons;
	/* The data twice in a row after the producer's page: no record wraps. */
	r->map_prod_len = page + 2 * (size_t)info.max_entries;
	prod = mmap(NULL, r->map_prod_len, PROT_READ, MAP_SHARED, fd, page);
	if (prod == MAP_FAILED)
		return -errno;
	r->map_prod = prod;
	merge__set_ring(m, i, cons, prod, (const char *)prod + page, info.max_entries);
	if (m->epfd < 0) {
		m->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (m->epfd < 0)
			return -errno;
	}
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

int merge__wait(struct merge *m, int timeout_ms)
{
	struct epoll_event evs[16];

	if (m->epfd < 0)
		return -EINVAL;
	if (epoll_wait(m->epfd, evs, 16, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

/* Ring r's next committed record before its producer position, skipping discarded ones. */
static void peek(struct ring *r)
{
	r->rec = NULL;
	while (r->cons < r->prod) {
		const char *hdr = r->data + (r->cons & r->mask);
		uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			return; /* reserved, not yet committed: the next drain */
		r->rec_total = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
		if (len & BPF_RINGBUF_DISCARD_BIT) {
			r->cons += r->rec_total;
			continue;
		}
		if (r->sub_cons != r->cons + 1) {
			r->sub_cons = r->cons + 1;
			r->sub = 0;
		}
		r->nsub = size && size % sizeof(struct tcpwt_event) == 0 ?
				  size / sizeof(struct tcpwt_event) : 1;
		r->rec = (void *)(hdr + BPF_RINGBUF_HDR_SZ + (size_t)r->sub * sizeof(struct tcpwt_event));
		r->rec_len = r->nsub > 1 ? sizeof(struct tcpwt_event) : size;
		/* Of another size, it is malformed: handed on first, the sink counts it. */
		r->rec_ts = r->rec_len == sizeof(struct tcpwt_event) ?
				    ((const struct tcpwt_event *)r->rec)->ts_ns : 0;
		return;
	}
}

/* Past the record (or the event of a batch) just handed on. */
static void advance(struct ring *r)
{
	if (r->sub + 1 < r->nsub) {
		r->sub++;
	} else {
		r->cons += r->rec_total;
		r->sub = 0;
	}
	peek(r);
}

size_t merge__drain(struct merge *m, uint64_t upto_ns)
{
	uint64_t last = 0;
	size_t handed = 0;

	for (unsigned int i = 0; i < m->n; i++) {
		struct ring *r = &m->r[i];

		if (!r->data)
			continue;
		r->prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		peek(r);
	}
	for (;;) {
		struct ring *min = NULL;

		for (unsigned int i = 0; i < m->n; i++)
			if (m->r[i].rec && (!min || m->r[i].rec_ts < min->rec_ts))
				min = &m->r[i];
		if (!min || min->rec_ts >= upto_ns)
			break;
		if (min->rec_ts < m->passed && min->rec_len == sizeof(struct tcpwt_event) &&
		    ((const struct tcpwt_event *)min->rec)->type != TCPWT_EV_TW_KILL)
			m->late++;
		if (min->rec_ts > last)
			last = min->rec_ts;
		m->sink(m->ctx, min->rec, min->rec_len);
		handed++;
		advance(min);
	}
	/* Once per drain, not per record: each store sends the line to the producers. */
	for (unsigned int i = 0; i < m->n; i++)
		if (m->r[i].data)
			__atomic_store_n(m->r[i].consumer_pos, m->r[i].cons, __ATOMIC_RELEASE);
	if (upto_ns == UINT64_MAX)
		upto_ns = last + 1;
	if (upto_ns > m->passed)
		m->passed = upto_ns;
	return handed;
}

uint64_t merge__late(const struct merge *m)
{
	return m->late;
}
