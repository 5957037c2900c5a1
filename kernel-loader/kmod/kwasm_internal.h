/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of kwasm.ko share: the instance, vmctx accessors and the few functions one
 * file calls in another. Not an ABI: user space sees only kwasm_ioctl.h and kwasm_abi.h.
 */
#ifndef KWASM_INTERNAL_H
#define KWASM_INTERNAL_H

#include <linux/types.h>
#include <linux/ktime.h>
#include "kwasm_abi.h"

#define WASM_PAGE KWASM_WASM_PAGE_SIZE

struct kwasm_func {
	u32 offset, size;
};

struct kwasm_instance {
	u8 *code;		/* vmalloc, RX once loaded */
	u8 *area;		/* kvzalloc: globals, imported cells, funcref records, type ids, tables */
	u8 *host;		/* per function index: KWASM_HOST_* served in the kernel (imports) */
	u32 nindex;		/* function index space (description's nfuncs) */
	bool pending;		/* the wasm stack is stopped at a host call answered by RESUME */
	bool may_yield;		/* KWASM_LOAD_MAY_YIELD: the stack-overflow stub may return */
	bool trapped;		/* the last INVOKE/RESUME trapped: KWASM_IOC_TRACE may walk its stack */
	u64 mem_page_cap;	/* entries of mem_pages */
	size_t code_bytes;	/* page multiple */
	u32 code_len;		/* bytes of machine code */
	struct kwasm_func *funcs;
	u32 nfuncs;
	u8 *mem;		/* linear memory 0: base of an 8 GiB + 64 KiB reservation */
	size_t mem_bytes;	/* backed bytes at its start */
	size_t mem_access;	/* accessible bytes (memory.size): what MEM_RW and WASI may touch */
	struct vm_struct *mem_area;
	struct page **mem_pages;	/* mem_bytes / PAGE_SIZE backing pages */
	u8 *stack;		/* wasm stack, vmalloc */
	size_t stack_bytes;
	u8 *vmctx;		/* KWASM_VMCTX_SIZE bytes */
	struct kwasm_wasi *wasi;	/* kwasm_wasi.c: fd table, args/environ; made on first use */
	struct kwasm_tables *tabs;	/* kwasm_table.c: tables and element segments */
};

#define VM64(v, f) (*(u64 *)((v) + KWASM_VMCTX_##f))
#define VM32(v, f) (*(u32 *)((v) + KWASM_VMCTX_##f))

/* kwasm_wasi.c: serves import `host` (KWASM_HOST_*) in ring 0 with its slots `a` (at least 9,
 * result in a[0]); false = exit to user space. */
bool kwasm_serve_host(struct kwasm_instance *in, u32 host, u64 *a, ktime_t deadline);
/* kwasm_wasi.c: KWASM_IOC_SET_FDS / GET_FDS / SET_ARGS (file lock held); the instance's free. */
long kwasm_wasi_ioctl(struct kwasm_instance *in, unsigned int cmd, void __user *uarg);
void kwasm_wasi_free(struct kwasm_instance *in);

/* kwasm_net.c: its workqueue (module init/exit) */
int kwasm_net_init(void);
void kwasm_net_exit(void);

/* kwasm_trace.c: KWASM_IOC_TRACE, the trapping frame chain as code offsets. */
long kwasm_ioc_trace(struct kwasm_instance *in, void __user *uarg);
/* kwasm_trace.c: an interrupt outside the code: trapFp/trapPc from the stopped stack (yield or host call). */
void kwasm_trace_stopped(struct kwasm_instance *in, bool yield);

/* kwasm_table.c: the description's table part (layout 0 or 1), the table builtins, free. */
int kwasm_desc_tables_bytes(const u8 *p, u64 avail, u32 ntables, u32 nelems, u32 nsegs, u32 layout, u64 *bytes);
int kwasm_tables_build(struct kwasm_instance *in, const u8 *p, u32 ntables, u32 nelems, u32 nsegs, u32 layout,
		       u8 *descs, u8 *recs, u32 nfuncs, const u8 *fp, const u8 *gp, u32 nglobals, u64 *globals);
bool kwasm_table_builtin(struct kwasm_instance *in, u32 idx, u64 *a);
void kwasm_tables_free(struct kwasm_instance *in);
/* kwasm_table.c: funcref values at the user-space boundary (function indices outside) */
int kwasm_refs_args_in(struct kwasm_instance *in, u32 func, u64 *slots, u32 nslots);
u32 kwasm_refs_results_out(struct kwasm_instance *in, long status, u64 *ret_int, u64 *ret_float, u64 *slots, u32 nslots);
void kwasm_refs_host_out(struct kwasm_instance *in, u32 idx, u64 *hslots, u32 n);
int kwasm_refs_host_in(struct kwasm_instance *in, u32 idx, u64 *hslots, u32 n);
long kwasm_ioc_global(struct kwasm_instance *in, void __user *uarg);

#endif /* KWASM_INTERNAL_H */
