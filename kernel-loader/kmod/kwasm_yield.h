/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-internal constants of the cooperative yield, shared by kwasm_main.c and kwasm_entry.S
 * (never seen by user space or compiled code, hence not in the generated ABI header).
 */
#ifndef KWASM_YIELD_H
#define KWASM_YIELD_H

/* vmctx.interrupt value asking the stack-overflow stub to yield (1 = interrupted) */
#define KWASM_INTERRUPT_YIELD 2
/* status of kwasm_enter/kwasm_resume*: the wasm stack yielded; kwasm_resume_yield continues it */
#define KWASM_STATUS_YIELD 3

#endif /* KWASM_YIELD_H */
