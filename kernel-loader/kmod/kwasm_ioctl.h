/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * /dev/kwasm ioctl ABI, shared by kwasm.ko and user space (kernel-loader/ioctl.ts mirrors every
 * offset below; tests/kernel/ioctl-header.test.ts compares the two).
 *
 * Rules that keep old binaries working as the ABI grows:
 *  - every argument struct starts with { __u32 version; __u32 flags; }: version must be
 *    KWASM_IOCTL_VERSION, unknown flags are -EINVAL;
 *  - the struct size is part of the command number (_IOC_SIZE); a grown struct gets a new
 *    command number and the old one keeps working;
 *  - reserved fields must be zero on input (-EINVAL otherwise), so they can gain a meaning later;
 *  - kernel addresses never travel to user space: code and memory positions are offsets.
 * Only fixed-width fields, naturally aligned, no implicit padding.
 */
#ifndef KWASM_IOCTL_H
#define KWASM_IOCTL_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define KWASM_IOCTL_VERSION 1
#define KWASM_IOC_MAGIC 0xB7

/* Limits of this module version (reported by KWASM_IOC_VERSION). */
#define KWASM_MAX_IMAGE_BYTES (64u << 20)
#define KWASM_MAX_MEM_PAGES 256u	/* 64 KiB wasm pages backed at LOAD: 16 MiB in v1 */
#define KWASM_MAX_STACK_BYTES (8u << 20)
#define KWASM_DEFAULT_STACK_BYTES (256u << 10)

/* KWASM_IOC_VERSION: what this module speaks. 32 bytes. */
struct kwasm_version {
	__u32 version;		/*  0 out: KWASM_IOCTL_VERSION */
	__u32 vmctx_size;	/*  4 out: KWASM_VMCTX_SIZE from kwasm_abi.h */
	__u32 image_version;	/*  8 out: KWASM_IMAGE_VERSION */
	__u32 max_mem_pages;	/* 12 out */
	__u64 max_image_bytes;	/* 16 out */
	__u64 max_stack_bytes;	/* 24 out */
};
#define KWASM_VERSION_SIZE 32

/*
 * KWASM_IOC_LOAD: one compiled image (abi/image.ts binary form) + its memory. 88 bytes.
 * The image carries no relocations (code reaches the kernel's stubs through r15): its code is
 * copied; an image of another version or with a nonzero reserved header word is -EINVAL.
 * The module description (desc_ptr/desc_len, optional) gives the function index
 * space, canonical type ids, globals and tables with their initial contents, in the layout
 * below; user space evaluates every constant expression and element segment, the kernel checks
 * every count, index and offset and turns function indices into funcref record addresses. Data
 * segments are plain MEM_WRITEs after LOAD.
 */
struct kwasm_load {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 KWASM_LOAD_* */
	__u64 image_ptr;	/*  8 user pointer to the image bytes */
	__u64 image_len;	/* 16 */
	__u32 mem_pages;	/* 24 accessible 64 KiB pages (memory 0), may be 0 */
	__u32 mem_max_pages;	/* 28 >= mem_pages: memory.grow limit */
	__u64 stack_bytes;	/* 32 wasm stack, 0 = KWASM_DEFAULT_STACK_BYTES */
	__u64 desc_ptr;		/* 40 user pointer to a module description, 0 = none */
	__u64 desc_len;		/* 48 its exact length (0 with desc_ptr 0) */
	__u64 reserved[4];	/* 56 must be 0 */
};

/*
 * Module description (little endian, every part 8-byte aligned):
 *   header   { u32 magic KWASM_DESC_MAGIC, nfuncs, ntypes, nglobals, ntables, nelems, 0, 0 }
 *   funcs    nfuncs  x { u32 code_offset, u32 type_id, u32 host, u32 0 }   (function index space;
 *            host != 0: an import the kernel serves itself, KWASM_HOST_*)
 *   types    ntypes  x u32 canonical type id, padded to 8
 *   globals  nglobals x { u64 bits, u32 kind (KWASM_GLOBAL_*), u32 0 }
 *   tables   ntables x { u32 length, u32 0 }
 *   elems    nelems  x u32 (all tables' elements in order: 0 = null, else function index + 1),
 *            padded to 8; nelems = the sum of the lengths
 */
/*
 * LOAD flag: the code re-runs its stack check after the stack-overflow stub returns (compiler
 * rule "stack-check stub may return"), so a long invoke may yield the CPU cooperatively at
 * function entries and loop headers. Without it an invoke runs with preemption off until it
 * returns, traps or makes a host call.
 */
#define KWASM_LOAD_MAY_YIELD 1u

#define KWASM_DESC_MAGIC 0x444d574bu	/* 'KWMD' */
#define KWASM_DESC_HEADER 32
#define KWASM_MAX_DESC_FUNCS (1u << 20)
#define KWASM_MAX_DESC_TYPES (1u << 20)
#define KWASM_MAX_DESC_GLOBALS (1u << 20)
#define KWASM_MAX_DESC_TABLES 1024u
#define KWASM_MAX_DESC_ELEMS (1u << 22)
#define KWASM_GLOBAL_VALUE 0	/* bits are the value */
#define KWASM_GLOBAL_FUNCREF 1	/* bits: 0 = null, else function index + 1 */
#define KWASM_GLOBAL_IMPORTED 2	/* an imported immutable global: the slot points to a cell holding bits */

/*
 * Imports the kernel serves without leaving ring 0 (funcs[i].host): KWASM_HOST_WASI_* and
 * KWASM_HOST_COUNT in kwasm_abi.h, generated from the ring0 column of jit/wasi/imports.ts. The
 * fd calls (fd_write, fd_read, fd_seek, fd_tell, fd_fdstat_get, fd_close) serve every wasm fd of
 * the instance's fd table (KWASM_IOC_SET_FDS; before any SET it holds the caller's stdio 0-2 as
 * streams); a fd not in the table exits to user space. fd_close frees the table entry; the host
 * fd is user space's to close (GET_FDS), except a socket ring 0 accepted itself
 * (KWASM_FDE_CLOSE_HOST), which ring 0 releases. The socket calls (sock_accept, sock_recv,
 * sock_send, sock_shutdown) are served on TCP sockets of the table (kwasm_net.c). args_* /
 * environ_* are served once KWASM_IOC_SET_ARGS gave the strings; poll_oneoff waits in ring 0 on
 * clocks, sockets, pipes/FIFOs and regular files (any other subscription exits to user space);
 * proc_exit ends the invoke with KWASM_STATUS_EXIT, code in ret_int.
 */
#define KWASM_LOAD_SIZE 88

/*
 * KWASM_IOC_INVOKE: call function `func_index` of the image. 96 bytes.
 * Status HOST_CALL: the wasm stack stopped at an import the kernel does not serve; host_index
 * and host_nslots say which and how many slots, the arguments are copied to host_args_ptr (an
 * array of KWASM_HOSTCALL_SLOTS u64; an import with more slots ends the invoke with trap "host
 * function failed" instead). Answer with KWASM_IOC_RESUME (same struct: results at
 * host_args_ptr, slots_ptr/nslots as for the invoke), or start another INVOKE to abandon it.
 */
struct kwasm_invoke {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u32 func_index;	/*  8 index into the image's function table */
	__u32 nslots;		/* 12 max(params, results); -EINVAL unless 8 * nslots fits on the wasm stack */
	__u64 slots_ptr;	/* 16 user array of nslots u64: arguments in, results out */
	__u64 timeout_ns;	/* 24 0 = none; else the call traps "interrupted" after it */
	__u32 status;		/* 32 out: KWASM_STATUS_* (kwasm_abi.h) */
	__u32 trap_code;	/* 36 out: KWASM_TRAP_* when status is TRAP */
	__u64 ret_int;		/* 40 out: rax */
	__u64 ret_float;	/* 48 out: xmm0 low 64 bits */
	__u64 trap_pc;		/* 56 out: offset of the trapping instruction in the code */
	__u64 trap_addr;	/* 64 out: faulting offset from the memory base (0 if none) */
	__u32 trap_signal;	/* 72 out: SIGSEGV/SIGILL/SIGFPE equivalent of a hardware fault */
	__u32 host_index;	/* 76 out: import index (or builtin 0xffff00xx) of a HOST_CALL */
	__u64 host_args_ptr;	/* 80 in: user array of KWASM_HOSTCALL_SLOTS u64 (host-call args out, results in), may be 0 */
	__u32 host_nslots;	/* 88 out: slots of a HOST_CALL */
	__u32 mem_pages;	/* 92 in: must be 0; out: memory.size of memory 0 (64 KiB pages) */
};
#define KWASM_INVOKE_SIZE 96

/*
 * INVOKE/RESUME status (beside kwasm_abi.h's RETURNED 0, TRAP 1, HOST_CALL 2): the wasm called
 * proc_exit served in ring 0 (KWASM_HOST_WASI_PROC_EXIT); ret_int is the exit code (u32), the
 * stopped wasm stack is abandoned (nothing pending) as after a trap.
 */
#define KWASM_STATUS_EXIT 16

/* KWASM_IOC_MEM_READ / KWASM_IOC_MEM_WRITE: copy between linear memory and user space. 32 bytes. */
struct kwasm_mem_rw {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 offset;		/*  8 in linear memory */
	__u64 len;		/* 16 offset + len <= accessible bytes */
	__u64 buf_ptr;		/* 24 user buffer */
};
#define KWASM_MEM_RW_SIZE 32

/*
 * The in-kernel WASI fd table (KWASM_IOC_SET_FDS / KWASM_IOC_GET_FDS): wasm fd -> a host fd of
 * the calling process (fget per call), with jit/wasi/fd-table.ts's kind, filetype, fdflags,
 * rights and (files) position. The kernel answers fd_read/fd_write/fd_seek/fd_tell/
 * fd_fdstat_get/fd_close on these fds as jit/wasi does; user space stays the owner of the host
 * fds: it pulls the table (positions, entries fd_close removed) before serving any host call and
 * pushes it after changing it. One entry, 48 bytes:
 */
struct kwasm_fd_entry {
	__u32 fd;		/*  0 wasm fd, < KWASM_MAX_FDS, unique in one SET */
	__u32 host_fd;		/*  4 fd of the calling process, <= INT_MAX */
	__u32 kind;		/*  8 KWASM_FD_* */
	__u32 filetype;		/* 12 WASI filetype (< 8) reported by fd_fdstat_get */
	__u32 fdflags;		/* 16 WASI fdflags (< 32): APPEND makes file writes start at i_size */
	__u32 eflags;		/* 20 KWASM_FDE_* (was reserved: 0 keeps the old meaning) */
	__u64 rights_base;	/* 24 */
	__u64 rights_inheriting;	/* 32 */
	__u64 position;		/* 40 files: offset of the next read/write, <= S64_MAX; else 0 */
};
#define KWASM_FD_ENTRY_SIZE 48
#define KWASM_FD_STREAM 1	/* reads/writes at the host file's own offset; seek/tell ESPIPE */
#define KWASM_FD_FILE 2		/* reads/writes at `position` (pread/pwrite) */
#define KWASM_FD_DIR 3		/* seek/tell EBADF; read/write NOTCAPABLE by its rights */
#define KWASM_FD_SOCKET 4	/* a connected or listening socket: sock_*, read/write as recv/send, poll waits */
/* eflags: fd_close in ring 0 closes the host fd too (the entry owns it; a socket accepted in ring 0 has it) */
#define KWASM_FDE_CLOSE_HOST 1
#define KWASM_FDE_ALL 1
#define KWASM_MAX_FDS 1024u	/* wasm fds 0..1023 can be served in ring 0; higher ones stay in user space */

/* KWASM_IOC_SET_FDS (replace the table) / KWASM_IOC_GET_FDS (read it back). 32 bytes. */
struct kwasm_fds {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 entries_ptr;	/*  8 user array of struct kwasm_fd_entry (may be 0 with count 0) */
	__u32 count;		/* 16 SET: entries; GET in: capacity, out: entries in the table */
	__u32 reserved;		/* 20 must be 0 */
	__u64 served;		/* 24 SET: must be 0; GET out: WASI calls the kernel served (a counter) */
};
#define KWASM_FDS_SIZE 32

/*
 * KWASM_IOC_SET_ARGS: argv and environ for args_* / environ_* served in ring 0. Each blob is
 * its strings back to back, each NUL-terminated (jit/wasi/context.ts's encoding): count must
 * be the number of NULs and a non-empty blob must end with one. 40 bytes.
 */
struct kwasm_args {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 args_ptr;		/*  8 */
	__u32 args_len;		/* 16 <= KWASM_MAX_ARGS_BYTES */
	__u32 argc;		/* 20 */
	__u64 env_ptr;		/* 24 */
	__u32 env_len;		/* 32 <= KWASM_MAX_ARGS_BYTES */
	__u32 envc;		/* 36 */
};
#define KWASM_ARGS_SIZE 40
#define KWASM_MAX_ARGS_BYTES (1u << 20)

#define KWASM_IOC_VERSION	_IOR(KWASM_IOC_MAGIC, 0, struct kwasm_version)
#define KWASM_IOC_LOAD		_IOW(KWASM_IOC_MAGIC, 1, struct kwasm_load)
#define KWASM_IOC_INVOKE	_IOWR(KWASM_IOC_MAGIC, 2, struct kwasm_invoke)
#define KWASM_IOC_MEM_READ	_IOW(KWASM_IOC_MAGIC, 3, struct kwasm_mem_rw)
#define KWASM_IOC_MEM_WRITE	_IOW(KWASM_IOC_MAGIC, 4, struct kwasm_mem_rw)
#define KWASM_IOC_RELEASE	_IO(KWASM_IOC_MAGIC, 5)
#define KWASM_IOC_RESUME	_IOWR(KWASM_IOC_MAGIC, 6, struct kwasm_invoke)
#define KWASM_IOC_SET_FDS	_IOW(KWASM_IOC_MAGIC, 7, struct kwasm_fds)
#define KWASM_IOC_GET_FDS	_IOWR(KWASM_IOC_MAGIC, 8, struct kwasm_fds)
#define KWASM_IOC_SET_ARGS	_IOW(KWASM_IOC_MAGIC, 11, struct kwasm_args)

/*
 * KWASM_IOC_TRACE: after an INVOKE/RESUME returned status TRAP (and before the next INVOKE), the
 * trapping wasm frame chain as code offsets; while a HOST_CALL is pending, the chain of the
 * stopped call (trap_pc: the return address of the host call). The kernel walks the saved frame pointers of the
 * stopped wasm stack from the trapping frame's rbp ([fp] = caller's fp, [fp + 8] = return
 * address), every fp checked to lie inside the instance's wasm stack, 8-aligned and strictly
 * increasing, and stops at the first return address outside the code (the entry frame's).
 * frames[i] = return address - code start, innermost caller first (user mode's walk). -EINVAL
 * when the last call neither trapped nor stopped at a host call. 40 bytes.
 */
struct kwasm_trace {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 frames_ptr;	/*  8 user array of max_frames u64 (may be 0 with max_frames 0) */
	__u32 max_frames;	/* 16 in: capacity, <= KWASM_MAX_TRACE_FRAMES */
	__u32 nframes;		/* 20 out: frames in the chain; min(nframes, max_frames) written */
	__u64 trap_pc;		/* 24 out: the trap's pc offset (as INVOKE's trap_pc) */
	__u64 reserved;		/* 32 must be 0 */
};
#define KWASM_TRACE_SIZE 40
#define KWASM_MAX_TRACE_FRAMES 0x100000	/* 2^20 = KWASM_MAX_STACK_BYTES / 8: every fp distinct and 8-aligned */
#define KWASM_IOC_TRACE		_IOWR(KWASM_IOC_MAGIC, 9, struct kwasm_trace)

/*
 * Module description, layout 1 (spec coverage: tables that grow, element segments, externref).
 * The header's two last words, zero in layout 0, become { ..., nsegs, layout }:
 *   header   { u32 magic, nfuncs, ntypes, nglobals, ntables, nelems, nsegs, layout = 1 }
 *   funcs, types, globals as in layout 0
 *   tables   ntables x { u32 length, u32 max (0xffffffff = none), u32 kind (KWASM_REF_*), u32 0 }
 *   elems    as in layout 0 (an externref table's elements must be 0: null)
 *   segs     nsegs x { u32 length, u32 kind, u32 flags (KWASM_SEG_*), u32 0 }
 *   items    all segments' items in order, u32 each (0 = null, else function index + 1; an
 *            externref segment's must be 0), padded to 8
 * With layout 1 the kernel serves table.init/copy/grow/fill and elem.drop itself (the builtins
 * never reach user space); table.grow stops at the table's max and at KWASM_MAX_TABLE_ELEMS. A
 * kernel that predates layout 1 rejects such a description (-EINVAL: nonzero reserved words).
 */
#define KWASM_DESC_LAYOUT_TABLES 1u
#define KWASM_DESC_TABLE_V1_SIZE 16
#define KWASM_DESC_SEG_SIZE 16
#define KWASM_MAX_DESC_SEGS (1u << 20)
#define KWASM_MAX_TABLE_ELEMS (1u << 20)	/* table.grow policy cap: 8 MiB of elements per table */
#define KWASM_REF_FUNC 0
#define KWASM_REF_EXTERN 1		/* opaque 64-bit tokens chosen by user space; never dereferenced */
#define KWASM_SEG_DROPPED 1u		/* active and declarative segments start dropped */
/*
 * Layout 1 also gives each function's last word (funcs[i], zero in layout 0) a meaning, its
 * signature as far as the boundary needs it: funcref values leave and enter the kernel as
 * function index + 1 (0 = null), never as addresses, and INVOKE returns only the results.
 *   bits 0-15  parameter i (< 16) is a funcref      bits 16-23  result i (< 8) is a funcref
 *   bits 24-25 where results are: none, rax, xmm0, slots   bits 26-31  results - 1 (slots)
 * A function with a funcref parameter >= 16 or result >= 8 cannot be described (user space
 * reports it unsupported). A funcref argument that is not 0..nfuncs is -EINVAL.
 */
#define KWASM_SIG_PARAMS 0xffffu
#define KWASM_SIG_RESULTS 0xff0000u
#define KWASM_SIG_RESULTS_SHIFT 16
#define KWASM_SIG_LOC 0x3000000u
#define KWASM_SIG_LOC_SHIFT 24
#define KWASM_SIG_LOC_NONE 0
#define KWASM_SIG_LOC_RAX 1
#define KWASM_SIG_LOC_XMM0 2
#define KWASM_SIG_LOC_SLOTS 3
#define KWASM_SIG_NRESULTS 0xfc000000u
#define KWASM_SIG_NRESULTS_SHIFT 26
#define KWASM_SIG_RESERVED 0u		/* every bit has a meaning */

/*
 * KWASM_IOC_GLOBAL: read (flags 0) or write (KWASM_GLOBAL_WRITE) global `index` of an instance
 * loaded with description layout 1: an exported mutable global, or the cell of a host-provided
 * imported mutable global the instance owns, as user space sees it, also while a host call is
 * pending. funcref values are function index + 1 both ways (a write of
 * anything else is -EINVAL); numbers and externref tokens are raw bits. Mutability is user
 * space's rule (the kernel cannot tell, and no value it stores is dereferenced unchecked).
 * -ENOENT: nothing loaded; -EOPNOTSUPP: a description without layout 1. 24 bytes.
 */
struct kwasm_global {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 KWASM_GLOBAL_WRITE or 0 */
	__u32 index;		/*  8 < nglobals of the description */
	__u32 reserved;		/* 12 must be 0 */
	__u64 value;		/* 16 out (read) or in (write) */
};
#define KWASM_GLOBAL_SIZE 24
#define KWASM_GLOBAL_WRITE 1u
#define KWASM_IOC_GLOBAL	_IOWR(KWASM_IOC_MAGIC, 10, struct kwasm_global)

#endif /* KWASM_IOCTL_H */
