// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Calibration for the benchmark (tools/bench-empty.c): programs that do
 * nothing, on the tracer's hooks. What one costs per call is the floor of
 * this kernel and machine (dispatch, and with bpf_stats the timing itself);
 * the benchmark reports the tracer's programs against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_set_state, const struct sock *sk, int oldstate, int newstate)
{
	return 0;
}

SEC("tp_btf/timer_start")
int BPF_PROG(empty_timer_start, struct timer_list *timer)
{
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(empty_timer_cancel, struct timer_list *timer)
{
	return 0;
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(empty_timer_expire, struct timer_list *timer)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
