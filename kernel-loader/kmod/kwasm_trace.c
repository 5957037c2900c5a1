// SPDX-License-Identifier: GPL-2.0
/*
 * KWASM_IOC_TRACE: the wasm backtrace of the last trap, as code offsets (kernel addresses never
 * reach user space). Every compiled function starts with `push rbp; mov rbp, rsp`, so frames
 * form a chain through rbp: [fp] is the caller's fp and [fp + 8] the return address into the
 * caller. The trap paths (kwasm_entry.S .Ltrap_record) save the trapping frame's rbp in
 * vmctx.trapFp, and nothing runs on the wasm stack after a trap (the next INVOKE starts at its
 * top, and the instance's mutex keeps it from starting while we read), so the chain is intact.
 *
 * While a host call is pending (user space answering it threw instead), the same walk starts
 * from what the host-call stub left on the stopped stack: [wasmRsp] = the calling frame's rbp,
 * [wasmRsp + 8] = the return address into it (user mode's hostCallBacktrace).
 *
 * The chain is data the wasm code could have written, so it is not trusted: every fp must lie
 * inside this instance's wasm stack with room for its two words, be 8-aligned and be above the
 * previous one, which also bounds the walk to stack_bytes / 8 steps. The walk stops at the first
 * return address outside the code (the entry frame returns into kwasm_enter), as user mode's
 * jit/cli/backtrace.ts walk does.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/errno.h>
#include <linux/build_bug.h>

#include "kwasm_abi.h"
#include "kwasm_ioctl.h"
#include "kwasm_internal.h"

long kwasm_ioc_trace(struct kwasm_instance *in, void __user *uarg)
{
	struct kwasm_trace a;
	u64 __user *out;
	u64 lo, hi, fp, pc, code = (u64)(in ? in->code : NULL);
	u32 n = 0;

	BUILD_BUG_ON(sizeof(struct kwasm_trace) != KWASM_TRACE_SIZE);
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || a.reserved)
		return -EINVAL;
	if (a.max_frames > KWASM_MAX_TRACE_FRAMES || (a.max_frames && !a.frames_ptr))
		return -EINVAL;
	if (!in)
		return -ENOENT;
	out = u64_to_user_ptr(a.frames_ptr);
	lo = (u64)in->stack;
	hi = VM64(in->vmctx, WASM_STACK_TOP);	/* <= stack + stack_bytes */
	if (in->trapped) {
		fp = VM64(in->vmctx, TRAP_FP);
		pc = VM64(in->vmctx, TRAP_PC);
	} else if (in->pending) {
		u64 rsp = VM64(in->vmctx, WASM_RSP);

		if (!IS_ALIGNED(rsp, 8) || rsp < lo || rsp > hi - 16)
			return -EINVAL;
		fp = *(u64 *)rsp;
		pc = *(u64 *)(rsp + 8);
	} else {
		return -EINVAL;
	}
	while (n < KWASM_MAX_TRACE_FRAMES && IS_ALIGNED(fp, 8) && fp >= lo && fp <= hi - 16) {
		u64 ret = *(u64 *)(fp + 8), next = *(u64 *)fp;

		if (ret <= code || ret > code + in->code_len)
			break;
		if (n < a.max_frames && put_user(ret - code, out + n))
			return -EFAULT;
		n++;
		if (next <= fp)
			break;
		fp = next;
	}
	a.nframes = n;
	a.trap_pc = pc - code <= in->code_len ? pc - code : 0;	/* as INVOKE's offset_in */
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

/*
 * A run the kernel interrupts between two stretches of wasm (a deadline or fatal signal seen
 * in run_until_exit) has no trap path recording trapFp/trapPc; take them from what the stopped
 * stack holds, so the trap reports a pc and a backtrace as one the watch timer stopped does.
 * Host-call stub: [wasmRsp] = rbp, [wasmRsp + 8] = return address. Yield (kwasm_entry.S .Lyield):
 * 256 bytes of xmm0-15, then r15 r14 r13 r12 r10 r9 r8 rdi rsi rbp rbx rdx rcx rax r11 and the
 * stub's return address.
 */
#define YIELD_RBP_AT (256 + 9 * 8)
#define YIELD_RET_AT (256 + 15 * 8)

void kwasm_trace_stopped(struct kwasm_instance *in, bool yield)
{
	u64 lo = (u64)in->stack, hi = VM64(in->vmctx, WASM_STACK_TOP);
	u64 rsp = VM64(in->vmctx, WASM_RSP);
	u64 ret_at = rsp + (yield ? YIELD_RET_AT : 8);

	if (!IS_ALIGNED(rsp, 8) || rsp < lo || rsp > hi || ret_at > hi - 8)
		return;
	VM64(in->vmctx, TRAP_FP) = *(u64 *)(rsp + (yield ? YIELD_RBP_AT : 0));
	VM64(in->vmctx, TRAP_PC) = *(u64 *)ret_at;
}
