// SPDX-License-Identifier: GPL-2.0
/*
 * Tables and element segments in ring 0: the table part of the module description and the
 * runtime builtins compiled code calls for table.init/copy/grow/fill and elem.drop.
 *
 * Each table's elements are their own kvmalloc'd array of u64 (funcref: address of one of this
 * instance's funcref records, 0 = null; externref: a token chosen by user space that compiled
 * code only moves and compares with 0). Compiled code finds an array through the table's
 * descriptor {base, length} in the instance area (vmctx TABLES), reloaded at every access, so
 * table.grow may move the array while the wasm stack is stopped at the builtin's host call.
 * Element segments are kept as function indices (+ 1, 0 = null) and turned into record
 * addresses only when table.init copies them. Every index from the description or from the
 * builtin's slots is checked; bounds are checked before anything is written, as the spec says.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>

#include "kwasm_ioctl.h"
#include "kwasm_internal.h"

struct kwasm_table {
	u64 *elems;		/* kvmalloc: cap entries, the first len in use */
	u32 len, cap;
	u32 max;		/* grow limit: the module's maximum and KWASM_MAX_TABLE_ELEMS */
	u32 kind;		/* KWASM_REF_* */
	u8 *desc;		/* the descriptor compiled code reads (instance area) */
};

struct kwasm_seg {
	u32 *items;		/* function index + 1, 0 = null (points into tabs->items) */
	u32 len;
	u32 kind;
	bool dropped;
};

struct kwasm_tables {
	u32 layout;		/* KWASM_DESC_LAYOUT_*: 0 = tables neither grow nor have segments here */
	u32 ntables, nsegs;
	u8 *recs;		/* funcref records, one per function index */
	u32 nfuncs;
	u32 nimports;		/* function index of image function 0 */
	u32 *sig;		/* layout 1: per function index, its KWASM_SIG_* word */
	u32 cur;		/* function index of the running INVOKE (its results' sig) */
	u8 *gkind;		/* layout 1: per global, KWASM_GLOBAL_* of the description */
	u64 *globals;		/* the globals' slots (the vmctx's tail, KWASM_VMCTX_GLOBALS) */
	u32 nglobals;
	struct kwasm_table *t;
	struct kwasm_seg *s;
	u32 *items;		/* every segment's items */
};

static u32 rd32(const u8 *p)
{
	return get_unaligned_le32(p);
}

/*
 * The length of the description's table part starting at `p` (tables, their elements, and with
 * layout 1 the element segments and their items) in *bytes; -EINVAL if it does not fit in
 * `avail` or a count is wrong. Reads nothing past `avail`; counts are bounded by the caller.
 */
int kwasm_desc_tables_bytes(const u8 *p, u64 avail, u32 ntables, u32 nelems, u32 nsegs, u32 layout, u64 *bytes)
{
	u64 rec = layout ? KWASM_DESC_TABLE_V1_SIZE : 8, at, sum = 0, items = 0;
	u32 i;

	if (layout > KWASM_DESC_LAYOUT_TABLES || (!layout && nsegs) || nsegs > KWASM_MAX_DESC_SEGS)
		return -EINVAL;
	at = (u64)ntables * rec;
	if (at > avail)
		return -EINVAL;
	for (i = 0; i < ntables; i++)
		sum += rd32(p + rec * i);
	if (sum != nelems)
		return -EINVAL;
	at += ALIGN((u64)nelems * 4, 8);
	if (layout) {
		if (at > avail || (u64)nsegs * KWASM_DESC_SEG_SIZE > avail - at)
			return -EINVAL;
		for (i = 0; i < nsegs; i++)
			items += rd32(p + at + KWASM_DESC_SEG_SIZE * i);
		if (items > KWASM_MAX_DESC_ELEMS)
			return -EINVAL;
		at += (u64)nsegs * KWASM_DESC_SEG_SIZE + ALIGN(items * 4, 8);
	}
	*bytes = at;
	return 0;
}

static void write_desc(struct kwasm_instance *in, struct kwasm_table *t, bool first)
{
	*(u64 *)(t->desc + KWASM_TABLE_DESC_BASE) = (u64)t->elems;
	*(u64 *)(t->desc + KWASM_TABLE_DESC_LENGTH) = t->len;
	if (first) {
		VM64(in->vmctx, TABLE0_BASE) = (u64)t->elems;
		VM32(in->vmctx, TABLE0_LENGTH) = t->len;
	}
}

static u64 ref_of(struct kwasm_tables *tb, u32 item)
{
	return item ? (u64)(tb->recs + KWASM_FUNCREF_SIZE * (item - 1)) : 0;
}

/*
 * Builds the tables and segments from the part kwasm_desc_tables_bytes measured (so every
 * count and length is already consistent): `descs` are the ntables descriptors in the
 * instance area, `recs` the nfuncs funcref records. Errors leave what was built to
 * kwasm_tables_free.
 */
int kwasm_tables_build(struct kwasm_instance *in, const u8 *p, u32 ntables, u32 nelems, u32 nsegs, u32 layout,
		       u8 *descs, u8 *recs, u32 nfuncs, const u8 *fp, const u8 *gp, u32 nglobals, u64 *globals)
{
	u64 rec = layout ? KWASM_DESC_TABLE_V1_SIZE : 8;
	const u8 *ep = p + (u64)ntables * rec, *sp = ep + ALIGN((u64)nelems * 4, 8), *ip;
	struct kwasm_tables *tb;
	u32 i, j, sum = 0, items = 0;

	tb = kzalloc(sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return -ENOMEM;
	in->tabs = tb;
	tb->layout = layout;
	tb->recs = recs;
	tb->nfuncs = nfuncs;
	if (layout) {
		if (nfuncs < in->nfuncs)
			return -EINVAL;	/* every image function has an index */
		tb->nimports = nfuncs - in->nfuncs;
		tb->sig = kvcalloc(max(nfuncs, 1u), sizeof(u32), GFP_KERNEL);
		if (!tb->sig)
			return -ENOMEM;
		for (i = 0; i < nfuncs; i++) {
			u32 w = rd32(fp + 16 * (u64)i + 12);

			if (w & KWASM_SIG_RESERVED)
				return -EINVAL;
			tb->sig[i] = w;
		}
		tb->gkind = kvzalloc(max(nglobals, 1u), GFP_KERNEL);
		if (!tb->gkind)
			return -ENOMEM;
		for (i = 0; i < nglobals; i++)
			tb->gkind[i] = rd32(gp + 16 * (u64)i + 8);	/* parse_desc checked it */
		tb->globals = globals;
		tb->nglobals = nglobals;
	}
	tb->t = kcalloc(max(ntables, 1u), sizeof(*tb->t), GFP_KERNEL);
	/* nsegs up to 2^20 (24 MiB): kvcalloc, kcalloc would WARN past KMALLOC_MAX_SIZE */
	tb->s = kvcalloc(max(nsegs, 1u), sizeof(*tb->s), GFP_KERNEL);
	if (!tb->t || !tb->s)
		return -ENOMEM;
	for (i = 0; i < ntables; i++) {
		const u8 *r = p + rec * i;
		struct kwasm_table *t = &tb->t[i];
		u32 n = rd32(r);

		if (layout) {
			t->max = rd32(r + 4);
			t->kind = rd32(r + 8);
			if (t->kind > KWASM_REF_EXTERN || rd32(r + 12) || t->max < n)
				return -EINVAL;
		} else {
			if (rd32(r + 4))
				return -EINVAL;
			t->max = n;	/* layout 0 says nothing about growth: table.grow is user space's */
		}
		t->max = min(t->max, max(n, KWASM_MAX_TABLE_ELEMS));
		t->cap = max(n, 1u);
		t->elems = kvcalloc(t->cap, sizeof(u64), GFP_KERNEL);
		if (!t->elems)
			return -ENOMEM;
		tb->ntables++;
		for (j = 0; j < n; j++) {
			u32 v = rd32(ep + 4 * (u64)(sum + j));

			/* an externref table starts null: user space has no token in a constant */
			if (v > nfuncs || (v && t->kind != KWASM_REF_FUNC))
				return -EINVAL;
			t->elems[j] = ref_of(tb, v);
		}
		t->len = n;
		t->desc = descs + KWASM_TABLE_DESC_SIZE * i;
		write_desc(in, t, i == 0);
		sum += n;
	}
	if (!layout)
		return 0;
	ip = sp + (u64)nsegs * KWASM_DESC_SEG_SIZE;
	for (i = 0; i < nsegs; i++)
		items += rd32(sp + KWASM_DESC_SEG_SIZE * i);
	tb->items = kvcalloc(max(items, 1u), sizeof(u32), GFP_KERNEL);
	if (!tb->items)
		return -ENOMEM;
	for (i = 0, sum = 0; i < nsegs; i++) {
		const u8 *r = sp + KWASM_DESC_SEG_SIZE * i;
		struct kwasm_seg *s = &tb->s[i];
		u32 flags = rd32(r + 8);

		s->len = rd32(r);
		s->kind = rd32(r + 4);
		if (s->kind > KWASM_REF_EXTERN || (flags & ~KWASM_SEG_DROPPED) || rd32(r + 12))
			return -EINVAL;
		s->dropped = flags & KWASM_SEG_DROPPED;
		s->items = tb->items + sum;
		for (j = 0; j < s->len; j++) {
			u32 v = rd32(ip + 4 * (u64)(sum + j));

			if (v > nfuncs || (v && s->kind != KWASM_REF_FUNC))
				return -EINVAL;
			s->items[j] = v;
		}
		sum += s->len;
	}
	tb->nsegs = nsegs;
	return 0;
}

void kwasm_tables_free(struct kwasm_instance *in)
{
	struct kwasm_tables *tb = in->tabs;
	u32 i;

	if (!tb)
		return;
	for (i = 0; tb->t && i < tb->ntables; i++)
		kvfree(tb->t[i].elems);
	kfree(tb->t);
	kvfree(tb->s);
	kvfree(tb->items);
	kvfree(tb->sig);
	kvfree(tb->gkind);
	kfree(tb);
	in->tabs = NULL;
}

#define OK 0
#define OOB KWASM_TRAP_TABLE_OUT_OF_BOUNDS

/* table.grow: the old length, or -1 past either limit or out of memory (nothing changes). */
static u32 table_grow(struct kwasm_instance *in, struct kwasm_table *t, bool first, u64 init, u32 delta)
{
	u64 want = (u64)t->len + delta, i;

	if (want > t->max)
		return ~0u;
	if (want > t->cap) {
		u64 cap = min_t(u64, max_t(u64, want, 2 * (u64)t->cap), t->max);
		u64 *e = kvcalloc(cap, sizeof(u64), GFP_KERNEL);

		if (!e)
			return ~0u;
		memcpy(e, t->elems, t->len * sizeof(u64));
		kvfree(t->elems);
		t->elems = e;
		t->cap = cap;
	}
	for (i = t->len; i < want; i++)
		t->elems[i] = init;
	i = t->len;
	t->len = want;
	write_desc(in, t, first);
	return i;
}

/*
 * Serves builtin `idx` with its slots `a` (result in a[0]) if it is a table builtin of an
 * instance whose description carried its tables' limits and segments (layout 1); false sends
 * it to user space as before. Runs outside the FPU section: may allocate.
 */
bool kwasm_table_builtin(struct kwasm_instance *in, u32 idx, u64 *a)
{
	struct kwasm_tables *tb = in->tabs;
	struct kwasm_table *dt, *st;
	struct kwasm_seg *s;
	u64 dst, src, n, i;

	if (!tb || !tb->layout)
		return false;
	switch (idx) {
	case KWASM_BUILTIN_TABLE_INIT:	/* (dst, src, n, segment, table) -> status */
		dst = (u32)a[0], src = (u32)a[1], n = (u32)a[2];
		if ((u32)a[3] >= tb->nsegs || (u32)a[4] >= tb->ntables) {
			a[0] = KWASM_TRAP_HOST_ERROR;
			return true;
		}
		s = &tb->s[(u32)a[3]];
		dt = &tb->t[(u32)a[4]];
		if (s->kind != dt->kind) {
			a[0] = KWASM_TRAP_HOST_ERROR;
			return true;
		}
		if (src + n > (s->dropped ? 0 : s->len) || dst + n > dt->len) {
			a[0] = OOB;
			return true;
		}
		for (i = 0; i < n; i++)
			dt->elems[dst + i] = ref_of(tb, s->items[src + i]);
		a[0] = OK;
		return true;
	case KWASM_BUILTIN_ELEM_DROP:	/* (segment) */
		if ((u32)a[0] < tb->nsegs)
			tb->s[(u32)a[0]].dropped = true;
		return true;
	case KWASM_BUILTIN_TABLE_COPY:	/* (dst, src, n, dst table, src table) -> status */
		dst = (u32)a[0], src = (u32)a[1], n = (u32)a[2];
		if ((u32)a[3] >= tb->ntables || (u32)a[4] >= tb->ntables) {
			a[0] = KWASM_TRAP_HOST_ERROR;
			return true;
		}
		dt = &tb->t[(u32)a[3]];
		st = &tb->t[(u32)a[4]];
		if (dt->kind != st->kind) {
			a[0] = KWASM_TRAP_HOST_ERROR;
			return true;
		}
		if (src + n > st->len || dst + n > dt->len) {
			a[0] = OOB;
			return true;
		}
		memmove(dt->elems + dst, st->elems + src, n * sizeof(u64));
		a[0] = OK;
		return true;
	case KWASM_BUILTIN_TABLE_GROW:	/* (init, delta, table) -> old length or -1 */
		if ((u32)a[2] >= tb->ntables) {
			a[0] = ~0u;
			return true;
		}
		a[0] = table_grow(in, &tb->t[(u32)a[2]], (u32)a[2] == 0, a[0], (u32)a[1]);
		return true;
	case KWASM_BUILTIN_TABLE_FILL:	/* (index, ref, n, table) -> status */
		dst = (u32)a[0], n = (u32)a[2];
		if ((u32)a[3] >= tb->ntables) {
			a[0] = KWASM_TRAP_HOST_ERROR;
			return true;
		}
		dt = &tb->t[(u32)a[3]];
		if (dst + n > dt->len) {
			a[0] = OOB;
			return true;
		}
		for (i = 0; i < n; i++)
			dt->elems[dst + i] = a[1];
		a[0] = OK;
		return true;
	}
	return false;
}

/*
 * funcref values at the user-space boundary (layout 1): in ring 0 a funcref is the address of a
 * funcref record, outside it is function index + 1 (0 = null). The description's per-function
 * KWASM_SIG_* word says which parameters and results are funcrefs and where the results are,
 * so INVOKE, RESUME and host calls translate in both directions and nothing else of rax, xmm0
 * or the slots leaves the kernel. Without layout 1 (hand-made images, tests) nothing changes.
 */
static bool sig_known(struct kwasm_tables *tb)
{
	return tb && tb->layout && tb->sig;
}

/* function index + 1 (or 0) -> record address; false if out of range */
static bool ref_in(struct kwasm_tables *tb, u64 *v)
{
	if (*v > tb->nfuncs)
		return false;
	*v = ref_of(tb, *v);
	return true;
}

/* record address (or 0) -> function index + 1; anything else (cannot happen) -> all ones */
static void ref_out(struct kwasm_tables *tb, u64 *v)
{
	u64 off = *v - (u64)tb->recs;

	if (!*v)
		return;
	*v = *v >= (u64)tb->recs && off < (u64)KWASM_FUNCREF_SIZE * tb->nfuncs && !(off % KWASM_FUNCREF_SIZE) ?
		off / KWASM_FUNCREF_SIZE + 1 : ~0ull;
}

/* INVOKE of image function `func`: its funcref parameters in `slots`; -EINVAL on a bad index. */
int kwasm_refs_args_in(struct kwasm_instance *in, u32 func, u64 *slots, u32 nslots)
{
	struct kwasm_tables *tb = in->tabs;
	u32 i, mask;

	if (!sig_known(tb))
		return 0;
	mask = tb->sig[tb->nimports + func] & KWASM_SIG_PARAMS;
	for (i = 0; i < nslots && i < 16; i++)
		if (mask & (1u << i) && !ref_in(tb, &slots[i]))
			return -EINVAL;
	/*
	 * Only now: a rejected INVOKE leaves a pending host call in place, and its RESUME must
	 * translate the results by the signature of the function that is really running.
	 */
	tb->cur = tb->nimports + func;
	return 0;
}

/*
 * What an INVOKE/RESUME hands back: with layout 1 only the running function's results (rax,
 * xmm0 or the first n slots, funcrefs as indices) and zeros elsewhere. Returns how many slots
 * to copy back to user space.
 */
u32 kwasm_refs_results_out(struct kwasm_instance *in, long status, u64 *ret_int, u64 *ret_float, u64 *slots, u32 nslots)
{
	struct kwasm_tables *tb = in->tabs;
	u32 w, rmask, i, n;

	if (!sig_known(tb))
		return status == KWASM_STATUS_RETURNED ? nslots : 0;
	if (status != KWASM_STATUS_RETURNED) {
		/*
		 * No results: TRAP and HOST_CALL hand out nothing, EXIT only its code (ret_int, set by
		 * run_until_exit); xmm0's bits of an earlier call stay in the kernel.
		 */
		if (status != KWASM_STATUS_EXIT)
			*ret_int = 0;
		*ret_float = 0;
		return 0;
	}
	w = tb->sig[tb->cur];
	rmask = (w & KWASM_SIG_RESULTS) >> KWASM_SIG_RESULTS_SHIFT;
	switch ((w & KWASM_SIG_LOC) >> KWASM_SIG_LOC_SHIFT) {
	case KWASM_SIG_LOC_RAX:
		*ret_float = 0;
		if (rmask & 1)
			ref_out(tb, ret_int);
		return 0;
	case KWASM_SIG_LOC_XMM0:
		*ret_int = 0;
		return 0;
	case KWASM_SIG_LOC_SLOTS:
		*ret_int = *ret_float = 0;
		n = min(((w & KWASM_SIG_NRESULTS) >> KWASM_SIG_NRESULTS_SHIFT) + 1, nslots);
		for (i = 0; i < n && i < 8; i++)
			if (rmask & (1u << i))
				ref_out(tb, &slots[i]);
		return n;
	default:
		*ret_int = *ret_float = 0;
		return 0;
	}
}

/* A host call to import `idx` leaves for user space: its funcref arguments as indices. */
void kwasm_refs_host_out(struct kwasm_instance *in, u32 idx, u64 *hslots, u32 n)
{
	struct kwasm_tables *tb = in->tabs;
	u32 i, mask;

	if (!sig_known(tb) || idx >= tb->nfuncs)
		return;
	mask = tb->sig[idx] & KWASM_SIG_PARAMS;
	for (i = 0; i < n && i < 16; i++)
		if (mask & (1u << i))
			ref_out(tb, &hslots[i]);
}

/* RESUME answers import `idx`: its funcref results back to record addresses; -EINVAL if bad. */
int kwasm_refs_host_in(struct kwasm_instance *in, u32 idx, u64 *hslots, u32 n)
{
	struct kwasm_tables *tb = in->tabs;
	u32 i, rmask;

	if (!sig_known(tb) || idx >= tb->nfuncs)
		return 0;
	rmask = (tb->sig[idx] & KWASM_SIG_RESULTS) >> KWASM_SIG_RESULTS_SHIFT;
	for (i = 0; i < n && i < 8; i++)
		if (rmask & (1u << i) && !ref_in(tb, &hslots[i]))
			return -EINVAL;
	return 0;
}

/* KWASM_IOC_GLOBAL (file lock held, wasm not running: at most stopped at a host call). */
long kwasm_ioc_global(struct kwasm_instance *in, void __user *uarg)
{
	struct kwasm_global a;
	struct kwasm_tables *tb;
	u64 *slot;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || (a.flags & ~KWASM_GLOBAL_WRITE) || a.reserved)
		return -EINVAL;
	if (!in)
		return -ENOENT;
	tb = in->tabs;
	if (!sig_known(tb) || !tb->gkind)
		return -EOPNOTSUPP;
	if (a.index >= tb->nglobals)
		return -EINVAL;
	slot = &tb->globals[a.index];
	if (tb->gkind[a.index] == KWASM_GLOBAL_IMPORTED)
		slot = (u64 *)*slot;	/* the instance's own cell (parse_desc) */
	if (a.flags & KWASM_GLOBAL_WRITE) {
		if (tb->gkind[a.index] == KWASM_GLOBAL_FUNCREF && !ref_in(tb, &a.value))
			return -EINVAL;
		*slot = a.value;
		return 0;
	}
	a.value = *slot;
	if (tb->gkind[a.index] == KWASM_GLOBAL_FUNCREF)
		ref_out(tb, &a.value);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}
