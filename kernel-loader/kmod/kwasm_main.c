// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: runs compiled WebAssembly in ring 0 behind /dev/kwasm.
 *
 * One open file = one instance: code (W^X), linear memory, a wasm stack and a vmctx laid out by
 * kwasm_abi.h (generated from abi/). The ioctl ABI is kwasm_ioctl.h; docs/ARCHITECTURE.md
 * "Kernel path" explains the mechanisms and their limits. Nothing user space sends is trusted:
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
#include <asm/fpu/api.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/unaligned.h>

#include "kwasm_abi.h"
#include "kwasm_ioctl.h"

#define WASM_PAGE KWASM_WASM_PAGE_SIZE
#define MIN_STACK_BYTES (64u << 10)
/*
 * Exceptions taken while wasm runs (#PF, the kprobe's int3) execute on the wasm stack: keep room
 * for them below the lowest rsp compiled code may reach, on top of the ABI's own margin.
 */
#define KERNEL_HEADROOM (16u << 10)

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

struct kwasm_func {
	u32 offset, size;
};

struct kwasm_instance {
	u8 *code;		/* vmalloc, RX once loaded */
	size_t code_bytes;	/* page multiple */
	u32 code_len;		/* bytes of machine code */
	struct kwasm_func *funcs;
	u32 nfuncs;
	u8 *mem;		/* linear memory 0: base of an 8 GiB + 64 KiB reservation */
	size_t mem_bytes;	/* accessible (backed) bytes at its start */
	struct vm_struct *mem_area;
	struct page **mem_pages;	/* mem_bytes / PAGE_SIZE backing pages */
	u8 *stack;		/* wasm stack, vmalloc */
	size_t stack_bytes;
	u8 *vmctx;		/* KWASM_VMCTX_SIZE bytes */
};

/* Read by the kprobe: the instance whose code runs on this CPU (set under kernel_fpu_begin). */
static DEFINE_PER_CPU(struct kwasm_instance *, kwasm_active_inst);

struct kwasm_file {
	struct mutex lock;	/* serialises ioctls of one open file */
	struct kwasm_instance *inst;
};

/* kwasm_entry.S */
long kwasm_enter(void *vmctx);
extern char kwasm_trap_landing[];
extern char kwasm_return_one[];
extern const unsigned long kwasm_trap_stub_addrs[KWASM_TRAP_STUB_COUNT];

#define VM64(v, f) (*(u64 *)((v) + KWASM_VMCTX_##f))
#define VM32(v, f) (*(u32 *)((v) + KWASM_VMCTX_##f))

/* ---- W^X code pages ----------------------------------------------------------------------- */

static void flush_this_cpu(void *unused)
{
	__flush_tlb_all();
}

/*
 * Flip every page of a vmalloc'd code area between RW+NX and RO+X in one PTE write each, so no
 * page is ever writable and executable at once, then flush every CPU's TLB before anyone runs
 * (or frees) it. set_memory_x/ro are not exported; this is the verified substitute.
 */
static int code_set_exec(u8 *base, size_t bytes, bool exec)
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
	on_each_cpu(flush_this_cpu, NULL, 1);
	return 0;
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

static void mem_free(struct kwasm_instance *in)
{
	unsigned long i, n = in->mem_bytes >> PAGE_SHIFT;

	if (!in->mem_area)
		return;
	if (n)
		apply_to_existing_page_range(kw_init_mm, (unsigned long)in->mem, in->mem_bytes, mem_unmap_pte, NULL);
	/* no CPU may still translate to the pages once they go back to the allocator */
	on_each_cpu(flush_this_cpu, NULL, 1);
	for (i = 0; i < n && in->mem_pages; i++)
		if (in->mem_pages[i]) {
			__free_page(in->mem_pages[i]);
			atomic_long_dec(&live_pages);
		}
	kvfree(in->mem_pages);
	free_vm_area(in->mem_area);
}

static int mem_reserve(struct kwasm_instance *in, size_t bytes)
{
	unsigned long i, n = bytes >> PAGE_SHIFT;
	struct mem_fill fill;
	int err;

	if (!kw_get_vm_area)
		return -EOPNOTSUPP;
	in->mem_area = kw_get_vm_area(MEM_RESERVE, VM_MAP, VMALLOC_START, VMALLOC_END, __builtin_return_address(0));
	if (!in->mem_area)
		return -ENOMEM;
	in->mem = in->mem_area->addr;
	if (!n)
		return 0;
	in->mem_pages = kvcalloc(n, sizeof(*in->mem_pages), GFP_KERNEL);
	if (!in->mem_pages)
		return -ENOMEM;
	in->mem_bytes = bytes;	/* from here on mem_free releases whatever got allocated */
	for (i = 0; i < n; i++) {
		in->mem_pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!in->mem_pages[i])
			return -ENOMEM;	/* instance_free releases what was allocated */
		atomic_long_inc(&live_pages);
	}
	fill.pages = in->mem_pages;
	fill.next = 0;
	err = apply_to_page_range(kw_init_mm, (unsigned long)in->mem, bytes, mem_map_pte, &fill);
	return err;
}

/* ---- instances --------------------------------------------------------------------------- */

static void instance_free(struct kwasm_instance *in)
{
	if (!in)
		return;

	if (in->code) {
		/* back to RW+NX before the pages return to the allocator */
		if (code_set_exec(in->code, in->code_bytes, false))
			pr_err("kwasm: cannot restore code page permissions; leaking %zu bytes\n", in->code_bytes);
		else {
			vfree(in->code);
			atomic_long_sub(in->code_bytes >> PAGE_SHIFT, &live_pages);
		}
	}
	mem_free(in);
	if (in->stack) {
		vfree(in->stack);
		atomic_long_sub(in->stack_bytes >> PAGE_SHIFT, &live_pages);
	}
	kfree(in->vmctx);
	kfree(in->funcs);
	kfree(in);
	atomic_long_dec(&live_instances);
}

/* Image header (abi/image.ts): magic, version, codeSize, relocCount, funcCount, reserved. */
#define IMG_HEADER 24
#define IMG_RELOC 16
#define IMG_FUNC 16

static u32 rd32(const u8 *p)
{
	return get_unaligned_le32(p);
}

static int parse_image(struct kwasm_instance *in, const u8 *img, u64 len)
{
	u32 code_len, nrelocs, nfuncs, i;
	u64 code_padded, want;
	const u8 *f;

	if (len < IMG_HEADER || rd32(img) != KWASM_IMAGE_MAGIC || rd32(img + 4) != KWASM_IMAGE_VERSION)
		return -EINVAL;
	code_len = rd32(img + 8);
	nrelocs = rd32(img + 12);
	nfuncs = rd32(img + 16);
	if (rd32(img + 20) != 0 || code_len == 0 || nfuncs == 0)
		return -EINVAL;
	/* u32 counts in u64 arithmetic cannot overflow */
	code_padded = ALIGN((u64)code_len, 8);
	want = IMG_HEADER + code_padded + (u64)nrelocs * IMG_RELOC + (u64)nfuncs * IMG_FUNC;
	if (want != len)
		return -EINVAL;
	if (nrelocs)
		return -EOPNOTSUPP;	/* v1: relocations arrive with the compiler's image loader */

	in->funcs = kcalloc(nfuncs, sizeof(*in->funcs), GFP_KERNEL);
	if (!in->funcs)
		return -ENOMEM;
	f = img + IMG_HEADER + code_padded;
	for (i = 0; i < nfuncs; i++, f += IMG_FUNC) {
		u32 off = rd32(f), size = rd32(f + 4);

		if (off >= code_len || size > code_len - off)
			return -EINVAL;
		in->funcs[i].offset = off;
		in->funcs[i].size = size;
	}
	in->nfuncs = nfuncs;

	in->code_len = code_len;
	in->code_bytes = PAGE_ALIGN((size_t)code_len);
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

static long ioc_load(struct kwasm_file *kf, void __user *uarg)
{
	struct kwasm_load a;
	struct kwasm_instance *in;
	u8 *img;
	long err;
	u64 stack;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || !all_zero(a.reserved, ARRAY_SIZE(a.reserved)))
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
	atomic_long_inc(&live_instances);
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
	in->stack = vmalloc(in->stack_bytes);
	if (in->stack)
		atomic_long_add(in->stack_bytes >> PAGE_SHIFT, &live_pages);
	in->vmctx = kzalloc(KWASM_VMCTX_SIZE, GFP_KERNEL);
	if (!in->stack || !in->vmctx)
		goto fail;

	VM64(in->vmctx, MEMORY_BASE) = (u64)in->mem;
	VM64(in->vmctx, MEMORY_SIZE) = in->mem_bytes;
	VM32(in->vmctx, MEMORY_PAGES) = a.mem_pages;
	VM32(in->vmctx, MEMORY_MAX_PAGES) = a.mem_max_pages;
	VM64(in->vmctx, WASM_STACK_TOP) = (u64)(in->stack + in->stack_bytes) & ~15ull;
	VM64(in->vmctx, WASM_STACK_GUARD_LO) = (u64)in->stack - PAGE_SIZE;
	VM64(in->vmctx, WASM_STACK_GUARD_HI) = (u64)in->stack;
	memcpy(in->vmctx + KWASM_VMCTX_TRAP_STUBS, kwasm_trap_stub_addrs, sizeof(kwasm_trap_stub_addrs));
	/*
	 * Host calls are not implemented in the kernel yet: a host-call stub that traps "host
	 * function failed" keeps a `call [r15 + hostCallStub]` from jumping to address 0.
	 */
	VM64(in->vmctx, HOST_CALL_STUB) = kwasm_trap_stub_addrs[KWASM_TRAP_HOST_ERROR];
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
	hrtimer_forward_now(t, ms_to_ktime(WATCH_PERIOD_MS));
	return HRTIMER_RESTART;
}

/* Runs entry with the vmctx prepared; returns the KWASM_STATUS_* of kwasm_enter. */
static long run_wasm(struct kwasm_instance *in, u64 timeout_ns)
{
	struct kwasm_watch w = {
		.vmctx = in->vmctx,
		.task = current,
		.deadline = timeout_ns ? ktime_add_safe(ktime_get(), ns_to_ktime(min_t(u64, timeout_ns, KTIME_MAX))) : KTIME_MAX,
	};
	long status;

	VM64(in->vmctx, STACK_LIMIT) = (u64)in->stack + KERNEL_HEADROOM + KWASM_STACK_MARGIN;
	VM32(in->vmctx, INTERRUPT) = 0;
	VM32(in->vmctx, TRAP_CODE) = 0;
	VM32(in->vmctx, TRAP_SIGNAL) = 0;
	VM64(in->vmctx, TRAP_PC) = 0;
	VM64(in->vmctx, TRAP_ADDR) = 0;
	/*
	 * kernel_fpu_begin saves the task's FPU state, loads a clean MXCSR and disables preemption:
	 * wasm owns the SSE registers, and the per-CPU "active" pointers stay valid until _end.
	 */
	kernel_fpu_begin();
	hrtimer_init_on_stack(&w.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	w.timer.function = watch_fn;
	hrtimer_start(&w.timer, ms_to_ktime(WATCH_PERIOD_MS), HRTIMER_MODE_REL_PINNED);
	this_cpu_write(kwasm_active_inst, in);
	status = kwasm_enter(in->vmctx);
	this_cpu_write(kwasm_active_inst, NULL);
	this_cpu_write(kwasm_active_vmctx, NULL);
	kernel_fpu_end();
	hrtimer_cancel(&w.timer);
	destroy_hrtimer_on_stack(&w.timer);
	return status;
}

static u64 offset_in(u64 addr, const u8 *base, size_t len)
{
	return addr >= (u64)base && addr - (u64)base < len ? addr - (u64)base : 0;
}

static long ioc_invoke(struct kwasm_file *kf, void __user *uarg)
{
	struct kwasm_instance *in = kf->inst;
	struct kwasm_invoke a;
	u64 *slots = (u64 *)(in ? in->vmctx + KWASM_VMCTX_ARGS : NULL);
	long status;
	u64 pc;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || a.reserved0 ||
	    !all_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	if (!in)
		return -ENOENT;
	if (a.func_index >= in->nfuncs || a.nslots > KWASM_ARG_SLOTS)
		return -EINVAL;
	if (a.nslots && copy_from_user(slots, u64_to_user_ptr(a.slots_ptr), a.nslots * sizeof(u64)))
		return -EFAULT;
	VM64(in->vmctx, ENTRY_FUNC) = (u64)in->code + in->funcs[a.func_index].offset;
	VM64(in->vmctx, ARG_COUNT) = a.nslots;

	status = run_wasm(in, a.timeout_ns);

	a.status = status;
	a.ret_int = VM64(in->vmctx, RET_INT);
	a.ret_float = VM64(in->vmctx, RET_FLOAT);
	a.trap_code = 0;
	a.trap_pc = a.trap_addr = 0;
	a.trap_signal = 0;
	if (status == KWASM_STATUS_TRAP) {
		a.trap_code = VM32(in->vmctx, TRAP_CODE);
		a.trap_signal = VM32(in->vmctx, TRAP_SIGNAL);
		/* offsets only: kernel addresses stay in the kernel */
		pc = VM64(in->vmctx, TRAP_PC);
		a.trap_pc = offset_in(pc, in->code, in->code_len + 1);
		a.trap_addr = offset_in(VM64(in->vmctx, TRAP_ADDR), in->mem, MEM_RESERVE);
	}
	if (status == KWASM_STATUS_RETURNED && a.nslots &&
	    copy_to_user(u64_to_user_ptr(a.slots_ptr), slots, a.nslots * sizeof(u64)))
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
	if (check_add_overflow(a.offset, a.len, &end) || end > in->mem_bytes)
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
		ret = ioc_invoke(kf, uarg);
		break;
	case KWASM_IOC_MEM_READ:
		ret = ioc_mem_rw(kf, uarg, false);
		break;
	case KWASM_IOC_MEM_WRITE:
		ret = ioc_mem_rw(kf, uarg, true);
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

static const struct file_operations kwasm_fops = {
	.owner = THIS_MODULE,
	.open = kwasm_open,
	.release = kwasm_release,
	.unlocked_ioctl = kwasm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,	/* fixed-width structs: same layout for 32-bit callers */
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
	BUILD_BUG_ON(KWASM_ARG_SLOTS * 8 + KWASM_VMCTX_ARGS > KWASM_VMCTX_SIZE);
	BUILD_BUG_ON(MEM_RESERVE < (8ull << 30) + WASM_PAGE);	/* index + offset + access size */

	err = resolve_symbols();
	if (err) {
		pr_err("kwasm: cannot resolve the memory reservation helpers: %d\n", err);
		return err;
	}
	err = register_kprobe(&kwasm_fixup_kprobe);
	if (err) {
		pr_err("kwasm: kprobe on fixup_exception failed: %d\n", err);
		return err;
	}
	err = misc_register(&kwasm_dev);
	if (err) {
		unregister_kprobe(&kwasm_fixup_kprobe);
		return err;
	}
	return 0;
}

static void __exit kwasm_exit(void)
{
	/* no open file (module refcount), so no instance and no wasm running anywhere */
	misc_deregister(&kwasm_dev);
	unregister_kprobe(&kwasm_fixup_kprobe);
}

module_init(kwasm_init);
module_exit(kwasm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kwasm: compiled WebAssembly in ring 0");
