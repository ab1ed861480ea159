/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI shared by the BPF programs and the userspace loader. */
#ifndef TCPWAITTRACE_H
#define TCPWAITTRACE_H

#define TCPWT_COMM_LEN 16

/* TCP states as the kernel numbers them (include/net/tcp_states.h). */
enum tcpwt_tcp_state {
	TCPWT_ESTABLISHED = 1,
	TCPWT_SYN_SENT = 2,
	TCPWT_SYN_RECV = 3,
	TCPWT_FIN_WAIT1 = 4,
	TCPWT_FIN_WAIT2 = 5,
	TCPWT_TIME_WAIT = 6,
	TCPWT_CLOSE = 7,
	TCPWT_CLOSE_WAIT = 8,
	TCPWT_LAST_ACK = 9,
	TCPWT_LISTEN = 10,
	TCPWT_CLOSING = 11,
};

enum tcpwt_event_type {
	/* A full socket entered CLOSE_WAIT (the peer's FIN arrived). */
	TCPWT_EV_CW_ENTER = 1,
	/* A full socket left CLOSE_WAIT; state holds where it went. */
	TCPWT_EV_CW_EXIT = 2,
	/*
	 * A timewait socket was born (its timer was armed for the first time
	 * and the full socket closed). sk is the full socket it replaced:
	 * its CLOSER event names the owner. state is tw_substate: FIN_WAIT2
	 * means the peer's FIN is still to come.
	 */
	TCPWT_EV_TW_BORN = 3,
	/*
	 * The timewait timer was re-armed into TIME_WAIT: from FIN_WAIT2, or
	 * by a segment that reached it in TIME_WAIT (then entry_ns is when
	 * its timer was set before, at its own entry).
	 */
	TCPWT_EV_TW_REARM = 4,
	/*
	 * The timewait timer expired: natural end after the full period. Ends
	 * (and re-arms) carry family, ports and netns but no addresses or
	 * owner.
	 */
	TCPWT_EV_TW_EXPIRE = 5,
	/* The timewait timer was cancelled for good: killed early. */
	TCPWT_EV_TW_KILL = 6,
	/* A socket started listening: tells server sockets from clients. */
	TCPWT_EV_LISTEN = 7,
	/*
	 * A task closed (or shut down) a full socket first: FIN_WAIT1, in
	 * process context. id is the socket (with family and ports, no
	 * addresses: the join is by id), tgid/comm the task: the owner of
	 * the timewait socket it becomes (TW_BORN names it in sk), or not
	 * (CLOSER_GONE).
	 */
	TCPWT_EV_CLOSER = 8,
	/*
	 * A socket that closed first closed for good without a timewait
	 * socket born in its place (a reset, no timewait bucket left); family
	 * and ports only.
	 */
	TCPWT_EV_CLOSER_GONE = 9,
	/*
	 * A network namespace is being deleted, and with it every timewait
	 * socket in it: netns only. Its timewait sockets' kills are not
	 * reported one by one (a torn-down namespace can hold a million; see
	 * tw_netns_purged), each CPU sends this once per namespace instead.
	 */
	TCPWT_EV_NETNS_GONE = 10,
};

/* Set in tcpwt_event.flags. */
enum tcpwt_event_flags {
	/* tgid/comm are the task that acted on the socket in process context. */
	TCPWT_F_OWNER = 1,
	/* TW_KILL: a connect() took its tuple over (tcpwt_tw_slot.taken_over). */
	TCPWT_F_TAKEN_OVER = 2,
};

/*
 * One event. id is the kernel address of the struct sock (CW_*, LISTEN) or
 * of the struct inet_timewait_sock (TW_*): an identity only while the
 * object lives, since the allocator reuses addresses.
 */
struct tcpwt_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 id;
	union {
		__u64 ino; /* CW_*, LISTEN: socket inode, 0 when none (accept queue) */
		__u64 sk; /* TW_BORN: the full socket it replaced */
	};
	/*
	 * TW_* events: when TIME_WAIT began by the timer's expiry; CW_EXIT:
	 * when the last ACK came (the peer's FIN's, unless more came after),
	 * by the jiffy. 0 if unknown.
	 */
	__u64 entry_ns;
	/* Socket cookie, 0 if never asked for: names sockets sock_diag listed */
	__u64 cookie;
	__u32 netns; /* network namespace inode number */
	__u32 tgid;
	__u8 type;
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 state;
	__u8 flags;
	__u16 lport; /* host byte order */
	__u16 rport;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
	char comm[TCPWT_COMM_LEN];
};

/* A timewait timer event parked on one CPU until the next one tells what it was. */
struct tcpwt_tw_slot {
	__u64 tw;
	__u64 ts_ns;
	__u64 entry_ns;
	__u64 cookie;
	__u8 substate;
	__u8 family;
	/*
	 * Cancelled already out of the hash table: a connect() took its tuple
	 * over (the kernel's TWRecycled), which unhashes it before the kill.
	 * Any other kill (a reset, the peer's new SYN, ss -K) unhashes after.
	 */
	__u8 taken_over;
	__u8 pad;
	/* skc_portpair: remote port (network order), then the local one. */
	__u32 portpair;
	__u32 hash; /* skc_hash: of the tuple and namespace */
	__u32 snd_nxt; /* tw_snd_nxt: a new connection's starts elsewhere */
	__u32 netns; /* network namespace inode number: of cancels and ends only */
};

/* Per-CPU bookkeeping of the timewait timer programs. */
#define TCPWT_GONE_NETS 4 /* a power of two */

struct tcpwt_cpu_state {
	/* Cancelled, not yet known whether expiring, re-armed or killed. */
	struct tcpwt_tw_slot cancel;
	/* Armed for the first time, waiting for its full socket's close. */
	struct tcpwt_tw_slot born;
	/* Another birth while born waits: softirq, nested in a task's. */
	struct tcpwt_tw_slot born_nested;
	/* The last namespaces this CPU sent NETNS_GONE for (cookies), in a ring. */
	__u32 gone_next;
	/* Births since the last one dropped on purpose (--fault-drop-births). */
	__u32 fault_birth_n;
	__u64 gone_nets[TCPWT_GONE_NETS];
};

/* A transition the main state program took, until its backup pops it. */
struct tcpwt_state_seen {
	__u64 sk;
	__u32 transition; /* oldstate << 8 | newstate; 0 when popped */
	__u32 ports; /* skc_portpair */
	__u32 txhash; /* sk_txhash: random, drawn for each connection */
	__u32 pad;
};

#define TCPWT_STATE_SEEN 256 /* a power of two */

/*
 * Per CPU: the stack of transitions the main state program took, for its
 * backup (see set_state_bak_btf).
 */
struct tcpwt_active {
	__u32 seen_top;
	__u32 bak_running; /* the backup runs on this CPU (its body) */
	struct tcpwt_state_seen seen[TCPWT_STATE_SEEN];
	/*
	 * Runs of the main state program on this CPU: with its recursion
	 * misses, the tracepoint hits that reached it (--verify-delivery;
	 * the classic program counts only then).
	 */
	__u64 state_runs;
	/* Transitions since the last injected skip (--fault-skip). */
	__u32 fault_main_n;
	__u32 fault_backup_n;
	__u32 fault_pileup_n; /* backup runs since the last injected burst (--fault-pileup) */
};

/*
 * Per CPU: events appended by the programs, written to the ring
 * TCPWT_BATCH at a time (a power of two), or by flush_batch.
 */
#define TCPWT_BATCH 16

struct tcpwt_batch {
	__u32 n;
	__u32 busy; /* a program on this CPU is appending */
	struct tcpwt_event ev[TCPWT_BATCH];
};

#endif
