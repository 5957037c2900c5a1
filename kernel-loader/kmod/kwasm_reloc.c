// SPDX-License-Identifier: GPL-2.0
/*
 * The relocations of a code image (abi/image.ts), applied in ring 0 the way
 * jit/runtime/code-memory.ts applies them in user space:
 *
 *   relocCount x { u32 offset, u8 kind, u8 targetKind, u16 reserved, u32 target, i32 addend }
 *
 *   kind rel32 (P = address of the 4-byte field): value = S + A - P, must fit in s32
 *   kind abs64: value = S + A (u64, wraps)
 *   target function: S = code + funcs[target].offset (a function of this image)
 *   target runtime:  S = the kernel twin of runtime symbol `target` (kwasm_entry.S):
 *                    0..15 the trap stub of that trap code, 16 the host-call stub
 *
 * The kernel's code is vmalloc'd and the stubs live in the module's text: they may be more than
 * 2 GiB apart, so a rel32 to a runtime symbol never points at the stub itself. As in user space
 * it points at a veneer in an island the loader appends to the code (`jmp [rip+0]; .quad stub`,
 * 16 bytes, one per symbol used), and the veneer jumps on: the stub still sees the return address
 * of the `call` in compiled code. Every rel32 therefore stays inside the code area and its value
 * depends on offsets only, so kwasm_reloc_check() settles every range question before anything
 * is allocated; kwasm_reloc_apply() writes the fields while the pages are still RW+NX.
 *
 * abs64 puts a kernel address (the code's or a stub's) into the code bytes. The code pages are
 * never mapped to user space (the device's mmap maps linear memory only), and the code itself
 * comes from the caller of a 0600 device that runs it in ring 0 anyway.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <asm/unaligned.h>
#include "kwasm_internal.h"

#define RELOC_BYTES 16
#define VENEER_BYTES 16	/* jmp [rip+0] (6 bytes) + .quad target (8) + 2 bytes of int3 */

/* kwasm_entry.S */
extern char kwasm_host_call_stub[];
extern const unsigned long kwasm_trap_stub_addrs[KWASM_TRAP_STUB_COUNT];

static_assert(KWASM_SYM_TRAP_STUB0 == 0 && KWASM_SYM_HOST_CALL == KWASM_TRAP_STUB_COUNT);
static_assert(KWASM_RUNTIME_SYMBOL_COUNT == KWASM_SYM_HOST_CALL + 1 && KWASM_RUNTIME_SYMBOL_COUNT <= 32);

struct reloc {
	u32 offset;
	u8 kind, target_kind;
	u16 reserved;
	u32 target;
	s32 addend;
};

static void reloc_read(const u8 *p, struct reloc *r)
{
	r->offset = get_unaligned_le32(p);
	r->kind = p[4];
	r->target_kind = p[5];
	r->reserved = get_unaligned_le16(p + 6);
	r->target = get_unaligned_le32(p + 8);
	r->addend = (s32)get_unaligned_le32(p + 12);
}

static unsigned long runtime_symbol(u32 sym)
{
	if (sym == KWASM_SYM_HOST_CALL)
		return (unsigned long)kwasm_host_call_stub;
	return kwasm_trap_stub_addrs[sym - KWASM_SYM_TRAP_STUB0];
}

/* Island layout: veneers in symbol order, from the first 16-byte boundary after the code. */
static u32 island_start(u32 code_len)
{
	return ALIGN(code_len, 16);
}

static u32 veneer_offset(u32 code_len, u32 used, u32 sym)
{
	return island_start(code_len) + hweight32(used & (BIT(sym) - 1)) * VENEER_BYTES;
}

/* The rel32 value, from offsets only: S and P both lie in the code area. */
static int rel32_value(const struct reloc *r, const struct kwasm_func *funcs, u32 code_len, u32 used, s32 *out)
{
	s64 s = r->target_kind == KWASM_RELOC_TARGET_FUNCTION ? funcs[r->target].offset
							      : veneer_offset(code_len, used, r->target);
	s64 v = s + r->addend - (s64)r->offset;

	if (v < S32_MIN || v > S32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Checks every relocation against the image: offset and width inside the code, kind, target
 * kind and reserved known, target in range (runtime symbol < KWASM_RUNTIME_SYMBOL_COUNT, so a
 * trap code < KWASM_TRAP_STUB_COUNT; function < nfuncs), every rel32 value in s32. funcs[] are
 * the image's functions, already checked to start inside the code. On success *extra is the
 * number of bytes the code area needs past code_len (padding and veneers) and *used the set of
 * runtime symbols reached by rel32 (for kwasm_reloc_apply). -EINVAL for anything else.
 */
int kwasm_reloc_check(const u8 *rel, u32 nrelocs, u32 code_len, const struct kwasm_func *funcs, u32 nfuncs,
		      u32 *extra, u32 *used)
{
	struct reloc r;
	u32 i, mask = 0;
	s32 v;

	for (i = 0; i < nrelocs; i++) {
		reloc_read(rel + (size_t)i * RELOC_BYTES, &r);
		if (r.reserved)
			return -EINVAL;
		if (r.kind != KWASM_RELOC_REL32 && r.kind != KWASM_RELOC_ABS64)
			return -EINVAL;
		/* u64: offset + width cannot wrap */
		if ((u64)r.offset + (r.kind == KWASM_RELOC_REL32 ? 4 : 8) > code_len)
			return -EINVAL;
		if (r.target_kind == KWASM_RELOC_TARGET_FUNCTION) {
			if (r.target >= nfuncs)
				return -EINVAL;
		} else if (r.target_kind == KWASM_RELOC_TARGET_RUNTIME) {
			if (r.target >= KWASM_RUNTIME_SYMBOL_COUNT)
				return -EINVAL;
			if (r.kind == KWASM_RELOC_REL32)
				mask |= BIT(r.target);
		} else {
			return -EINVAL;
		}
	}
	/* the island is known now: a second pass checks every rel32 value against it */
	for (i = 0; i < nrelocs; i++) {
		reloc_read(rel + (size_t)i * RELOC_BYTES, &r);
		if (r.kind == KWASM_RELOC_REL32 && rel32_value(&r, funcs, code_len, mask, &v))
			return -EINVAL;
		if (!(i & 0xffff))
			cond_resched();	/* up to 4 Mi relocations in a 64 MiB image */
	}
	*extra = mask ? island_start(code_len) - code_len + hweight32(mask) * VENEER_BYTES : 0;
	*used = mask;
	return 0;
}

/*
 * Writes the veneers and every relocated field into in->code (RW+NX, code_len bytes copied, the
 * rest int3, room for the island). The relocations are the ones kwasm_reloc_check accepted with
 * this `used`; the range check is repeated so nothing is ever written wrong.
 */
int kwasm_reloc_apply(struct kwasm_instance *in, const u8 *rel, u32 nrelocs, u32 used)
{
	u8 *code = in->code;
	struct reloc r;
	u32 i, sym;
	s32 v;

	for (sym = 0; sym < KWASM_RUNTIME_SYMBOL_COUNT; sym++) {
		u8 *ven;

		if (!(used & BIT(sym)))
			continue;
		ven = code + veneer_offset(in->code_len, used, sym);
		ven[0] = 0xff;	/* jmp qword [rip + 0] */
		ven[1] = 0x25;
		put_unaligned_le32(0, ven + 2);
		put_unaligned_le64(runtime_symbol(sym), ven + 6);
	}
	for (i = 0; i < nrelocs; i++) {
		reloc_read(rel + (size_t)i * RELOC_BYTES, &r);
		if (r.kind == KWASM_RELOC_REL32) {
			if (rel32_value(&r, in->funcs, in->code_len, used, &v))
				return -EINVAL;
			put_unaligned_le32((u32)v, code + r.offset);
		} else {
			u64 s = r.target_kind == KWASM_RELOC_TARGET_FUNCTION
				? (u64)(unsigned long)code + in->funcs[r.target].offset
				: runtime_symbol(r.target);

			put_unaligned_le64(s + (u64)(s64)r.addend, code + r.offset);
		}
		if (!(i & 0xffff))
			cond_resched();
	}
	return 0;
}
