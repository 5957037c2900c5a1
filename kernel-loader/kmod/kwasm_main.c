// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: runs compiled WebAssembly in ring 0 behind /dev/kwasm.
 *
 * One open file = one instance: code (W^X), linear memory, a wasm stack and a vmctx laid out by
 * kwasm_abi.h (generated from abi/). The ioctl ABI is kwasm_ioctl.h; docs/kernel.md
 * (and docs/kernel-wasi.md) explains the mechanisms and their limits. Nothing user space sends is trusted:
 * every size, offset and pointer is checked before use.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/overflow.h>
#include <linux/signal.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/file.h>
#include <linux/uio.h>
#include <linux/random.h>
#include <linux/timekeeping.h>
#include <linux/mm.h>
#include <asm/fpu/api.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/unaligned.h>

#include "kwasm_abi.h"
#include "kwasm_ioctl.h"
#include "kwasm_yield.h"
#include "kwasm_internal.h"

#define MIN_STACK_BYTES (64u << 10)
/*
 * Exceptions taken while wasm runs (#PF, the kprobe's int3) execute on the wasm stack: keep room
 * for them below the lowest rsp compiled code may reach, on top of the ABI's own margin.
 */
#define KERNEL_HEADROOM (16u << 10)
/*
 * memory.grow limit of this module (a kernel policy on top of the module's own maximum): pages
 * are real kernel memory, allocated page by page as the wasm grows.
 */
#define KWASM_GROW_MAX_PAGES 4096u	/* 256 MiB */
/*
 * Live instances at once, all files together: each reserves MEM_RESERVE (8 GiB + 64 KiB) of the
 * 32 TiB vmalloc area, so the default 1024 take at most a quarter of it and leave the rest to
 * the kernel. LOAD past the cap is -ENOSPC. Root may lower or raise it (module parameter).
 */
static unsigned int max_instances = 1024;
module_param(max_instances, uint, 0644);
MODULE_PARM_DESC(max_instances, "live instances at once (each reserves 8 GiB of kernel address space)");

/*
 * Live instances and backing pages, readable as /sys/module/kwasm/parameters/live
 * ("<instances> <pages>"): the VM stage checks both are back to 0 once every file is closed.
 */
static atomic_long_t live_instances, live_pages;

static int live_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld %ld\n", atomic_long_read(&live_instances), atomic_long_read(&live_pages));
}
static const struct kernel_param_ops live_ops = { .get = live_get };
module_param_cb(live, &live_ops, NULL, 0444);
MODULE_PARM_DESC(live, "live instances and pages (code, memory, stack) held by kwasm");

/* Read by kwasm_entry.S: the vmctx of the wasm code running on this CPU. */
DEFINE_PER_CPU(void *, kwasm_active_vmctx);


/* Read by the kprobe: the instance whose code runs on this CPU (set under kernel_fpu_begin). */
static DEFINE_PER_CPU(struct kwasm_instance *, kwasm_active_inst);

struct kwasm_file {
	struct mutex lock;	/* serialises ioctls of one open file */
	struct kwasm_instance *inst;
};

/* kwasm_entry.S */
long kwasm_enter(void *vmctx);
long kwasm_resume(void *vmctx);
long kwasm_resume_yield(void *vmctx);
extern char kwasm_trap_landing[];
extern char kwasm_host_call_stub[];
extern char kwasm_return_one[];
extern const unsigned long kwasm_trap_stub_addrs[KWASM_TRAP_STUB_COUNT];


/* ---- W^X code pages ----------------------------------------------------------------------- */

static void flush_this_cpu(void *unused)
{
	__flush_tlb_all();
}

/*
 * Flip every page of a vmalloc'd code area between RW+NX and RO+X in one PTE write each, so no
 * page is ever writable and executable at once. The caller flushes every CPU's TLB before
 * anyone runs (or frees) it. set_memory_x/ro are not exported; this is the verified substitute.
 */
static int code_flip(u8 *base, size_t bytes, bool exec)
{
	size_t off;

	for (off = 0; off < bytes; off += PAGE_SIZE) {
		unsigned int level;
		pte_t *pte = lookup_address((unsigned long)base + off, &level);

		if (!pte || level != PG_LEVEL_4K || !pte_present(*pte))
			return -EFAULT;
		set_pte(pte, exec ? pte_mkexec(pte_wrprotect(*pte)) : pte_set_flags(pte_mkwrite(*pte), _PAGE_NX));
		/* read back: a load that does not end up exactly RO+X (or RW+NX) must fail */
		if (!!pte_write(*pte) == exec || !!pte_exec(*pte) != exec)
			return -EFAULT;
	}
	return 0;
}

/* code_flip, then every CPU's TLB flushed: the code can run (or be freed) from here on */
static int code_set_exec(u8 *base, size_t bytes, bool exec)
{
	int err = code_flip(base, bytes, exec);

	if (!err)
		on_each_cpu(flush_this_cpu, NULL, 1);
	return err;
}

/* ---- linear memory ------------------------------------------------------------------------- */

/*
 * Every memory is MEM_RESERVE bytes of kernel virtual address space of which only the first
 * mem_bytes are backed: r14 + zext32(index) + u32 offset (+ access size) always lands inside, so
 * compiled code needs no bounds checks, exactly as in user space. Reserving address space
 * without backing needs __get_vm_area_caller and init_mm, which are not exported; they are
 * resolved once through kallsyms_lookup_name, itself found with a kprobe's symbol lookup.
 */
#define MEM_RESERVE KWASM_MEMORY_RESERVATION	/* 8 GiB + 64 KiB, from abi/ */

typedef struct vm_struct *(*get_vm_area_fn)(unsigned long size, unsigned long flags, unsigned long start,
					     unsigned long end, const void *caller);
static get_vm_area_fn kw_get_vm_area;
static struct mm_struct *kw_init_mm;

static int resolve_symbols(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);
	int err = register_kprobe(&kp);

	if (err)
		return err;
	lookup = (void *)kp.addr;
	unregister_kprobe(&kp);
	kw_get_vm_area = (get_vm_area_fn)lookup("__get_vm_area_caller");
	kw_init_mm = (struct mm_struct *)lookup("init_mm");
	return kw_get_vm_area && kw_init_mm ? 0 : -ENOENT;
}

struct mem_fill {
	struct page **pages;
	unsigned long next;
};

static int mem_map_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct mem_fill *f = data;

	set_pte_at(kw_init_mm, addr, pte, mk_pte(f->pages[f->next++], PAGE_KERNEL));
	return 0;
}

static int mem_unmap_pte(pte_t *pte, unsigned long addr, void *data)
{
	pte_clear(kw_init_mm, addr, pte);
	return 0;
}

/*
 * Clears the memory's PTEs; true if any were mapped, so the caller must flush every CPU's TLB
 * before mem_release: no CPU may still translate to the pages once they go back to the allocator.
 */
static bool mem_unmap(struct kwasm_instance *in)
{
	if (!in->mem_area || !in->mem_bytes)
		return false;
	apply_to_existing_page_range(kw_init_mm, (unsigned long)in->mem, in->mem_bytes, mem_unmap_pte, NULL);
	return true;
}

static void mem_release(struct kwasm_instance *in)
{
	unsigned long i, n = in->mem_bytes >> PAGE_SHIFT;

	if (!in->mem_area)
		return;
	for (i = 0; i < n && in->mem_pages; i++)
		if (in->mem_pages[i]) {
			__free_page(in->mem_pages[i]);
			atomic_long_dec(&live_pages);
		}
	kvfree(in->mem_pages);
	free_vm_area(in->mem_area);
}

/* Backs and maps pages [first, first + n) of the reservation; mem_bytes grows with each page. */
static int mem_map_more(struct kwasm_instance *in, unsigned long n)
{
	unsigned long first = in->mem_bytes >> PAGE_SHIFT, i;
	struct mem_fill fill;
	int err;

	if (first + n > in->mem_page_cap) {
		unsigned long cap = max(first + n, 2 * (unsigned long)in->mem_page_cap);
		struct page **p = kvcalloc(cap, sizeof(*p), GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		if (in->mem_pages)
			memcpy(p, in->mem_pages, first * sizeof(*p));
		kvfree(in->mem_pages);
		in->mem_pages = p;
		in->mem_page_cap = cap;
	}
	for (i = 0; i < n; i++) {
		struct page *pg = alloc_page(GFP_KERNEL | __GFP_ZERO);

		if (!pg)
			break;
		in->mem_pages[first + i] = pg;
		atomic_long_inc(&live_pages);
	}
	if (i) {
		fill.pages = in->mem_pages + first;
		fill.next = 0;
		err = apply_to_page_range(kw_init_mm, (unsigned long)in->mem + in->mem_bytes, i << PAGE_SHIFT,
					  mem_map_pte, &fill);
		/* mapped or not, the pages are accounted in mem_bytes: mem_release frees them */
		in->mem_bytes += i << PAGE_SHIFT;
		if (err)
			return err;
	}
	return i == n ? 0 : -ENOMEM;
}

static int mem_reserve(struct kwasm_instance *in, size_t bytes)
{
	if (!kw_get_vm_area)
		return -EOPNOTSUPP;
	in->mem_area = kw_get_vm_area(MEM_RESERVE, VM_MAP, VMALLOC_START, VMALLOC_END, __builtin_return_address(0));
	if (!in->mem_area)
		return -ENOMEM;
	in->mem = in->mem_area->addr;
	return bytes ? mem_map_more(in, bytes >> PAGE_SHIFT) : 0;
}

/*
 * Gives back the pages past `bytes` (what a failed memory.grow managed to map): PTEs cleared,
 * every CPU's TLB flushed, pages freed. Compiled code has no bounds checks, so a page left
 * mapped past memory.size would be readable and writable by wasm instead of trapping. Those
 * pages were never mmap'd (kwasm_mmap stops at mem_access).
 */
static void mem_trim(struct kwasm_instance *in, size_t bytes)
{
	unsigned long i;

	if (in->mem_bytes <= bytes)
		return;
	apply_to_existing_page_range(kw_init_mm, (unsigned long)in->mem + bytes, in->mem_bytes - bytes,
				     mem_unmap_pte, NULL);
	on_each_cpu(flush_this_cpu, NULL, 1);
	for (i = bytes >> PAGE_SHIFT; i < in->mem_bytes >> PAGE_SHIFT; i++) {
		if (in->mem_pages[i]) {
			__free_page(in->mem_pages[i]);
			in->mem_pages[i] = NULL;
			atomic_long_dec(&live_pages);
		}
	}
	in->mem_bytes = bytes;
}

/* memory.grow(delta) in ring 0: old pages, or -1 (u32) past either limit or out of memory. */
static u32 mem_grow(struct kwasm_instance *in, u32 delta)
{
	u32 old = VM32(in->vmctx, MEMORY_PAGES);
	u64 want = (u64)old + delta;

	if (want > VM32(in->vmctx, MEMORY_MAX_PAGES) || want > KWASM_GROW_MAX_PAGES)
		return ~0u;
	if (delta && mem_map_more(in, (unsigned long)delta * (WASM_PAGE >> PAGE_SHIFT))) {
		/* out of memory: a partial growth is undone, memory.size and what wasm reaches stay */
		mem_trim(in, (size_t)old * WASM_PAGE);
		return ~0u;
	}
	VM32(in->vmctx, MEMORY_PAGES) = want;
	VM64(in->vmctx, MEMORY_SIZE) = want * WASM_PAGE;
	in->mem_access = want * WASM_PAGE;
	return old;
}

/* ---- instances --------------------------------------------------------------------------- */

static void instance_free(struct kwasm_instance *in)
{
	int code_err;

	if (!in)
		return;

	/* code back to RW+NX and memory unmapped, then one TLB flush on every CPU for both */
	code_err = in->code ? code_flip(in->code, in->code_bytes, false) : 0;
	if (mem_unmap(in) || in->code)
		on_each_cpu(flush_this_cpu, NULL, 1);
	if (in->code) {
		if (code_err)
			pr_err("kwasm: cannot restore code page permissions; leaking %zu bytes\n", in->code_bytes);
		else {
			vfree(in->code);
			atomic_long_sub(in->code_bytes >> PAGE_SHIFT, &live_pages);
		}
	}
	mem_release(in);
	if (in->stack) {
		vfree(in->stack);
		atomic_long_sub(in->stack_bytes >> PAGE_SHIFT, &live_pages);
	}
	kvfree(in->vmctx);
	kvfree(in->funcs);
	kvfree(in->area);
	kvfree(in->host);
	kwasm_tables_free(in);
	kwasm_wasi_free(in);
	kfree(in);
	atomic_long_dec(&live_instances);
}

/*
 * Image header (abi/image.ts): magic, version, codeSize, reserved, funcCount, reserved. Images
 * carry no relocations (code reaches the stubs through r15), so loading is a copy; a version 1
 * image (relocation count at +12) fails the version check, and both reserved words must be 0.
 */
#define IMG_HEADER 24
#define IMG_FUNC 16

static u32 rd32(const u8 *p)
{
	return get_unaligned_le32(p);
}

static int parse_image(struct kwasm_instance *in, const u8 *img, u64 len)
{
	u32 code_len, nfuncs, i;
	u64 code_padded, want;
	const u8 *f;

	if (len < IMG_HEADER || rd32(img) != KWASM_IMAGE_MAGIC || rd32(img + 4) != KWASM_IMAGE_VERSION)
		return -EINVAL;
	code_len = rd32(img + 8);
	nfuncs = rd32(img + 16);
	/* a module without functions (only globals, say) has an empty image: still one int3 page */
	if (rd32(img + 12) != 0 || rd32(img + 20) != 0)
		return -EINVAL;
	/* u32 counts in u64 arithmetic cannot overflow */
	code_padded = ALIGN((u64)code_len, 8);
	want = IMG_HEADER + code_padded + (u64)nfuncs * IMG_FUNC;
	if (want != len)
		return -EINVAL;

	/* up to 4 Mi entries (a 64 MiB image): kvcalloc, kcalloc would WARN past KMALLOC_MAX_SIZE */
	in->funcs = kvcalloc(max(nfuncs, 1u), sizeof(*in->funcs), GFP_KERNEL);
	if (!in->funcs)
		return -ENOMEM;
	f = img + IMG_HEADER + code_padded;	/* the function table */
	for (i = 0; i < nfuncs; i++, f += IMG_FUNC) {
		u32 off = rd32(f), size = rd32(f + 4);

		if (off >= code_len || size > code_len - off)
			return -EINVAL;
		in->funcs[i].offset = off;
		in->funcs[i].size = size;
	}
	in->nfuncs = nfuncs;

	in->code_len = code_len;
	in->code_bytes = PAGE_ALIGN((size_t)max(code_len, 1u));
	in->code = vmalloc(in->code_bytes);
	if (!in->code)
		return -ENOMEM;
	atomic_long_add(in->code_bytes >> PAGE_SHIFT, &live_pages);
	/* int3 padding: a stray jump past the end traps instead of running leftovers */
	memset(in->code, 0xcc, in->code_bytes);
	memcpy(in->code, img + IMG_HEADER, code_len);
	return code_set_exec(in->code, in->code_bytes, true);
}

static bool all_zero(const u64 *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * The module description (kwasm_ioctl.h): function index space, type ids, globals, tables. Builds
 * the instance's area exactly as jit/instance lays out its vmctx trailing area, with kernel
 * addresses only: funcref records {code, vmctx, typeId}, globals (imported immutable ones as a
 * pointer to a cell), type ids, table descriptors and elements (record addresses, 0 = null).
 */
#define DESC_FUNC 16
#define DESC_GLOBAL 16

static int parse_desc(struct kwasm_instance *in, const u8 *d, u64 len)
{
	u32 nfuncs, ntypes, nglobals, ntables, nelems, nsegs, layout, i;
	u64 want, tbytes;
	size_t o_cells, o_recs, o_types, o_tabs, bytes;
	const u8 *fp, *tp, *gp, *tabp;
	u8 *recs;
	u64 *globals;
	int err;

	if (len < KWASM_DESC_HEADER || rd32(d) != KWASM_DESC_MAGIC)
		return -EINVAL;
	nfuncs = rd32(d + 4);
	ntypes = rd32(d + 8);
	nglobals = rd32(d + 12);
	ntables = rd32(d + 16);
	nelems = rd32(d + 20);
	nsegs = rd32(d + 24);	/* layout 0: both 0 (kwasm_desc_tables_bytes checks) */
	layout = rd32(d + 28);
	if (nfuncs > KWASM_MAX_DESC_FUNCS || ntypes > KWASM_MAX_DESC_TYPES || nglobals > KWASM_MAX_DESC_GLOBALS ||
	    ntables > KWASM_MAX_DESC_TABLES || nelems > KWASM_MAX_DESC_ELEMS)
		return -EINVAL;
	/* every count is bounded above, so the u64 sums cannot overflow */
	fp = d + KWASM_DESC_HEADER;
	tp = fp + (u64)nfuncs * DESC_FUNC;
	gp = tp + ALIGN((u64)ntypes * 4, 8);
	tabp = gp + (u64)nglobals * DESC_GLOBAL;
	want = tabp - d;
	if (want > len || kwasm_desc_tables_bytes(tabp, len - want, ntables, nelems, nsegs, layout, &tbytes) ||
	    want + tbytes != len)
		return -EINVAL;

	/* the globals' slots are the vmctx's tail (KWASM_VMCTX_GLOBALS); their cells are here */
	o_cells = 0;
	o_recs = o_cells + 8 * (size_t)nglobals;
	o_types = o_recs + KWASM_FUNCREF_SIZE * (size_t)nfuncs;
	o_tabs = ALIGN(o_types + 4 * (size_t)ntypes, 8);
	/* table elements live in kwasm_table.c's arrays (they may grow): only descriptors here */
	bytes = o_tabs + KWASM_TABLE_DESC_SIZE * (size_t)ntables;
	in->vmctx = kvzalloc(KWASM_VMCTX_GLOBALS + 8 * (size_t)nglobals, GFP_KERNEL);
	in->area = kvzalloc(max_t(size_t, bytes, 8), GFP_KERNEL);
	in->host = kvzalloc(max_t(size_t, nfuncs, 1), GFP_KERNEL);
	if (!in->vmctx || !in->area || !in->host)
		return -ENOMEM;
	globals = (u64 *)(in->vmctx + KWASM_VMCTX_GLOBALS);
	in->nindex = nfuncs;
	recs = in->area + o_recs;

	for (i = 0; i < nfuncs; i++) {
		const u8 *f = fp + DESC_FUNC * i;
		u32 off = rd32(f), host = rd32(f + 8);
		u8 *r = recs + KWASM_FUNCREF_SIZE * i;

		/* layout 1: the last word is the signature word (kwasm_table.c checks it) */
		if (off >= in->code_len || host >= KWASM_HOST_COUNT || (!layout && rd32(f + 12)))
			return -EINVAL;
		*(u64 *)(r + KWASM_FUNCREF_CODE) = (u64)in->code + off;
		*(u64 *)(r + KWASM_FUNCREF_VMCTX) = (u64)in->vmctx;
		*(u32 *)(r + KWASM_FUNCREF_TYPE_ID) = rd32(f + 4);
		in->host[i] = host;
	}
	for (i = 0; i < ntypes; i++)
		*(u32 *)(in->area + o_types + 4 * i) = rd32(tp + 4 * i);
	for (i = 0; i < nglobals; i++) {
		const u8 *g = gp + DESC_GLOBAL * i;
		u64 bits = get_unaligned_le64(g);
		u64 *slot = globals + i, *cell = (u64 *)(in->area + o_cells) + i;

		if (rd32(g + 12))
			return -EINVAL;
		switch (rd32(g + 8)) {
		case KWASM_GLOBAL_VALUE:
			*slot = bits;
			break;
		case KWASM_GLOBAL_FUNCREF:
			if (bits > nfuncs)
				return -EINVAL;
			*slot = bits ? (u64)(recs + KWASM_FUNCREF_SIZE * (bits - 1)) : 0;
			break;
		case KWASM_GLOBAL_IMPORTED:
			*cell = bits;
			*slot = (u64)cell;
			break;
		default:
			return -EINVAL;
		}
	}
	err = kwasm_tables_build(in, tabp, ntables, nelems, nsegs, layout, in->area + o_tabs, recs, nfuncs, fp,
				 gp, nglobals, globals);
	if (err)
		return err;
	VM64(in->vmctx, FUNC_REFS) = (u64)recs;
	VM64(in->vmctx, TYPE_IDS) = (u64)(in->area + o_types);
	VM64(in->vmctx, TABLES) = (u64)(in->area + o_tabs);
	return 0;
}

static int load_desc(struct kwasm_instance *in, u64 uptr, u64 len)
{
	u8 *d;
	int err;

	if (!uptr && !len) {
		/* no description: every pointer in the vmctx still names valid kernel memory */
		in->vmctx = kvzalloc(KWASM_VMCTX_GLOBALS, GFP_KERNEL);
		in->area = kvzalloc(8, GFP_KERNEL);
		if (!in->vmctx || !in->area)
			return -ENOMEM;
		VM64(in->vmctx, FUNC_REFS) = (u64)in->area;
		VM64(in->vmctx, TYPE_IDS) = VM64(in->vmctx, TABLES) = VM64(in->vmctx, TABLE0_BASE) = (u64)in->area;
		return 0;
	}
	if (len < KWASM_DESC_HEADER || len > KWASM_MAX_IMAGE_BYTES)
		return -EINVAL;
	d = kvmalloc(len, GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	err = copy_from_user(d, u64_to_user_ptr(uptr), len) ? -EFAULT : parse_desc(in, d, len);
	kvfree(d);
	return err;
}

static long ioc_load(struct kwasm_file *kf, void __user *uarg)
{
	struct kwasm_load a;
	struct kwasm_instance *in;
	u8 *img;
	long err;
	u64 stack;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || (a.flags & ~KWASM_LOAD_MAY_YIELD) || !all_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	if (!a.desc_ptr != !a.desc_len)
		return -EINVAL;
	if (a.image_len < IMG_HEADER || a.image_len > KWASM_MAX_IMAGE_BYTES)
		return -EINVAL;
	if (a.mem_pages > KWASM_MAX_MEM_PAGES || a.mem_max_pages < a.mem_pages || a.mem_max_pages > KWASM_MEMORY_MAX_PAGES)
		return -EINVAL;
	stack = a.stack_bytes ? a.stack_bytes : KWASM_DEFAULT_STACK_BYTES;
	if (stack < MIN_STACK_BYTES || stack > KWASM_MAX_STACK_BYTES)
		return -EINVAL;
	if (kf->inst)
		return -EBUSY;	/* one instance per open file: RELEASE first */

	img = kvmalloc(a.image_len, GFP_KERNEL);
	if (!img)
		return -ENOMEM;
	if (copy_from_user(img, u64_to_user_ptr(a.image_ptr), a.image_len)) {
		kvfree(img);
		return -EFAULT;
	}
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in) {
		kvfree(img);
		return -ENOMEM;
	}
	/* a policy cap on kernel address space: each instance reserves 8 GiB of the vmalloc area */
	if (atomic_long_inc_return(&live_instances) > READ_ONCE(max_instances)) {
		kvfree(img);
		err = -ENOSPC;
		goto fail;
	}
	err = parse_image(in, img, a.image_len);
	kvfree(img);
	if (err)
		goto fail;

	/* a module without memory still gets a (fully unmapped) reservation: r14 is always safe */
	err = mem_reserve(in, (size_t)a.mem_pages * WASM_PAGE);
	if (err)
		goto fail;
	err = -ENOMEM;
	in->stack_bytes = PAGE_ALIGN(stack);
	in->may_yield = a.flags & KWASM_LOAD_MAY_YIELD;
	/*
	 * Zeroed: the pages come straight from the allocator with whatever the kernel left there, and
	 * anything compiled code might copy out unwritten (a host-call slot, a frame's argument area)
	 * must never be old kernel data. Compiled code does not rely on it; this is the second line.
	 */
	in->stack = vzalloc(in->stack_bytes);
	if (in->stack)
		atomic_long_add(in->stack_bytes >> PAGE_SHIFT, &live_pages);
	if (!in->stack)
		goto fail;

	/* the vmctx too: its globals area (KWASM_VMCTX_GLOBALS) is sized by the description */
	err = load_desc(in, a.desc_ptr, a.desc_len);
	if (err)
		goto fail;
	in->mem_access = in->mem_bytes;
	VM64(in->vmctx, MEMORY_BASE) = (u64)in->mem;
	VM64(in->vmctx, MEMORY_SIZE) = in->mem_bytes;
	VM32(in->vmctx, MEMORY_PAGES) = a.mem_pages;
	VM32(in->vmctx, MEMORY_MAX_PAGES) = a.mem_max_pages;
	VM64(in->vmctx, WASM_STACK_TOP) = (u64)(in->stack + in->stack_bytes) & ~15ull;
	VM64(in->vmctx, WASM_STACK_GUARD_LO) = (u64)in->stack - PAGE_SIZE;
	VM64(in->vmctx, WASM_STACK_GUARD_HI) = (u64)in->stack;
	memcpy(in->vmctx + KWASM_VMCTX_TRAP_STUBS, kwasm_trap_stub_addrs, sizeof(kwasm_trap_stub_addrs));
	VM64(in->vmctx, HOST_CALL_STUB) = (u64)kwasm_host_call_stub;
	kf->inst = in;
	return 0;
fail:
	instance_free(in);
	return err;
}

/* ---- running wasm ------------------------------------------------------------------------- */

/*
 * Stopping runaway wasm: compiled code compares rsp against vmctx.stackLimit at every function
 * entry and loop header (the ABI). While wasm runs, a timer pinned to its CPU checks every
 * WATCH_PERIOD_MS whether the task got a fatal signal or the invoke's deadline passed; if so it
 * sets vmctx.interrupt and then stackLimit to all ones, the next check fails, and the
 * stack-overflow stub reports "interrupted" instead of an overflow. No page-table games, and the
 * wasm stack unwinds through the normal trap path.
 */
#define WATCH_PERIOD_MS 2

struct kwasm_watch {
	struct hrtimer timer;
	u8 *vmctx;
	struct task_struct *task;
	ktime_t deadline;	/* KTIME_MAX: none */
	bool may_yield;
};

static enum hrtimer_restart watch_fn(struct hrtimer *t)
{
	struct kwasm_watch *w = container_of(t, struct kwasm_watch, timer);

	if (fatal_signal_pending(w->task) || ktime_after(ktime_get(), w->deadline)) {
		/* same CPU as the wasm (pinned timer, preemption off): program order is enough */
		WRITE_ONCE(VM32(w->vmctx, INTERRUPT), 1);
		barrier();
		WRITE_ONCE(VM64(w->vmctx, STACK_LIMIT), ~0ull);
		return HRTIMER_NORESTART;
	}
	/*
	 * The scheduler wants this CPU (another task is runnable, or the soft-lockup watchdog's
	 * stopper): ask for a yield; the C loop reschedules and resumes the wasm where it was.
	 */
	if (w->may_yield && need_resched() && !READ_ONCE(VM32(w->vmctx, INTERRUPT))) {
		WRITE_ONCE(VM32(w->vmctx, INTERRUPT), KWASM_INTERRUPT_YIELD);
		barrier();
		WRITE_ONCE(VM64(w->vmctx, STACK_LIMIT), ~0ull);
	}
	hrtimer_forward_now(t, ms_to_ktime(WATCH_PERIOD_MS));
	return HRTIMER_RESTART;
}

/*
 * One stretch of wasm execution: kwasm_enter (a fresh call) or kwasm_resume (after a host call)
 * with the FPU section, the active-instance pointers and the watch timer around it. Returns the
 * KWASM_STATUS_* of the trampoline. Between two stretches preemption is back on, so the kernel
 * may sleep to serve a host call; the wasm stack stays where it is.
 */
enum run_kind { RUN_ENTER, RUN_RESUME, RUN_RESUME_YIELD };

static long run_wasm(struct kwasm_instance *in, ktime_t deadline, enum run_kind kind)
{
	struct kwasm_watch w = {
		.vmctx = in->vmctx, .task = current, .deadline = deadline, .may_yield = in->may_yield,
	};
	long status;

	VM64(in->vmctx, STACK_LIMIT) = (u64)in->stack + KERNEL_HEADROOM + KWASM_STACK_MARGIN;
	VM32(in->vmctx, INTERRUPT) = 0;
	/*
	 * kernel_fpu_begin saves the task's FPU state, loads a clean MXCSR and disables preemption:
	 * wasm owns the SSE registers, and the per-CPU "active" pointers stay valid until _end.
	 */
	kernel_fpu_begin();
	hrtimer_init_on_stack(&w.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	w.timer.function = watch_fn;
	hrtimer_start(&w.timer, ms_to_ktime(WATCH_PERIOD_MS), HRTIMER_MODE_REL_PINNED);
	this_cpu_write(kwasm_active_inst, in);
	switch (kind) {
	case RUN_ENTER:
		status = kwasm_enter(in->vmctx);
		break;
	case RUN_RESUME:
		status = kwasm_resume(in->vmctx);
		break;
	default:
		status = kwasm_resume_yield(in->vmctx);
		break;
	}
	this_cpu_write(kwasm_active_inst, NULL);
	this_cpu_write(kwasm_active_vmctx, NULL);
	kernel_fpu_end();
	hrtimer_cancel(&w.timer);
	destroy_hrtimer_on_stack(&w.timer);
	return status;
}

/*
 * Call slots live on the wasm stack, never in a fixed-size vmctx area (a module chooses its
 * signatures): the entry slots at the top of the stack, below which kwasm_enter starts the
 * callee, and a host call's slots in the calling frame's argument area (vmctx.hostCallArgsPtr).
 */
static u64 entry_bytes(u32 nslots)
{
	return 8ull * ((u64)nslots + (nslots & 1));	/* even: rsp stays 16-aligned (kwasm_enter) */
}

/* Entry slots fit above the lowest rsp compiled code may reach (run_wasm's STACK_LIMIT). */
static bool entry_fits(struct kwasm_instance *in, u32 nslots)
{
	return entry_bytes(nslots) <= in->stack_bytes - KERNEL_HEADROOM - KWASM_STACK_MARGIN;
}

static u64 *entry_slots(struct kwasm_instance *in, u32 nslots)
{
	return (u64 *)(VM64(in->vmctx, WASM_STACK_TOP) - entry_bytes(nslots));
}

/* The pending host call's slots, or NULL unless all of them lie inside the wasm stack. */
static u64 *host_slots(struct kwasm_instance *in)
{
	u64 p = VM64(in->vmctx, HOST_CALL_ARGS_PTR), lo = (u64)in->stack, hi = lo + in->stack_bytes;
	u64 n = VM32(in->vmctx, HOST_CALL_SLOTS);

	if (p < lo || p >= hi || (p & 7) || n > (hi - p) / 8)
		return NULL;
	return (u64 *)p;
}

/*
 * The host call stops the invoke with trap "host function failed": its slots are not where the
 * stub puts them (cannot happen) or more than a RESUME can carry (KWASM_HOSTCALL_SLOTS).
 */
static long host_call_failed(struct kwasm_instance *in)
{
	in->pending = false;
	VM32(in->vmctx, TRAP_CODE) = KWASM_TRAP_HOST_ERROR;
	VM32(in->vmctx, TRAP_SIGNAL) = 0;
	VM64(in->vmctx, TRAP_PC) = 0;
	VM64(in->vmctx, TRAP_ADDR) = 0;
	kwasm_trace_stopped(in, false);
	return KWASM_STATUS_TRAP;
}

/*
 * Builtins and the kernel's own imports take at most this many slots (path_open's 9 arguments).
 * They are served from a zero-filled copy, so an import whose declared signature is shorter
 * than what the kernel handler reads (a description naming fd_write for a () -> () import)
 * reads zeros, never past the wasm stack.
 */
#define KWASM_SERVED_SLOTS 9

/*
 * Runs until the wasm returns, traps, or stops at a host call the kernel does not serve (left
 * pending for RESUME). memory.grow and the kernel's own imports are answered here, outside the
 * FPU section (they may sleep), and the wasm stack resumes.
 */
static long interrupted(struct kwasm_instance *in, enum run_kind stopped)
{
	in->pending = false;
	VM32(in->vmctx, TRAP_CODE) = KWASM_TRAP_INTERRUPTED;
	VM64(in->vmctx, TRAP_PC) = 0;
	VM64(in->vmctx, TRAP_ADDR) = 0;
	/* where the wasm stack stopped (its pc and frame chain, for KWASM_IOC_TRACE), if it ran */
	if (stopped != RUN_ENTER)
		kwasm_trace_stopped(in, stopped == RUN_RESUME_YIELD);
	return KWASM_STATUS_TRAP;
}

static long run_until_exit(struct kwasm_instance *in, ktime_t deadline, bool resume)
{
	enum run_kind kind = resume ? RUN_RESUME : RUN_ENTER;

	for (;;) {
		u64 a[KWASM_SERVED_SLOTS] = { 0 };
		u64 *hs;
		long status;
		u32 idx, n;
		bool served;

		/*
		 * The watch timer only sees a deadline during a stretch longer than its period: check
		 * it before each one too, or host calls in a loop (served here, or RESUMEs with the
		 * run's remaining time) would never stop.
		 */
		if (ktime_after(ktime_get(), deadline))
			return interrupted(in, kind);
		status = run_wasm(in, deadline, kind);
		idx = VM32(in->vmctx, HOST_CALL_INDEX);

		if (status == KWASM_STATUS_YIELD) {
			/* preemption is on again (run_wasm left the FPU section): let others run */
			cond_resched();
			if (fatal_signal_pending(current) || ktime_after(ktime_get(), deadline))
				return interrupted(in, RUN_RESUME_YIELD);
			kind = RUN_RESUME_YIELD;
			continue;
		}
		in->pending = status == KWASM_STATUS_HOST_CALL;
		if (!in->pending)
			return status;
		hs = host_slots(in);
		if (!hs)
			return host_call_failed(in);
		n = VM32(in->vmctx, HOST_CALL_SLOTS);
		if (n <= KWASM_SERVED_SLOTS)
			memcpy(a, hs, n * sizeof(u64));
		/* a host call from another instance's code cannot happen: no cross-instance links */
		served = n <= KWASM_SERVED_SLOTS;
		if (!served) {
			/* no builtin or kernel import has this many slots: user space answers */
		} else if (idx == KWASM_BUILTIN_MEMORY_GROW) {
			a[0] = mem_grow(in, (u32)a[0]);
		} else if (kwasm_table_builtin(in, idx, a)) {
			/* table.init/copy/grow/fill, elem.drop: served in ring 0 (layout 1) */
		} else if (idx < in->nindex && in->host[idx] == KWASM_HOST_WASI_PROC_EXIT) {
			/* proc_exit: the invoke ends here; the stopped stack is abandoned */
			in->pending = false;
			VM64(in->vmctx, RET_INT) = (u32)a[0];
			return KWASM_STATUS_EXIT;
		} else if (idx >= in->nindex || !kwasm_serve_host(in, in->host[idx], a, deadline)) {
			served = false;
		}
		if (!served)
			return n > KWASM_HOSTCALL_SLOTS ? host_call_failed(in) : status;
		memcpy(hs, a, n * sizeof(u64));
		if (fatal_signal_pending(current))
			return interrupted(in, RUN_RESUME);
		kind = RUN_RESUME;
	}
}

static u64 offset_in(u64 addr, const u8 *base, size_t len)
{
	return addr >= (u64)base && addr - (u64)base < len ? addr - (u64)base : 0;
}

/* INVOKE (resume = false) and RESUME (answer the pending host call, continue the wasm stack). */
static long ioc_invoke(struct kwasm_file *kf, void __user *uarg, bool resume)
{
	struct kwasm_instance *in = kf->inst;
	struct kwasm_invoke a;
	u64 *slots, *hslots, *args;
	ktime_t deadline;
	long status;
	u64 pc;
	u32 nout;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || a.mem_pages)
		return -EINVAL;
	if (!in)
		return -ENOENT;
	/* the slots must fit on the wasm stack above the lowest rsp compiled code may reach */
	if (!entry_fits(in, a.nslots))
		return -EINVAL;
	if (resume) {
		u32 hn = VM32(in->vmctx, HOST_CALL_SLOTS);

		if (!in->pending)
			return -EINVAL;
		if (a.func_index || a.nslots != VM64(in->vmctx, ARG_COUNT) || hn > KWASM_HOSTCALL_SLOTS)
			return -EINVAL;
		hslots = host_slots(in);
		if (!hslots)
			return -EINVAL;
		if (hn && (!a.host_args_ptr || copy_from_user(hslots, u64_to_user_ptr(a.host_args_ptr), hn * sizeof(u64))))
			return -EFAULT;
		if (kwasm_refs_host_in(in, VM32(in->vmctx, HOST_CALL_INDEX), hslots, hn))
			return -EINVAL;	/* a funcref result that is no function index */
	} else {
		if (a.func_index >= in->nfuncs)
			return -EINVAL;
		/*
		 * Through a copy: the entry slots overlap the top of a stack stopped at a host call,
		 * which a rejected INVOKE leaves pending (and resumable) untouched.
		 */
		args = a.nslots ? kvmalloc_array(a.nslots, sizeof(u64), GFP_KERNEL) : NULL;
		if (a.nslots && !args)
			return -ENOMEM;
		if (a.nslots && copy_from_user(args, u64_to_user_ptr(a.slots_ptr), a.nslots * sizeof(u64))) {
			kvfree(args);
			return -EFAULT;
		}
		if (kwasm_refs_args_in(in, a.func_index, args, a.nslots)) {
			kvfree(args);
			return -EINVAL;	/* a funcref argument that is no function index */
		}
		in->pending = false;	/* a stopped stack is abandoned: the new call starts at its top */
		if (a.nslots)
			memcpy(entry_slots(in, a.nslots), args, a.nslots * sizeof(u64));
		kvfree(args);
		in->trapped = false;
		VM64(in->vmctx, TRAP_FP) = 0;
		VM64(in->vmctx, ENTRY_FUNC) = (u64)in->code + in->funcs[a.func_index].offset;
		VM64(in->vmctx, ARG_COUNT) = a.nslots;
		VM32(in->vmctx, TRAP_CODE) = 0;
		VM32(in->vmctx, TRAP_SIGNAL) = 0;
		VM64(in->vmctx, TRAP_PC) = 0;
		VM64(in->vmctx, TRAP_ADDR) = 0;
	}
	slots = entry_slots(in, a.nslots);
	deadline = a.timeout_ns ? ktime_add_safe(ktime_get(), ns_to_ktime(min_t(u64, a.timeout_ns, KTIME_MAX))) : KTIME_MAX;

	status = run_until_exit(in, deadline, resume);
	in->trapped = status == KWASM_STATUS_TRAP;	/* KWASM_IOC_TRACE may walk the stopped stack */

	a.status = status;
	a.ret_int = VM64(in->vmctx, RET_INT);
	a.ret_float = VM64(in->vmctx, RET_FLOAT);
	a.trap_code = 0;
	a.trap_pc = a.trap_addr = 0;
	a.trap_signal = 0;
	a.host_index = 0;
	a.host_nslots = 0;
	a.mem_pages = VM32(in->vmctx, MEMORY_PAGES);
	if (status == KWASM_STATUS_TRAP) {
		a.trap_code = VM32(in->vmctx, TRAP_CODE);
		a.trap_signal = VM32(in->vmctx, TRAP_SIGNAL);
		/* offsets only: kernel addresses stay in the kernel */
		pc = VM64(in->vmctx, TRAP_PC);
		a.trap_pc = offset_in(pc, in->code, in->code_len + 1);
		a.trap_addr = offset_in(VM64(in->vmctx, TRAP_ADDR), in->mem, MEM_RESERVE);
	}
	/* funcrefs as indices, and nothing but the results (layout 1) */
	nout = kwasm_refs_results_out(in, status, &a.ret_int, &a.ret_float, slots, a.nslots);
	if (status == KWASM_STATUS_HOST_CALL) {
		/* run_until_exit checked: on the stack, at most KWASM_HOSTCALL_SLOTS */
		hslots = host_slots(in);
		a.host_index = VM32(in->vmctx, HOST_CALL_INDEX);
		a.host_nslots = min_t(u32, VM32(in->vmctx, HOST_CALL_SLOTS), KWASM_HOSTCALL_SLOTS);
		if (!hslots)
			return -EIO;
		kwasm_refs_host_out(in, a.host_index, hslots, a.host_nslots);
		if (a.host_nslots && (!a.host_args_ptr ||
		    copy_to_user(u64_to_user_ptr(a.host_args_ptr), hslots, a.host_nslots * sizeof(u64))))
			return -EFAULT;
	}
	if (nout && copy_to_user(u64_to_user_ptr(a.slots_ptr), slots, nout * sizeof(u64)))
		return -EFAULT;
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
	return 0;
}

/*
 * kprobe on fixup_exception(regs, trapnr, error_code, fault_addr): the kernel asks whether a
 * faulting kernel ip has a fixup. If the ip is in the code of the instance running on this CPU,
 * we are the fixup: the faulting context resumes at kwasm_trap_landing (which unwinds to
 * kwasm_enter's caller with a trap status) and fixup_exception returns 1 through
 * kwasm_return_one, so the kernel considers the fault handled: no oops, no taint, no log.
 */
static int kwasm_fixup_pre(struct kprobe *p, struct pt_regs *kregs)
{
	struct pt_regs *regs = (struct pt_regs *)kregs->di;
	int trapnr = (int)kregs->si;
	unsigned long addr = kregs->cx;
	struct kwasm_instance *in = this_cpu_read(kwasm_active_inst);
	unsigned long ip, stack_lo;
	u32 code, sig;

	if (!in || !regs)
		return 0;
	ip = regs->ip;
	if (ip < (unsigned long)in->code || ip >= (unsigned long)in->code + in->code_len)
		return 0;
	switch (trapnr) {
	case X86_TRAP_PF:
		/*
		 * The page below the stack may also be the guard page of another vmalloc area (linear
		 * memory's): only a fault near rsp is the stack's.
		 */
		stack_lo = (unsigned long)in->stack;
		code = addr >= stack_lo - PAGE_SIZE && addr < stack_lo && regs->sp < stack_lo + KERNEL_HEADROOM ?
			KWASM_TRAP_STACK_OVERFLOW : KWASM_TRAP_MEMORY_OUT_OF_BOUNDS;
		sig = SIGSEGV;
		break;
	case X86_TRAP_GP:	/* non-canonical address: out of any reservation */
		code = KWASM_TRAP_MEMORY_OUT_OF_BOUNDS;
		sig = SIGSEGV;
		break;
	case X86_TRAP_UD:
		code = KWASM_TRAP_UNREACHABLE;
		sig = SIGILL;
		break;
	case X86_TRAP_DE:
		code = KWASM_TRAP_INTEGER_DIVIDE_BY_ZERO;
		sig = SIGFPE;
		break;
	default:
		return 0;
	}
	regs->di = code;
	regs->si = addr;
	regs->dx = ip;
	regs->cx = sig;
	regs->ip = (unsigned long)kwasm_trap_landing;
	kregs->ip = (unsigned long)kwasm_return_one;
	return 1;	/* we changed kregs->ip: kprobes must not single-step the probed insn */
}
NOKPROBE_SYMBOL(kwasm_fixup_pre);

static struct kprobe kwasm_fixup_kprobe = {
	.symbol_name = "fixup_exception",
	.pre_handler = kwasm_fixup_pre,
};

/* ---- memory access ioctls ------------------------------------------------------------------ */

static long ioc_mem_rw(struct kwasm_file *kf, void __user *uarg, bool write)
{
	struct kwasm_instance *in = kf->inst;
	struct kwasm_mem_rw a;
	u64 end;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags)
		return -EINVAL;
	if (!in)
		return -ENOENT;
	if (check_add_overflow(a.offset, a.len, &end) || end > in->mem_access)
		return -EINVAL;
	if (write ? copy_from_user(in->mem + a.offset, u64_to_user_ptr(a.buf_ptr), a.len)
		  : copy_to_user(u64_to_user_ptr(a.buf_ptr), in->mem + a.offset, a.len))
		return -EFAULT;
	return 0;
}

static long ioc_version(void __user *uarg)
{
	struct kwasm_version v = {
		.version = KWASM_IOCTL_VERSION,
		.vmctx_size = KWASM_VMCTX_SIZE,
		.image_version = KWASM_IMAGE_VERSION,
		.max_mem_pages = KWASM_MAX_MEM_PAGES,
		.max_image_bytes = KWASM_MAX_IMAGE_BYTES,
		.max_stack_bytes = KWASM_MAX_STACK_BYTES,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* ---- the device ---------------------------------------------------------------------------- */

static long kwasm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kwasm_file *kf = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	/* cmd carries the struct size (_IOC_SIZE): a size mismatch is an unknown command */
	switch (cmd) {
	case KWASM_IOC_VERSION:
		return ioc_version(uarg);
	case KWASM_IOC_LOAD:
	case KWASM_IOC_INVOKE:
	case KWASM_IOC_MEM_READ:
	case KWASM_IOC_MEM_WRITE:
	case KWASM_IOC_RELEASE:
	case KWASM_IOC_RESUME:
	case KWASM_IOC_TRACE:
	case KWASM_IOC_SET_FDS:
	case KWASM_IOC_GET_FDS:
	case KWASM_IOC_SET_ARGS:
	case KWASM_IOC_GLOBAL:
		break;
	default:
		return -ENOTTY;
	}
	if (mutex_lock_interruptible(&kf->lock))
		return -EINTR;
	switch (cmd) {
	case KWASM_IOC_LOAD:
		ret = ioc_load(kf, uarg);
		break;
	case KWASM_IOC_INVOKE:
		ret = ioc_invoke(kf, uarg, false);
		break;
	case KWASM_IOC_RESUME:
		ret = ioc_invoke(kf, uarg, true);
		break;
	case KWASM_IOC_TRACE:
		ret = kwasm_ioc_trace(kf->inst, uarg);
		break;
	case KWASM_IOC_GLOBAL:
		ret = kwasm_ioc_global(kf->inst, uarg);
		break;
	case KWASM_IOC_MEM_READ:
		ret = ioc_mem_rw(kf, uarg, false);
		break;
	case KWASM_IOC_MEM_WRITE:
		ret = ioc_mem_rw(kf, uarg, true);
		break;
	case KWASM_IOC_SET_FDS:
	case KWASM_IOC_GET_FDS:
	case KWASM_IOC_SET_ARGS:
		ret = kf->inst ? kwasm_wasi_ioctl(kf->inst, cmd, uarg) : -ENOENT;
		break;
	default: /* KWASM_IOC_RELEASE */
		instance_free(kf->inst);
		kf->inst = NULL;
		ret = 0;
		break;
	}
	mutex_unlock(&kf->lock);
	return ret;
}

static int kwasm_open(struct inode *inode, struct file *file)
{
	struct kwasm_file *kf = kzalloc(sizeof(*kf), GFP_KERNEL);

	if (!kf)
		return -ENOMEM;
	mutex_init(&kf->lock);
	file->private_data = kf;
	return 0;
}

static int kwasm_release(struct inode *inode, struct file *file)
{
	struct kwasm_file *kf = file->private_data;

	instance_free(kf->inst);
	mutex_destroy(&kf->lock);
	kfree(kf);
	return 0;
}

/*
 * mmap of linear memory 0 into the calling process (what user-space WASI reads and writes during
 * a host call): offset 0, at most the accessible bytes (memory.size), shared, never executable.
 * The backing pages are inserted with vm_insert_page, which takes a reference on each: a mapping
 * that outlives the instance (RELEASE, close) keeps its pages alive instead of pointing at freed
 * memory. memory.grow adds pages, never moves or removes them, so user space maps again (a
 * larger length) when INVOKE/RESUME report more pages. trylock: mmap runs under mmap_lock while
 * ioctls take kf->lock and then may fault (mmap_lock): blocking here could deadlock.
 */
static int kwasm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kwasm_file *kf = file->private_data;
	struct kwasm_instance *in;
	unsigned long n = vma_pages(vma), i;
	int err = 0;

	if (vma->vm_pgoff || !(vma->vm_flags & VM_SHARED) || (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	if (!mutex_trylock(&kf->lock))
		return -EBUSY;
	in = kf->inst;
	if (!in)
		err = -ENOENT;
	else if (n > in->mem_access >> PAGE_SHIFT)
		err = -EINVAL;
	if (!err) {
		vma->vm_flags &= ~VM_MAYEXEC;
		vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	}
	for (i = 0; !err && i < n; i++)
		err = in->mem_pages[i] ? vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT), in->mem_pages[i]) : -EFAULT;
	mutex_unlock(&kf->lock);
	return err;
}

static const struct file_operations kwasm_fops = {
	.owner = THIS_MODULE,
	.open = kwasm_open,
	.release = kwasm_release,
	.unlocked_ioctl = kwasm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,	/* fixed-width structs: same layout for 32-bit callers */
	.mmap = kwasm_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice kwasm_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kwasm",
	.fops = &kwasm_fops,
	.mode = 0600,
};

static int __init kwasm_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct kwasm_version) != KWASM_VERSION_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_load) != KWASM_LOAD_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_invoke) != KWASM_INVOKE_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_mem_rw) != KWASM_MEM_RW_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_fd_entry) != KWASM_FD_ENTRY_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_fds) != KWASM_FDS_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_args) != KWASM_ARGS_SIZE);
	BUILD_BUG_ON(sizeof(struct kwasm_global) != KWASM_GLOBAL_SIZE);
	BUILD_BUG_ON(MEM_RESERVE < (8ull << 30) + WASM_PAGE);	/* index + offset + access size */

	err = resolve_symbols();
	if (err) {
		pr_err("kwasm: cannot resolve the memory reservation helpers: %d\n", err);
		return err;
	}
	err = kwasm_net_init();
	if (err)
		return err;
	err = register_kprobe(&kwasm_fixup_kprobe);
	if (err) {
		pr_err("kwasm: kprobe on fixup_exception failed: %d\n", err);
		kwasm_net_exit();
		return err;
	}
	err = misc_register(&kwasm_dev);
	if (err) {
		unregister_kprobe(&kwasm_fixup_kprobe);
		kwasm_net_exit();
		return err;
	}
	return 0;
}

static void __exit kwasm_exit(void)
{
	/* no open file (module refcount), so no instance and no wasm running anywhere */
	misc_deregister(&kwasm_dev);
	unregister_kprobe(&kwasm_fixup_kprobe);
	kwasm_net_exit();
}

module_init(kwasm_init);
module_exit(kwasm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kwasm: compiled WebAssembly in ring 0");
