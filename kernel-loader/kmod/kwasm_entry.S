/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring-0 trampolines between the kernel and compiled wasm: the kernel twins of the user-space
 * ones in jit/runtime/trampolines.ts, with the same vmctx protocol (kwasm_abi.h), so compiled
 * code cannot tell which side it runs on.
 *
 *   kwasm_enter(vmctx)  save callee-saved regs + rsp in vmctx.hostRsp, switch to the wasm stack
 *                       below the entry slots at its top, call vmctx.entryFunc -> status 0.
 *   kwasm_resume(vmctx) after a host call: save callee-saved regs again, switch back to the
 *                       stopped wasm stack, hand the result slots to the caller, return into it.
 *   host-call stub      `call [r15 + hostCallStub]`: record index + where the slots are, stop the wasm
 *                       stack (its rbp pushed on it, rsp in vmctx.wasmRsp) -> status 2.
 *   trap stubs          `call [r15 + trapStubs + 8*code]` from compiled code: record, unwind -> 1.
 *   trap landing        where the fixup_exception kprobe sends a faulting compiled-code ip.
 *   kwasm_return_one    the kprobe makes fixup_exception "return 1" (fault handled) through it.
 *
 * The active vmctx lives in a per-CPU variable, not in r15: the stubs and the landing pad must
 * find the instance even if compiled code is mid-way through a cross-instance call. Per-CPU is
 * sound because wasm runs between kernel_fpu_begin/end, i.e. with preemption disabled.
 */
#include <linux/linkage.h>
#include <asm/percpu.h>
#include <asm/nospec-branch.h>
#include "kwasm_abi.h"
#include "kwasm_yield.h"

#define V(f) KWASM_VMCTX_##f(%r15)

/*
 * The host side of every way into wasm (enter, resume, resume after a yield): save the
 * callee-saved registers on the kernel stack, remember that stack in vmctx.hostRsp (every exit
 * unwinds to it) and make rdi this CPU's active vmctx.
 */
.macro FROM_HOST
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, KWASM_VMCTX_HOST_RSP(%rdi)
	mov	%rdi, PER_CPU_VAR(kwasm_active_vmctx)
.endm

	.text

/* long kwasm_enter(void *vmctx): rdi = vmctx, returns KWASM_STATUS_* in eax */
SYM_FUNC_START(kwasm_enter)
	FROM_HOST
	mov	%rdi, %r15
	mov	V(MEMORY_BASE), %r14
	mov	V(WASM_STACK_TOP), %rsp
	/*
	 * The entry slots are already at the top of the wasm stack (ioc_invoke wrote them there):
	 * rsp = top - 8 * ARG_COUNT rounded up to even, so rsp is 16-byte aligned at the call.
	 * Nothing is copied, so no fixed-size area exists that a signature could overrun.
	 */
	mov	V(ARG_COUNT), %rax
	inc	%rax
	and	$-2, %rax
	shl	$3, %rax
	sub	%rax, %rsp
	/* the first argument slots into their registers (kwasm_abi.h, from abi/calling-convention.ts) */
	mov	V(ARG_COUNT), %r11
	KWASM_LOAD_ENTRY_ARG_REGS %r11
	mov	V(ENTRY_FUNC), %rax
	CALL_NOSPEC rax
	/* r15 is pinned by the ABI; reload it anyway: the kernel does not bet on it */
	mov	PER_CPU_VAR(kwasm_active_vmctx), %r15
	mov	%rax, V(RET_INT)
	movq	%xmm0, V(RET_FLOAT)
	/* multi-value results are in the entry slots, where ioc_invoke reads them */
	mov	$KWASM_STATUS_RETURNED, %eax
	/* shared exit: r15 = active vmctx, eax = status */
.Lexit_to_host:
	mov	V(HOST_RSP), %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	RET

/*
 * Host-call stub: eax = import index, ecx = slots, arguments at [rsp + 8 + 8*i]. The slots stay
 * where they are, in the caller's argument area (sized by its frame, covered by its stack
 * check): the stub records their address in vmctx.hostCallArgsPtr and the kernel reads the
 * arguments and writes the results there (kwasm_host_slots checks the range first).
 */
	.p2align 4
SYM_INNER_LABEL(kwasm_host_call_stub, SYM_L_GLOBAL)
	mov	PER_CPU_VAR(kwasm_active_vmctx), %r11
	mov	%eax, KWASM_VMCTX_HOST_CALL_INDEX(%r11)
	mov	%ecx, KWASM_VMCTX_HOST_CALL_SLOTS(%r11)
	mov	%r15, KWASM_VMCTX_STOP_VMCTX(%r11)
	lea	8(%rsp), %rax
	mov	%rax, KWASM_VMCTX_HOST_CALL_ARGS_PTR(%r11)
	/* rbp is callee-saved for wasm code but the exit pops the host's rbp: keep it on the wasm stack */
	push	%rbp
	mov	%rsp, KWASM_VMCTX_WASM_RSP(%r11)
	mov	%r11, %r15
	mov	$KWASM_STATUS_HOST_CALL, %eax
	jmp	.Lexit_to_host

/*
 * Trap stubs: edi = trap code. The stack-overflow stub doubles as the interrupt slow path:
 * vmctx.interrupt 1 traps "interrupted", KWASM_INTERRUPT_YIELD stops the wasm stack with every
 * register saved (status KWASM_STATUS_YIELD, kernel-internal) so that kwasm_resume_yield can
 * later *return* from the stub: compiled code then jumps back to its stack check (a compiler
 * rule; only instances loaded with KWASM_LOAD_MAY_YIELD ever get interrupt = YIELD). Nothing is
 * clobbered before the yield test, since the stub may return.
 */
.macro TRAP_STUB code
	.p2align 4
.Lstub\code:
	.if \code == KWASM_TRAP_STACK_OVERFLOW
	push	%r11
	mov	PER_CPU_VAR(kwasm_active_vmctx), %r11
	cmpl	$KWASM_INTERRUPT_YIELD, KWASM_VMCTX_INTERRUPT(%r11)
	je	.Lyield
	cmpl	$0, KWASM_VMCTX_INTERRUPT(%r11)
	pop	%r11
	mov	$\code, %edi
	je	.Ltrap_common
	mov	$KWASM_TRAP_INTERRUPTED, %edi
	.else
	mov	$\code, %edi
	.endif
	jmp	.Ltrap_common
.endm
	TRAP_STUB 0
	TRAP_STUB 1
	TRAP_STUB 2
	TRAP_STUB 3
	TRAP_STUB 4
	TRAP_STUB 5
	TRAP_STUB 6
	TRAP_STUB 7
	TRAP_STUB 8
	TRAP_STUB 9
	TRAP_STUB 10
	TRAP_STUB 11
	TRAP_STUB 12
	TRAP_STUB 13
	TRAP_STUB 14
	TRAP_STUB 15

/*
 * Yield: [rsp] = saved r11, above it the stub's return address. Push the other GPRs and all
 * XMM registers on the wasm stack (within the kernel headroom below stackLimit), record the
 * stack in vmctx.wasmRsp and exit. Flags need no saving: after the stub, the check runs again.
 */
.Lyield:
	push	%rax
	push	%rcx
	push	%rdx
	push	%rbx
	push	%rbp
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$256, %rsp
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
	movdqu	%xmm8, 128(%rsp)
	movdqu	%xmm9, 144(%rsp)
	movdqu	%xmm10, 160(%rsp)
	movdqu	%xmm11, 176(%rsp)
	movdqu	%xmm12, 192(%rsp)
	movdqu	%xmm13, 208(%rsp)
	movdqu	%xmm14, 224(%rsp)
	movdqu	%xmm15, 240(%rsp)
	mov	%rsp, KWASM_VMCTX_WASM_RSP(%r11)
	mov	%r11, %r15
	mov	$KWASM_STATUS_YIELD, %eax
	jmp	.Lexit_to_host

.Ltrap_common:
	pop	%rdx			/* return address of the stub call = trap pc */
	xor	%esi, %esi		/* no data address */
	xor	%eax, %eax		/* not a hardware fault */
	jmp	.Ltrap_record

/*
 * Trap landing pad, entered with the faulting context's rsp by the fixup_exception kprobe:
 * edi = trap code, rsi = fault address, rdx = faulting ip, ecx = signal equivalent.
 */
	.p2align 4
SYM_INNER_LABEL(kwasm_trap_landing, SYM_L_GLOBAL)
	mov	%ecx, %eax
.Ltrap_record:
	mov	PER_CPU_VAR(kwasm_active_vmctx), %r11
	mov	%edi, KWASM_VMCTX_TRAP_CODE(%r11)
	mov	%eax, KWASM_VMCTX_TRAP_SIGNAL(%r11)
	mov	%rdx, KWASM_VMCTX_TRAP_PC(%r11)
	mov	%rsi, KWASM_VMCTX_TRAP_ADDR(%r11)
	/* still the trapping frame's rbp: KWASM_IOC_TRACE walks the frame chain from it */
	mov	%rbp, KWASM_VMCTX_TRAP_FP(%r11)
	mov	%r15, KWASM_VMCTX_STOP_VMCTX(%r11)
	mov	%r11, %r15
	mov	$KWASM_STATUS_TRAP, %eax
	jmp	.Lexit_to_host
SYM_FUNC_END(kwasm_enter)

/*
 * long kwasm_resume(void *vmctx): continue the wasm stack stopped by the host-call stub. The
 * results were written in place into the caller's argument area above the stub's return
 * address (vmctx.hostCallArgsPtr); slot 0 also goes into rax and xmm0, and `ret` lands after the caller's `call`. The wasm
 * code later leaves through kwasm_enter's tail or a stub, which exits through vmctx.hostRsp,
 * i.e. back to this call.
 */
SYM_FUNC_START(kwasm_resume)
	FROM_HOST
	mov	KWASM_VMCTX_WASM_RSP(%rdi), %rsp
	pop	%rbp
	mov	KWASM_VMCTX_STOP_VMCTX(%rdi), %r15
	mov	KWASM_VMCTX_MEMORY_BASE(%r15), %r14
	/* the results are already in place in the caller's slots; slot 0 also into rax and xmm0 */
	mov	8(%rsp), %rax
	movq	%rax, %xmm0
	RET
SYM_FUNC_END(kwasm_resume)

/*
 * long kwasm_resume_yield(void *vmctx): continue a wasm stack stopped by a yield: restore what
 * .Lyield saved and return from the stack-overflow stub into compiled code.
 */
SYM_FUNC_START(kwasm_resume_yield)
	FROM_HOST
	mov	KWASM_VMCTX_WASM_RSP(%rdi), %rsp
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	movdqu	128(%rsp), %xmm8
	movdqu	144(%rsp), %xmm9
	movdqu	160(%rsp), %xmm10
	movdqu	176(%rsp), %xmm11
	movdqu	192(%rsp), %xmm12
	movdqu	208(%rsp), %xmm13
	movdqu	224(%rsp), %xmm14
	movdqu	240(%rsp), %xmm15
	add	$256, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rbp
	pop	%rbx
	pop	%rdx
	pop	%rcx
	pop	%rax
	pop	%r11
	RET
SYM_FUNC_END(kwasm_resume_yield)

/* int kwasm_return_one(void): the body fixup_exception runs when our kprobe claimed the fault. */
SYM_FUNC_START(kwasm_return_one)
	mov	$1, %eax
	RET
SYM_FUNC_END(kwasm_return_one)

	.section .rodata
	.p2align 3
SYM_DATA_START(kwasm_trap_stub_addrs)
	.quad .Lstub0, .Lstub1, .Lstub2, .Lstub3, .Lstub4, .Lstub5, .Lstub6, .Lstub7
	.quad .Lstub8, .Lstub9, .Lstub10, .Lstub11, .Lstub12, .Lstub13, .Lstub14, .Lstub15
SYM_DATA_END(kwasm_trap_stub_addrs)
