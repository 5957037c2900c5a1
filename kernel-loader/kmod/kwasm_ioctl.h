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
 * v1 accepts images without relocations; globals, tables, data segments and imports arrive in
 * the reserved words (non-zero is -EINVAL until then).
 */
struct kwasm_load {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 image_ptr;	/*  8 user pointer to the image bytes */
	__u64 image_len;	/* 16 */
	__u32 mem_pages;	/* 24 accessible 64 KiB pages (memory 0), may be 0 */
	__u32 mem_max_pages;	/* 28 >= mem_pages */
	__u64 stack_bytes;	/* 32 wasm stack, 0 = KWASM_DEFAULT_STACK_BYTES */
	__u64 reserved[6];	/* 40 must be 0 */
};
#define KWASM_LOAD_SIZE 88

/* KWASM_IOC_INVOKE: call function `func_index` of the image. 96 bytes. */
struct kwasm_invoke {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u32 func_index;	/*  8 index into the image's function table */
	__u32 nslots;		/* 12 max(params, results), <= KWASM_ARG_SLOTS */
	__u64 slots_ptr;	/* 16 user array of nslots u64: arguments in, results out */
	__u64 timeout_ns;	/* 24 0 = none; else the call traps "interrupted" after it */
	__u32 status;		/* 32 out: KWASM_STATUS_* (kwasm_abi.h) */
	__u32 trap_code;	/* 36 out: KWASM_TRAP_* when status is TRAP */
	__u64 ret_int;		/* 40 out: rax */
	__u64 ret_float;	/* 48 out: xmm0 low 64 bits */
	__u64 trap_pc;		/* 56 out: offset of the trapping instruction in the code */
	__u64 trap_addr;	/* 64 out: faulting offset from the memory base (0 if none) */
	__u32 trap_signal;	/* 72 out: SIGSEGV/SIGILL/SIGFPE equivalent of a hardware fault */
	__u32 reserved0;	/* 76 must be 0 */
	__u64 reserved[2];	/* 80 must be 0 */
};
#define KWASM_INVOKE_SIZE 96

/* KWASM_IOC_MEM_READ / KWASM_IOC_MEM_WRITE: copy between linear memory and user space. 32 bytes. */
struct kwasm_mem_rw {
	__u32 version;		/*  0 */
	__u32 flags;		/*  4 must be 0 */
	__u64 offset;		/*  8 in linear memory */
	__u64 len;		/* 16 offset + len <= accessible bytes */
	__u64 buf_ptr;		/* 24 user buffer */
};
#define KWASM_MEM_RW_SIZE 32

#define KWASM_IOC_VERSION	_IOR(KWASM_IOC_MAGIC, 0, struct kwasm_version)
#define KWASM_IOC_LOAD		_IOW(KWASM_IOC_MAGIC, 1, struct kwasm_load)
#define KWASM_IOC_INVOKE	_IOWR(KWASM_IOC_MAGIC, 2, struct kwasm_invoke)
#define KWASM_IOC_MEM_READ	_IOW(KWASM_IOC_MAGIC, 3, struct kwasm_mem_rw)
#define KWASM_IOC_MEM_WRITE	_IOW(KWASM_IOC_MAGIC, 4, struct kwasm_mem_rw)
#define KWASM_IOC_RELEASE	_IO(KWASM_IOC_MAGIC, 5)
/* Reserved numbers (docs/ARCHITECTURE.md "Kernel path"): 6 RESUME (answer a host call). */

#endif /* KWASM_IOCTL_H */
