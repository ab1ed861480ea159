// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel side of tcpwaittrace: reports the moments TCP sockets enter and
 * leave CLOSE_WAIT and TIME_WAIT, and who owned them, through ring buffers,
 * batched per CPU.
 *
 * CLOSE_WAIT is seen on sock:inet_sock_set_state. TIME_WAIT is not: the full
 * socket is replaced by a struct inet_timewait_sock whose life is only
 * visible through its timer (function == tw_timer_handler) on the timer
 * tracepoints. Each hook exists twice, as tp_btf (preferred: typed, direct
 * loads) and as a classic tracepoint (fallback); userspace loads one set.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpwaittrace.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define PF_KTHREAD 0x00200000
#define TW_LEN_SECS 60 /* TCP_TIMEWAIT_LEN, not tunable */
#define BORN_STALE_NS 10000000ULL /* 10 ms */
/*
 * A re-arm's start came 1.2-2.0 us after its cancel here, with interrupts
 * off in between; only a hypervisor taking the vCPU away stretches that (a
 * test once saw it pass 20 us). A kill and a new birth at the same address
 * and tuple is told apart by its sequence numbers, not by this bound.
 */
#define REARM_NS 10000000ULL

const volatile __u8 targ_family = 0;
const volatile bool filter_ports = false;
const volatile bool filter_pids = false;
/* Wake the reader only once this much is queued (a power of two); 0 wakes per event. */
const volatile __u64 wakeup_bytes = 0;

extern int CONFIG_HZ __kconfig __weak;
extern const void tw_timer_handler __ksym;
/* A typed view of an address, for plain (fault-safe) loads; 6.2+. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* Work the kernel side could not do; read and reported by userspace. */
__u64 lost_events = 0; /* ring buffer full */
/*
 * Timewait born without its full socket's close: not reported (userspace
 * counts such sockets when their end comes); for bpftool.
 */
__u64 tw_unmatched = 0;
/* Transitions the state program's backup handled because the main one was skipped. */
__u64 state_backups_handled = 0;
/* Timewait sockets killed by their namespace's deletion: no KILL event each. */
__u64 tw_netns_purged = 0;

/*
 * Fault injection for tests (the hidden option --fault-skip MAIN,BACKUP):
 * the main state program acts as if the kernel had skipped it on every
 * MAIN-th transition of a socket no task holds (those softirq makes, the only
 * ones the kernel skips: they interrupt a task inside the program), and its
 * backup on every BACKUP-th such transition the main program took (a backup
 * is only skipped inside another backup: the main program was not). Counted
 * as the kernel counts its misses. 0 turns it off, and the verifier drops
 * the code.
 */
const volatile __u32 fault_skip_main = 0;
const volatile __u32 fault_skip_backup = 0;
__u64 fault_main_skips = 0;
__u64 fault_backup_skips = 0;
/*
 * And (--fault-drop-births N) every N-th timewait birth joined on a CPU
 * goes unreported, as when its hits reach no program: no TW_BORN, no
 * CLOSER_GONE; its timer's later events are reported. Counted here only.
 */
const volatile __u32 fault_drop_births = 0;
__u64 fault_birth_drops = 0;
/*
 * And (--fault-pileup N) before every N-th run of the state program's
 * backup, before it marks itself running, FAULT_PILEUP entries are pushed
 * on its stack, as when softirq interrupts that run's dispatch and makes as
 * many transitions (their backups skipped): the run must still find the
 * entry of its own transition below them.
 */
const volatile __u32 fault_pileup = 0;
#define FAULT_PILEUP 40

/*
 * Two ring buffers per CPU (batches, and the records of programs that
 * interrupted an append): one event's CPU is not the next one's for the
 * same socket, and userspace puts the rings' records back in time order
 * (src/merge.h). It creates the rings and sets their size; this is their
 * template.
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* two per possible CPU */
	__type(key, __u32);
	__array(values, struct ring);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcpwt_cpu_state);
} cpu_state SEC(".maps");

/* Per CPU: struct tcpwt_active (tcpwaittrace.h). */
#define STATE_SEEN TCPWT_STATE_SEEN
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcpwt_active);
} active SEC(".maps");

static __always_inline struct tcpwt_active *this_cpu_active(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&active, &zero);
}

static __always_inline bool port_match(__u16 lport, __u16 rport)
{
	if (!filter_ports)
		return true;
	return bpf_map_lookup_elem(&ports, &lport) ||
	       bpf_map_lookup_elem(&ports, &rport);
}

/*
 * Where the addresses come from: the socket itself (tp_btf, direct loads) or
 * the classic tracepoint's record.
 */
struct sk_src {
	const struct sock *sk;
	const struct trace_event_raw_inet_sock_set_state *tp;
	bool owned; /* a task holds the socket lock: current owns the socket */
	__u16 family;
	__u16 lport;
	__u16 rport;
};

/*
 * Most transitions run in softirq, where current has nothing to do with the
 * socket. A task that owns the socket lock is in a syscall on the socket
 * (close, shutdown, listen, or the backlog processed when it releases the
 * lock): it holds the socket, so it is an owner. Softirq only touches
 * sockets nobody owns; kernel threads are nobody's process.
 */
static __always_inline bool current_owner(const struct sk_src *src, __u32 *tgid,
					  char *comm)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!src->owned || (task->flags & PF_KTHREAD))
		return false;
	*tgid = bpf_get_current_pid_tgid() >> 32;
	/* The process's name, not the thread's. */
	__builtin_memcpy(comm, task->group_leader->comm, TCPWT_COMM_LEN);
	return true;
}

/*
 * Records are batched per CPU: a program appends its event to its CPU's
 * batch and, every TCPWT_BATCH events, writes them to the ring at once
 * (reserving and committing a record for each cost ~127 ns of the machine's
 * time under churn, most of the ring buffer's cost). A program that
 * interrupted another's append (the batch is busy) writes its record
 * straight to its CPU's second ring. Userspace flushes partial batches
 * (flush_batch) before it reads.
 */
#define barrier() asm volatile("" ::: "memory")

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tcpwt_batch);
} batches SEC(".maps");

static __always_inline struct tcpwt_batch *this_cpu_batch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&batches, &zero);
}

/* This CPU's ring for batches (0) or for records written straight (1). */
static __always_inline void *this_cpu_ring(__u32 which)
{
	__u32 i = bpf_get_smp_processor_id() * 2 + which;

	return bpf_map_lookup_elem(&events, &i);
}

/*
 * A zeroed event of this type, stamped ts_ns (a clock read costs ~45 ns
 * here): a slot of this CPU's batch (*rb NULL), or a record reserved in its
 * second ring (*rb, for submit()).
 */
static __always_inline struct tcpwt_event *reserve(__u8 type, __u64 ts_ns, void **rb)
{
	struct tcpwt_batch *b = this_cpu_batch();
	struct tcpwt_event *e = NULL;

	*rb = NULL;
	if (b && !b->busy && b->n < TCPWT_BATCH) {
		b->busy = 1;
		barrier();
		e = &b->ev[b->n & (TCPWT_BATCH - 1)];
	} else {
		*rb = this_cpu_ring(1);
		if (*rb)
			e = bpf_ringbuf_reserve(*rb, sizeof(*e), 0);
		if (!e) {
			__sync_fetch_and_add(&lost_events, 1);
			return NULL;
		}
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = ts_ns;
	return e;
}

/*
 * Wakes the reader each time the queued data crosses a multiple of
 * wakeup_bytes, not for every event past it: a wakeup is an interrupt, and
 * until the reader runs every event would send another one. A crossing
 * missed by racing producers is made up at the next multiple or by the
 * reader's poll timeout.
 */
/* What a record takes in the ring: an 8-byte header, the data, 8-aligned. */
#define RECORD_BYTES(size) (((size) + 8 + 7) / 8 * 8)

/* Whether 'adding' bytes on top of 'before' queued in a ring cross a multiple. */
static __always_inline __u64 wake_flags(__u64 before, __u64 adding)
{
	if (!wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	/* A mask, not a division (~40 cycles each). */
	if ((before & (wakeup_bytes - 1)) + adding >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void submit(struct tcpwt_event *e, void *rb)
{
	struct tcpwt_batch *b;
	void *ring;

	if (rb) {
		/* Our own record is counted: it was reserved. */
		__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);

		bpf_ringbuf_submit(e, wake_flags(avail - RECORD_BYTES(sizeof(*e)),
						 RECORD_BYTES(sizeof(*e))));
		return;
	}
	b = this_cpu_batch();
	if (!b)
		return;
	b->n++;
	if (b->n >= TCPWT_BATCH) {
		ring = this_cpu_ring(0);
		if (!ring || bpf_ringbuf_output(ring, b->ev, sizeof(b->ev),
						wake_flags(bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA),
							   RECORD_BYTES(sizeof(b->ev)))))
			__sync_fetch_and_add(&lost_events, TCPWT_BATCH);
		b->n = 0;
	}
	barrier();
	b->busy = 0;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/*
 * With tp_btf, sk is a typed pointer: fields are plain (fault-safe) loads,
 * several times cheaper than bpf_probe_read_kernel(). The classic
 * tracepoint only has an address, so it reads.
 */
static __always_inline __u64 sk_cookie(const struct sock *sk, bool btf)
{
	if (btf)
		return sk->__sk_common.skc_cookie.counter;
	return BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
}

/*
 * The socket's inode: struct socket is the first member of struct
 * socket_alloc, its inode the next, so one load past the socket where the
 * path through its file took three in a row (in softirq each a cache miss:
 * 16% of the state program's samples in a profile).
 */
static __always_inline __u64 sk_ino(const struct sock *sk, bool btf)
{
	struct socket *sock;

	if (btf && bpf_rdonly_cast) {
		const struct socket_alloc *sa;

		sock = sk->sk_socket;
		if (!sock)
			return 0;
		sa = bpf_rdonly_cast(sock, bpf_core_type_id_kernel(struct socket_alloc));
		return sa->vfs_inode.i_ino;
	}
	sock = BPF_CORE_READ(sk, sk_socket);
	if (!sock)
		return 0;
	return BPF_CORE_READ((struct socket_alloc *)sock, vfs_inode.i_ino);
}

/* What CLOSER and CLOSER_GONE need: userspace joins them by socket address. */
static __always_inline void fill_ports(struct tcpwt_event *e, const struct sk_src *src)
{
	e->family = src->family;
	e->lport = src->lport;
	e->rport = src->rport;
}

static __always_inline void fill_addrs(struct tcpwt_event *e,
				       const struct sk_src *src, bool btf)
{
	const struct sock *sk = src->sk;

	fill_ports(e, src);
	if (btf) {
		if (src->family == AF_INET) {
			__builtin_memcpy(e->laddr, &sk->__sk_common.skc_rcv_saddr, 4);
			__builtin_memcpy(e->raddr, &sk->__sk_common.skc_daddr, 4);
		} else {
			__builtin_memcpy(e->laddr, &sk->__sk_common.skc_v6_rcv_saddr, 16);
			__builtin_memcpy(e->raddr, &sk->__sk_common.skc_v6_daddr, 16);
		}
		e->netns = sk->__sk_common.skc_net.net->ns.inum;
	} else {
		/* Copied, not loaded: ctx loads need constant offsets. */
		if (src->family == AF_INET) {
			bpf_probe_read_kernel(e->laddr, 4, src->tp->saddr);
			bpf_probe_read_kernel(e->raddr, 4, src->tp->daddr);
		} else {
			bpf_probe_read_kernel(e->laddr, 16, src->tp->saddr_v6);
			bpf_probe_read_kernel(e->raddr, 16, src->tp->daddr_v6);
		}
		e->netns = sk_netns(sk);
	}
}

/*
 * When the last acceptable ACK came, by the jiffy (tcp_sock's rcv_tstamp):
 * the peer's FIN carries one, so on leaving CLOSE_WAIT it tells when the
 * socket entered it, unless ACKs came after (the socket sent while in
 * CLOSE_WAIT): then the time in CLOSE_WAIT is at least since. 0 if unknown.
 */
/* The time, by the clock of now_ns, jiffies ago (CONFIG_HZ known); 0 if before boot. */
static __always_inline __u64 jiffies_ago(__u64 now_ns, __u64 jiffies)
{
	__u64 ago = jiffies * (1000000000ULL / CONFIG_HZ);

	return ago > now_ns ? 0 : now_ns - ago;
}

static __always_inline __u64 last_ack_ns(const struct sk_src *src, __u64 now_ns)
{
	const struct tcp_sock *tcp = (const void *)src->sk;
	__u32 stamp, since;

	if (CONFIG_HZ <= 0)
		return 0;
	if (src->tp || !bpf_rdonly_cast)
		stamp = BPF_CORE_READ(tcp, rcv_tstamp);
	else
		stamp = ((const struct tcp_sock *)bpf_rdonly_cast(
				 tcp, bpf_core_type_id_kernel(struct tcp_sock)))->rcv_tstamp;
	/* jiffies' low 32 bits, as the kernel keeps the stamp */
	since = (__u32)bpf_jiffies64() - stamp;
	return jiffies_ago(now_ns, since);
}

static __always_inline void emit_sock_event(const struct sk_src *src, bool btf,
					    __u8 type, int newstate)
{
	void *rb;
	struct tcpwt_event *e = reserve(type, bpf_ktime_get_ns(), &rb);

	if (!e)
		return;
	if (type == TCPWT_EV_CW_EXIT)
		e->entry_ns = last_ack_ns(src, e->ts_ns);
	e->id = (__u64)src->sk;
	e->state = newstate;
	e->cookie = sk_cookie(src->sk, btf);
	fill_addrs(e, src, btf);
	if (current_owner(src, &e->tgid, e->comm))
		e->flags |= TCPWT_F_OWNER;
	/* A CLOSE_WAIT exit by its holder names its owner: no inode needed. */
	if (type != TCPWT_EV_CW_EXIT || !(e->flags & TCPWT_F_OWNER))
		e->ino = sk_ino(src->sk, btf);
	submit(e, rb);
}

/*
 * A task closes (or shuts down) a socket first: its timewait socket is born
 * later, in softirq, where nothing tells whose it is. Userspace joins the
 * two: an event here, in the closing task's context, and the birth names
 * this socket. (A table in a map that joined them here cost more: its slot
 * was a cache miss at the claim and another at the close, often on the other
 * CPU, ~40% of this program's own time in a profile; with this event instead
 * the program costs 5-10% less per call.)
 */
static __always_inline void emit_closer(const struct sk_src *src)
{
	struct tcpwt_event *e;
	void *rb;
	__u32 tgid;
	char comm[TCPWT_COMM_LEN];

	if (!current_owner(src, &tgid, comm))
		return;
	if (filter_pids && !bpf_map_lookup_elem(&pids, &tgid))
		return;
	if (!port_match(src->lport, src->rport))
		return;
	e = reserve(TCPWT_EV_CLOSER, bpf_ktime_get_ns(), &rb);
	if (!e)
		return;
	e->id = (__u64)src->sk;
	e->state = TCPWT_FIN_WAIT1;
	fill_ports(e, src);
	e->tgid = tgid;
	__builtin_memcpy(e->comm, comm, sizeof(e->comm));
	e->flags |= TCPWT_F_OWNER;
	submit(e, rb);
}

static __always_inline struct tcpwt_cpu_state *this_cpu_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/*
 * A timewait socket's address as a typed pointer for plain loads (tp_btf
 * programs: a load is several times cheaper than bpf_probe_read_kernel()),
 * or NULL: read it.
 */
static __always_inline const struct inet_timewait_sock *tw_view(__u64 tw, bool btf)
{
	if (!btf || !bpf_rdonly_cast)
		return NULL;
	return bpf_rdonly_cast((void *)tw, bpf_core_type_id_kernel(struct inet_timewait_sock));
}

/* A namespace's inode number: loaded where a typed view can be had, else read. */
static __always_inline __u32 net_inum(const struct net *net, bool btf)
{
	const struct net *n = NULL;

	if (btf && bpf_rdonly_cast)
		n = bpf_rdonly_cast((void *)net, bpf_core_type_id_kernel(struct net));
	return n ? n->ns.inum : BPF_CORE_READ(net, ns.inum);
}

/* A field of the timewait socket at address tw: loaded where it can be, else read. */
#define TW_FIELD(tw, btf, field)                                          \
	({                                                                \
		struct inet_timewait_sock *__p = (void *)(tw);            \
		const struct inet_timewait_sock *__t = tw_view(tw, btf); \
		__t ? __t->field : BPF_CORE_READ(__p, field);             \
	})

/* Does the timewait socket parked in slot s belong to this full socket? */
static __always_inline bool born_of(const struct tcpwt_tw_slot *s, const struct sk_src *src)
{
	/* Read at the birth: the remote port (network order), then the local one. */
	return s->tw && s->portpair == ((__u32)bpf_htons(src->rport) | (__u32)src->lport << 16);
}

/*
 * tcp_time_wait() arms the new timewait socket's timer, then closes the full
 * socket on the same CPU: join the two here, so that the birth names the
 * full socket (and its CLOSER event the owner). Softirq can do the same for
 * another socket in between (a task's close interrupted): the latest birth
 * is in born_nested. A close after FIN without a birth ends the socket's
 * CLOSER for good.
 */
static __always_inline void on_closed_after_fin(const struct sk_src *src, bool btf)
{
	struct tcpwt_cpu_state *cs = this_cpu_state();
	struct tcpwt_tw_slot *born = NULL;
	struct tcpwt_event *e;
	void *rb;

	if (cs && born_of(&cs->born_nested, src))
		born = &cs->born_nested;
	else if (cs && born_of(&cs->born, src))
		born = &cs->born;
	if (fault_drop_births && born && cs && ++cs->fault_birth_n >= fault_drop_births) {
		cs->fault_birth_n = 0;
		__sync_fetch_and_add(&fault_birth_drops, 1);
		goto clear;
	}
	/* Whoever closed it, another process's socket is not ours with -p: userspace tells. */
	if ((targ_family && src->family != targ_family) ||
	    !port_match(src->lport, src->rport))
		goto clear;
	e = reserve(born ? TCPWT_EV_TW_BORN : TCPWT_EV_CLOSER_GONE,
		    born ? born->ts_ns : bpf_ktime_get_ns(), &rb);
	if (!e)
		goto clear;
	if (born) {
		e->id = born->tw;
		e->sk = (__u64)src->sk;
		e->state = born->substate;
		fill_addrs(e, src, btf);
	} else {
		e->id = (__u64)src->sk;
		fill_ports(e, src);
	}
	submit(e, rb);
clear:
	if (born)
		born->tw = 0;
}

/* Cheap first test: the transitions the two states need, of all there are. */
static __always_inline bool interesting(int oldstate, int newstate)
{
	switch (newstate) {
	case TCPWT_CLOSE_WAIT:
	case TCPWT_LISTEN:
	case TCPWT_FIN_WAIT1:
		return true;
	case TCPWT_CLOSE:
		return oldstate == TCPWT_FIN_WAIT1 || oldstate == TCPWT_FIN_WAIT2 ||
		       oldstate == TCPWT_CLOSING || oldstate == TCPWT_CLOSE_WAIT;
	default:
		return oldstate == TCPWT_CLOSE_WAIT;
	}
}

static __always_inline int on_set_state(const struct sk_src *src, bool btf,
					int oldstate, int newstate)
{
	bool fin_closed = newstate == TCPWT_CLOSE &&
			  (oldstate == TCPWT_FIN_WAIT1 || oldstate == TCPWT_FIN_WAIT2 ||
			   oldstate == TCPWT_CLOSING);

	/* A close after FIN frees its timewait's slot, whatever the family. */
	if (targ_family && src->family != targ_family && !fin_closed)
		return 0;
	if (newstate == TCPWT_CLOSE_WAIT) {
		if (port_match(src->lport, src->rport))
			emit_sock_event(src, btf, TCPWT_EV_CW_ENTER, newstate);
	} else if (oldstate == TCPWT_CLOSE_WAIT) {
		if (port_match(src->lport, src->rport))
			emit_sock_event(src, btf, TCPWT_EV_CW_EXIT, newstate);
	} else if (newstate == TCPWT_LISTEN) {
		emit_sock_event(src, btf, TCPWT_EV_LISTEN, newstate);
	} else if (newstate == TCPWT_FIN_WAIT1) {
		emit_closer(src);
	} else if (fin_closed) {
		on_closed_after_fin(src, btf);
	}
	return 0;
}

static __always_inline int on_set_state_btf(const struct sock *sk, int oldstate,
					    int newstate)
{
	struct sk_src src;

	if (!interesting(oldstate, newstate) || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	src.sk = sk;
	src.tp = NULL;
	src.owned = sk->sk_lock.owned;
	src.family = sk->__sk_common.skc_family;
	/*
	 * skc_num sits with the addresses. A move to CLOSE releases the port
	 * before the tracepoint (turning into timewait among them), which
	 * clears it: then the source port, on another cache line.
	 */
	if (newstate != TCPWT_CLOSE) {
		src.lport = sk->__sk_common.skc_num;
	} else if (bpf_rdonly_cast) {
		const struct inet_sock *inet =
			bpf_rdonly_cast((void *)sk, bpf_core_type_id_kernel(struct inet_sock));

		src.lport = bpf_ntohs(inet->inet_sport);
	} else {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

		if (!tp)
			return 0;
		src.lport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	}
	src.rport = bpf_ntohs(sk->__sk_common.skc_dport);
	return on_set_state(&src, true, oldstate, newstate);
}

/*
 * The kernel skips a program that fires while the same program already runs
 * on that CPU, and only counts it in recursion_misses. Softirq often
 * interrupts a task inside this tracepoint (close() under the socket lock),
 * so the state program has a backup, run after it for every transition,
 * which must do exactly the transitions the main program did not: the main
 * program pushes each transition it takes on a per-CPU stack before anything
 * else, the backup pops it. A transition the backup does not find was
 * skipped, wherever the interruption came (a "running" flag raised in the
 * body would miss the program's prologue and epilogue).
 *
 * Pushes and pops pair up except when a backup was itself skipped (it came
 * while the backup ran): its entry is stale. A stale entry must never be
 * taken for a later transition, or that one is lost; and the pop that took
 * it would drop the live entries above it, whose transitions their backups
 * would then handle a second time. So an entry is the socket's address, the
 * transition, the socket's ports and its sk_txhash, and a pop drops every
 * entry above the one it takes: those came after it and are done, their
 * backups skipped. The allocator hands a freed socket's address to the next
 * one at once, and under churn (connect() reusing timewait sockets' ports)
 * the next connection at that address often makes the same transition with
 * the same ports: without sk_txhash, up to 12 transitions a minute were lost
 * that way (~3,000 in 10 s with skips injected, test_backup_faults).
 * sk_txhash is drawn at random for each connection (at connect(), or for
 * the SYN that made it) and stays put while its socket is locked, so it
 * tells them apart.
 *
 * Stale entries pile up above a live one only while a backup runs: softirq
 * interrupting it runs the main program, which pushes, and skips the
 * backup, which would have popped. A burst of packets did that 22 times in
 * a row here, inside a task's backup for its close(): with 16 entries the
 * ring wrapped over the task's own entry, and its backup, not finding it,
 * handled its CLOSE_WAIT exit a second time (about once in 1.5M
 * connections). So the backup marks itself running, and a main program run
 * inside it pushes nothing (its backup will not run); what the mark cannot
 * cover (the backup's dispatch before its first instruction) the depth of
 * the stack does: 256 entries, all searched.
 */
static __always_inline __u32 transition(int oldstate, int newstate)
{
	/* Never 0: TCP states start at 1. */
	return (__u32)(oldstate & 0xff) << 8 | (newstate & 0xff);
}

static __always_inline bool fault_skip(const struct sock *sk, __u32 every, __u32 *n,
				       __u64 *skips)
{
	if (sk->sk_lock.owned || ++*n < every)
		return false;
	*n = 0;
	__sync_fetch_and_add(skips, 1);
	return true;
}

static __always_inline void push_entry(struct tcpwt_active *a, __u64 sk, __u32 tr,
				       __u32 ports, __u32 txhash)
{
	struct tcpwt_state_seen *e = &a->seen[a->seen_top & (STATE_SEEN - 1)];

	e->sk = sk;
	e->transition = tr;
	e->ports = ports;
	e->txhash = txhash;
	a->seen_top++;
}

static __always_inline void state_push(struct tcpwt_active *a, const struct sock *sk, __u32 tr)
{
	if (!a)
		return;
	push_entry(a, (__u64)sk, tr, sk->__sk_common.skc_portpair, sk->sk_txhash);
	a->state_runs++;
}

/* True when the main program took this transition (and forgets it). */
static __always_inline bool state_pop(struct tcpwt_active *a, const struct sock *sk, __u32 tr)
{
	__u32 ports = sk->__sk_common.skc_portpair, txhash = sk->sk_txhash;
	__u32 top, found;

	if (!a)
		return true; /* cannot happen; never handle twice */
	top = a->seen_top;
	found = 0;
	for (int i = 1; i <= STATE_SEEN; i++) {
		struct tcpwt_state_seen *e = &a->seen[(top - i) & (STATE_SEEN - 1)];

		if (e->transition == tr && e->sk == (__u64)sk && e->ports == ports &&
		    e->txhash == txhash) {
			found = i;
			break;
		}
	}
	if (!found)
		return false;
	/* The kernel only skips a backup whose main program ran: it leaves the entry. */
	if (fault_skip_backup &&
	    fault_skip(sk, fault_skip_backup, &a->fault_backup_n, &fault_backup_skips))
		return true;
	for (__u32 j = 1; j <= found && j <= STATE_SEEN; j++)
		a->seen[(top - j) & (STATE_SEEN - 1)].transition = 0;
	/* Absolute: a preempting task may have pushed meanwhile. */
	a->seen_top = top - found;
	return true;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	struct tcpwt_active *a = this_cpu_active();

	if (fault_skip_main && a &&
	    fault_skip(sk, fault_skip_main, &a->fault_main_n, &fault_main_skips))
		return 0;
	/* Inside a backup on this CPU: this run's backup will be skipped. */
	if (a && a->bak_running)
		a->state_runs++;
	else
		state_push(a, sk, transition(oldstate, newstate));
	return on_set_state_btf(sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_bak_btf, const struct sock *sk, int oldstate, int newstate)
{
	struct tcpwt_active *a = this_cpu_active();

	if (!a)
		return 0; /* cannot happen; never handle twice */
	if (fault_pileup && ++a->fault_pileup_n >= fault_pileup) {
		a->fault_pileup_n = 0;
		/* Transitions of no socket (addresses 1 to FAULT_PILEUP), done. */
		for (__u32 i = 1; i <= FAULT_PILEUP; i++)
			push_entry(a, i, transition(oldstate, newstate), 0, 0);
	}
	a->bak_running = 1;
	if (!state_pop(a, sk, transition(oldstate, newstate))) {
		__sync_fetch_and_add(&state_backups_handled, 1);
		on_set_state_btf(sk, oldstate, newstate);
	}
	a->bak_running = 0;
	return 0;
}

static __always_inline int on_set_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const struct sock *sk = ctx->skaddr;
	struct sk_src src;

	if (!interesting(ctx->oldstate, ctx->newstate) || ctx->protocol != IPPROTO_TCP)
		return 0;
	src.sk = sk;
	src.tp = ctx;
	src.owned = BPF_CORE_READ(sk, sk_lock.owned);
	src.family = ctx->family;
	src.lport = ctx->sport;
	src.rport = ctx->dport;
	return on_set_state(&src, false, ctx->oldstate, ctx->newstate);
}

/*
 * A classic tracepoint program's return value decides whether perf events
 * on the tracepoint see the hit: 0 hides it from them. --verify-delivery
 * counts hits with such an event, so then both programs return 1.
 */
const volatile int perf_sees_hits = 0;
/* --verify-delivery also compares the state program's runs with those hits. */
const volatile bool count_runs = false;

/*
 * No backup here: the kernel runs a classic tracepoint's programs together,
 * under one per-CPU guard shared by all of them (bpf_prog_active), and skips
 * them together when any BPF program already runs on that CPU. A backup
 * would be skipped with the program it backs up, so it could never make up a
 * miss; every miss here is counted as lost.
 */
SEC("tracepoint/sock/inet_sock_set_state")
int set_state_tp(struct trace_event_raw_inet_sock_set_state *ctx)
{
	/* The tp_btf program counts them as it pushes; here the count is all. */
	if (count_runs) {
		struct tcpwt_active *a = this_cpu_active();

		if (a)
			a->state_runs++;
	}
	on_set_state_tp(ctx);
	return perf_sees_hits;
}

/* ---- timewait sockets, seen through their timer ---- */

static __always_inline __u64 tw_of(const struct timer_list *timer)
{
	return (__u64)timer -
	       bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
}

/*
 * When the timewait entered TIME_WAIT, from its timer: every entry into
 * TIME_WAIT (re)arms it to TCP_TIMEWAIT_LEN, even a re-arm so small that the
 * timer wheel keeps it in the same bucket and no tracepoint fires.
 */
static __always_inline __u64 tw_entry_ns(__u64 tw, __u64 now_ns, bool btf)
{
	__u64 expires, now_j;
	__s64 since;

	if (CONFIG_HZ <= 0)
		return 0;
	expires = TW_FIELD(tw, btf, tw_timer.expires);
	now_j = bpf_jiffies64();
	since = (__s64)(now_j - expires) + (__s64)TW_LEN_SECS * CONFIG_HZ;
	return jiffies_ago(now_ns, since < 0 ? 0 : since);
}

static __always_inline void emit_tw_end(__u8 type, const struct tcpwt_tw_slot *s)
{
	void *rb;
	struct tcpwt_event *e = reserve(type, s->ts_ns, &rb);

	if (!e)
		return;
	if (type == TCPWT_EV_TW_KILL && s->taken_over)
		e->flags |= TCPWT_F_TAKEN_OVER;
	e->id = s->tw;
	e->state = s->substate;
	e->entry_ns = s->entry_ns;
	e->cookie = s->cookie;
	/* So that userspace can tell an end of a socket it never saw born. */
	e->family = s->family;
	e->lport = s->portpair >> 16;
	e->rport = bpf_ntohs((__u16)s->portpair);
	e->netns = s->netns;
	submit(e, rb);
}

/* A cancel not followed on its CPU by an expiry or a re-arm was a kill. */
static __always_inline void flush_cancel(struct tcpwt_cpu_state *cs)
{
	if (!cs->cancel.tw)
		return;
	emit_tw_end(TCPWT_EV_TW_KILL, &cs->cancel);
	cs->cancel.tw = 0;
}

static __always_inline void fill_slot(struct tcpwt_tw_slot *s, __u64 tw, bool btf)
{
	s->tw = tw;
	s->ts_ns = bpf_ktime_get_ns();
	s->entry_ns = tw_entry_ns(tw, s->ts_ns, btf);
	s->substate = TW_FIELD(tw, btf, tw_substate);
	s->cookie = TW_FIELD(tw, btf, __tw_common.skc_cookie.counter);
	s->family = TW_FIELD(tw, btf, __tw_common.skc_family);
	s->taken_over = 0; /* known at a cancel */
	s->portpair = TW_FIELD(tw, btf, __tw_common.skc_portpair);
	s->hash = TW_FIELD(tw, btf, __tw_common.skc_hash);
	s->netns = 0; /* read by the ends that report it */
	/*
	 * Our side's next sequence number (tcp_timewait_sock's tw_snd_nxt),
	 * which a segment's re-arm leaves alone: a new connection of the same
	 * tuple (a port taken over) starts from another initial one.
	 */
	s->snd_nxt = TW_FIELD(tw, btf, __tw_common.skc_tw_snd_nxt);
}

static __always_inline int on_tw_start(struct tcpwt_cpu_state *cs, __u64 tw, bool btf)
{
	struct tcpwt_tw_slot s;

	fill_slot(&s, tw, btf);
	/*
	 * mod_timer(): cancel then start, on this CPU, with interrupts off in
	 * between (microseconds apart), of the same socket (tuple and sequence
	 * numbers), and only ever into TIME_WAIT. Anything else at that address
	 * is a new timewait socket where the killed one was: the slab hands a
	 * freed object straight back to its CPU, even to another connection's
	 * birth in the softirq that runs as the killing task re-enables them.
	 * Its tuple is another one's, or, for the same tuple reopened (its port
	 * taken over), so are its sequence numbers.
	 */
	if (cs->cancel.tw == tw && s.ts_ns - cs->cancel.ts_ns < REARM_NS &&
	    s.portpair == cs->cancel.portpair && s.hash == cs->cancel.hash &&
	    s.snd_nxt == cs->cancel.snd_nxt && s.substate == TCPWT_TIME_WAIT) {
		/*
		 * Already in TIME_WAIT (a segment re-armed it): it entered when
		 * its timer was last set. Its move from FIN_WAIT2 may have fired
		 * no tracepoint: a re-arm within the timer's wheel bucket
		 * changes only its expiry. The move itself reads TIME_WAIT at
		 * its cancel too (the substate is set first): userspace, which
		 * knows the birth, tells it by a timer last set then.
		 */
		if (cs->cancel.substate == TCPWT_TIME_WAIT)
			s.entry_ns = cs->cancel.entry_ns;
		s.netns = cs->cancel.netns;
		cs->cancel.tw = 0;
		emit_tw_end(TCPWT_EV_TW_REARM, &s);
		return 0;
	}
	flush_cancel(cs);
	/*
	 * A birth waits microseconds for its close; one older than this was
	 * never joined (its close was not seen) and frees the slot.
	 */
	if (cs->born.tw && s.ts_ns - cs->born.ts_ns > BORN_STALE_NS) {
		__sync_fetch_and_add(&tw_unmatched, 1);
		cs->born.tw = 0;
	}
	if (!cs->born.tw) {
		cs->born = s;
		return 0;
	}
	if (cs->born_nested.tw)
		__sync_fetch_and_add(&tw_unmatched, 1);
	cs->born_nested = s;
	return 0;
}

/* The reference count of a namespace, wherever this kernel keeps it. */
struct ns_common___v618 {
	refcount_t __ns_ref;
} __attribute__((preserve_access_index));
struct ns_common___v517 {
	refcount_t count;
} __attribute__((preserve_access_index));
struct net___v514 {
	refcount_t count;
} __attribute__((preserve_access_index));

/* check_net(): the namespace is being dismantled once no reference is left. */
static __always_inline bool net_dying(const struct net *net)
{
	const void *ns = &net->ns;
	int refs;

	if (bpf_core_field_exists(((struct ns_common___v618 *)ns)->__ns_ref))
		refs = BPF_CORE_READ((struct ns_common___v618 *)ns, __ns_ref.refs.counter);
	else if (bpf_core_field_exists(((struct ns_common___v517 *)ns)->count))
		refs = BPF_CORE_READ((struct ns_common___v517 *)ns, count.refs.counter);
	else if (bpf_core_field_exists(((struct net___v514 *)net)->count))
		refs = BPF_CORE_READ((struct net___v514 *)net, count.refs.counter);
	else
		return false;
	return refs == 0;
}

/*
 * Deleting a namespace kills all its timewait sockets at once, from a
 * kernel worker: their kill events would flood the ring buffer (750k of them
 * did: 124k were dropped). The first one on each CPU tells
 * userspace the namespace is gone instead, which ends all its timewait
 * sockets; the rest are only counted.
 */
static __always_inline void on_netns_purge(struct tcpwt_cpu_state *cs, const struct net *net)
{
	__u64 id = (__u64)net;
	struct tcpwt_event *e;
	void *rb;

	/* The namespace's cookie is never reused; its address may be. */
	if (bpf_core_field_exists(net->net_cookie))
		id = BPF_CORE_READ(net, net_cookie);
	__sync_fetch_and_add(&tw_netns_purged, 1);
#pragma unroll
	for (int i = 0; i < TCPWT_GONE_NETS; i++)
		if (cs->gone_nets[i] == id)
			return;
	e = reserve(TCPWT_EV_NETNS_GONE, bpf_ktime_get_ns(), &rb);
	if (!e)
		return; /* counted; the next kill tries again */
	cs->gone_nets[cs->gone_next++ & (TCPWT_GONE_NETS - 1)] = id;
	e->netns = BPF_CORE_READ(net, ns.inum);
	submit(e, rb);
}

static __always_inline int on_tw_cancel(struct tcpwt_cpu_state *cs, __u64 tw, bool btf)
{
	const struct net *net = TW_FIELD(tw, btf, __tw_common.skc_net.net);

	if (net_dying(net)) {
		on_netns_purge(cs, net);
		return 0;
	}
	if (cs->cancel.tw != tw)
		flush_cancel(cs);
	/* Read now: after a kill the timewait socket is freed. */
	fill_slot(&cs->cancel, tw, btf);
	/*
	 * For an end whose birth the tracer never saw: the listeners of its
	 * namespace tell a server's socket from a client's. Beside the
	 * reference count net_dying() read: no more memory touched.
	 */
	cs->cancel.netns = net_inum(net, btf);
	/*
	 * connect() taking the tuple over unhashes the timewait socket, then
	 * kills it; every other end unhashes it after its timer is cancelled.
	 */
	cs->cancel.taken_over = !TW_FIELD(tw, btf, __tw_common.skc_nulls_node.pprev);
	return 0;
}

static __always_inline int on_tw_expire(struct tcpwt_cpu_state *cs, __u64 tw, bool btf)
{
	const struct net *net;
	struct tcpwt_tw_slot s;

	if (cs->cancel.tw == tw)
		cs->cancel.tw = 0;
	else
		flush_cancel(cs);
	fill_slot(&s, tw, btf);
	net = TW_FIELD(tw, btf, __tw_common.skc_net.net);
	s.netns = net_inum(net, btf);
	emit_tw_end(TCPWT_EV_TW_EXPIRE, &s);
	return 0;
}

static __always_inline bool is_tw_timer(const void *function)
{
	return function == &tw_timer_handler;
}

/*
 * Unlike the state program, the timer programs need no backup: timer_start
 * and timer_cancel fire under the timer base's lock with interrupts off, and
 * timer_expire_entry in the timer softirq, which does not nest, so no call of
 * a timer program can interrupt another call of the same program on its CPU.
 * (A recursion miss there, should one ever come, is counted as lost.)
 */
enum tw_hook { TW_START, TW_CANCEL, TW_EXPIRE };

static __always_inline int on_timer(enum tw_hook hook, const struct timer_list *timer,
				    const void *function, bool btf)
{
	struct tcpwt_cpu_state *cs;
	__u64 tw;

	/* Nearly every timer is another: for those, nothing else is touched. */
	if (!is_tw_timer(function))
		return 0;
	cs = this_cpu_state();
	if (!cs)
		return 0;
	tw = tw_of(timer);
	if (hook == TW_START)
		return on_tw_start(cs, tw, btf);
	if (hook == TW_CANCEL)
		return on_tw_cancel(cs, tw, btf);
	return on_tw_expire(cs, tw, btf);
}

SEC("tp_btf/timer_start")
int BPF_PROG(timer_start_btf, struct timer_list *timer)
{
	return on_timer(TW_START, timer, timer->function, true);
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(timer_cancel_btf, struct timer_list *timer)
{
	return on_timer(TW_CANCEL, timer, timer->function, true);
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(timer_expire_btf, struct timer_list *timer)
{
	return on_timer(TW_EXPIRE, timer, timer->function, true);
}

SEC("tracepoint/timer/timer_start")
int timer_start_tp(struct trace_event_raw_timer_start *ctx)
{
	return on_timer(TW_START, ctx->timer, ctx->function, false);
}

SEC("tracepoint/timer/timer_cancel")
int timer_cancel_tp(struct trace_event_raw_timer_class *ctx)
{
	struct timer_list *timer = ctx->timer;

	return on_timer(TW_CANCEL, timer, BPF_CORE_READ(timer, function), false);
}

SEC("tracepoint/timer/timer_expire_entry")
int timer_expire_tp(struct trace_event_raw_timer_expire_entry *ctx)
{
	return on_timer(TW_EXPIRE, ctx->timer, ctx->function, false);
}

/*
 * Run by userspace on each CPU in turn (BPF_PROG_TEST_RUN on that CPU, in an
 * interrupt), before it reads the rings: writes that CPU's partial batch.
 * Returns 1 when it could not (a program on that CPU was appending to it):
 * the batch stays, and the reader waits for it. A full ring drops it, as
 * it would a full batch (counted): the reader, waiting, would not empty it.
 */
SEC("raw_tp")
int flush_batch(void *ctx)
{
	struct tcpwt_batch *b = this_cpu_batch();
	__u32 n;
	void *ring;

	if (!b)
		return 0;
	if (b->busy)
		return 1;
	n = b->n;
	if (!n)
		return 0;
	if (n > TCPWT_BATCH)
		n = TCPWT_BATCH;
	ring = this_cpu_ring(0);
	if (!ring || bpf_ringbuf_output(ring, b->ev, n * sizeof(b->ev[0]), BPF_RB_NO_WAKEUP))
		__sync_fetch_and_add(&lost_events, n);
	b->n = 0;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
