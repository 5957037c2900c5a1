// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: the WASI calls served in ring 0, on the calling process's own file descriptors, so
 * a wasm program's I/O is a function call instead of a system call. Each answers exactly as
 * jit/wasi/ does in user mode (the VM stage compares the two). Every guest pointer is checked
 * against the accessible linear memory before use; anything not served here returns false and
 * the call exits to user space through the host-call protocol.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/timekeeping.h>
#include <asm/unaligned.h>

#include "kwasm_ioctl.h"
#include "kwasm_internal.h"

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EFAULT 21
#define WASI_EINVAL 28
#define WASI_EIO 29
#define WASI_ESPIPE 70
/* jit/wasi/layout.ts STREAM_RIGHTS (FILE_RIGHTS without FD_SEEK/FD_TELL): what user mode gives stdio */
#define WASI_STREAM_RIGHTS 0x8e001dbull
#define WASI_FILETYPE_UNKNOWN 0
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_IOV_MAX 1024

/* A guest range [ptr, ptr + len) inside accessible linear memory, or NULL. */
static u8 *guest(struct kwasm_instance *in, u64 ptr, u64 len)
{
	u64 end;

	if (ptr > U32_MAX || check_add_overflow(ptr, len, &end) || end > in->mem_access)
		return NULL;
	return in->mem + ptr;
}

/* fd_write / fd_read on the calling process's stdio (fds 0-2), scatter list from guest memory. */
static u32 wasi_rw(struct kwasm_instance *in, const u64 *a, bool write)
{
	u32 fd = a[0], iovs = a[1], n = a[2], i;
	u8 *iov = guest(in, iovs, (u64)n * 8), *out = guest(in, (u32)a[3], 4);
	struct file *f;
	u64 total = 0;
	u32 err = WASI_ESUCCESS;

	if (!iov || !out || n > WASI_IOV_MAX)
		return n > WASI_IOV_MAX ? WASI_EINVAL : WASI_EFAULT;
	f = fget(fd);
	if (!f)
		return WASI_EBADF;
	for (i = 0; i < n; i++) {
		u32 p = get_unaligned_le32(iov + 8 * i), len = get_unaligned_le32(iov + 8 * i + 4);
		u8 *buf = guest(in, p, len);
		loff_t pos = f->f_pos;
		ssize_t r;

		if (!buf) {
			err = WASI_EFAULT;
			break;
		}
		if (!len)
			continue;
		r = write ? kernel_write(f, buf, len, &pos) : kernel_read(f, buf, len, &pos);
		if (r < 0) {
			err = r == -EAGAIN ? 6 : WASI_EIO;
			break;
		}
		if (!(f->f_mode & FMODE_STREAM))
			f->f_pos = pos;
		total += r;
		if (r < len)
			break;
	}
	fput(f);
	if (err && total == 0)
		return err;
	put_unaligned_le32(total, out);
	return WASI_ESUCCESS;
}

/*
 * fd_fdstat_get on stdio, as jit/wasi/fd-table.ts stdioEntry answers it: the filetype of the
 * caller's file (filetypeOf: FIFOs are UNKNOWN, any socket SOCKET_STREAM; a closed fd keeps
 * CHARACTER_DEVICE), flags 0, rights STREAM_RIGHTS, inheriting 0.
 */
static u32 wasi_fdstat_get(struct kwasm_instance *in, u32 fd, u32 ptr)
{
	u8 *p = guest(in, ptr, 24);
	u8 type = WASI_FILETYPE_CHARACTER_DEVICE;
	struct file *f;

	if (!p)
		return WASI_EFAULT;
	f = fget(fd);
	if (f) {
		umode_t m = file_inode(f)->i_mode;

		type = S_ISREG(m) ? 4 : S_ISDIR(m) ? 3 : S_ISLNK(m) ? 7 : S_ISCHR(m) ? 2 :
		       S_ISBLK(m) ? 1 : S_ISSOCK(m) ? 6 : WASI_FILETYPE_UNKNOWN;
		fput(f);
	}
	memset(p, 0, 24);
	p[0] = type;
	put_unaligned_le64(WASI_STREAM_RIGHTS, p + 8);
	return WASI_ESUCCESS;
}

/* A WASI clock's now, or -1 for an unknown id (clock_time_get and poll_oneoff). */
static s64 wasi_clock_now(u32 id)
{
	switch (id) {
	case 0: return ktime_get_real_ns();
	case 1: return ktime_get_ns();
	case 2: case 3: return current->se.sum_exec_runtime;
	}
	return -1;
}

static void wasi_event(u8 *o, u64 userdata, u16 error)
{
	memset(o, 0, 32);
	put_unaligned_le64(userdata, o);
	put_unaligned_le16(error, o + 8);	/* type CLOCK (0) at 10, nbytes 0 */
}

/*
 * poll_oneoff (in, out, nsubs, nevents_out) when every subscription is a clock, as jit/wasi/poll.ts
 * answers it: unknown clock ids are INVAL events (and then nothing sleeps), otherwise sleep
 * (killable, never past the invoke's deadline) until the first monotonic deadline; then one
 * event per clock that is due, after the error events. Returns false (user space serves it) for
 * any other subscription.
 */
static bool wasi_poll_clocks(struct kwasm_instance *in, u64 *a, ktime_t limit)
{
	u32 nsubs = a[2], i, nready = 0, nclocks = 0;
	u8 *sub = guest(in, (u32)a[0], (u64)nsubs * 48), *out = guest(in, (u32)a[1], (u64)nsubs * 32), *np;
	u64 start, first = U64_MAX, now, *due;

	if (!nsubs) {
		a[0] = WASI_EINVAL;
		return true;
	}
	if (!sub || !out) {
		a[0] = WASI_EFAULT;
		return true;
	}
	for (i = 0; i < nsubs; i++)
		if (sub[48 * i + 8] != 0)
			return false;
	due = kvmalloc_array(nsubs, sizeof(*due), GFP_KERNEL);
	if (!due)
		return false;
	start = ktime_get_ns();
	for (i = 0; i < nsubs; i++) {
		const u8 *s = sub + 48 * i;
		u64 timeout = get_unaligned_le64(s + 24), wait;
		s64 t = wasi_clock_now(get_unaligned_le32(s + 16));

		due[i] = U64_MAX;
		if (t < 0) {
			wasi_event(out + 32 * nready++, get_unaligned_le64(s), WASI_EINVAL);
			continue;
		}
		wait = get_unaligned_le16(s + 40) & 1 ? (timeout > (u64)t ? timeout - t : 0) : timeout;
		if (check_add_overflow(start, wait, &due[i]))
			due[i] = U64_MAX;
		first = min(first, due[i]);
		nclocks++;
	}
	if (!nready && nclocks) {
		for (now = ktime_get_ns(); now < first; now = ktime_get_ns()) {
			ktime_t until = first > (u64)KTIME_MAX ? KTIME_MAX : (ktime_t)first;

			if (fatal_signal_pending(current) || !ktime_before(ktime_get(), limit))
				break;
			if (ktime_after(until, limit))
				until = limit;
			set_current_state(TASK_KILLABLE);
			schedule_hrtimeout_range(&until, 0, HRTIMER_MODE_ABS);
		}
	}
	now = ktime_get_ns();
	for (i = 0; i < nsubs; i++)
		if (due[i] != U64_MAX && due[i] <= now)
			wasi_event(out + 32 * nready++, get_unaligned_le64(sub + 48 * i), WASI_ESUCCESS);
	kvfree(due);
	np = guest(in, (u32)a[3], 4);
	if (!np) {
		a[0] = WASI_EFAULT;
		return true;
	}
	put_unaligned_le32(nready, np);
	a[0] = WASI_ESUCCESS;
	return true;
}

/* Serves import `host` (KWASM_HOST_*) with the args in hostCallArgs; returns false to exit to user space. */
bool kwasm_serve_host(struct kwasm_instance *in, u32 host, ktime_t deadline)
{
	u64 *a = (u64 *)(in->vmctx + KWASM_VMCTX_HOST_CALL_ARGS);
	u8 *p;

	switch (host) {
	case KWASM_HOST_WASI_FD_WRITE:
	case KWASM_HOST_WASI_FD_READ:
	case KWASM_HOST_WASI_FD_SEEK:
	case KWASM_HOST_WASI_FD_FDSTAT_GET:
		/* only the stdio fds are the process's own; files opened by path_open live in user space */
		if (a[0] > 2)
			return false;
		break;
	}
	switch (host) {
	case KWASM_HOST_WASI_FD_WRITE:
		a[0] = wasi_rw(in, a, true);
		return true;
	case KWASM_HOST_WASI_FD_READ:
		a[0] = wasi_rw(in, a, false);
		return true;
	case KWASM_HOST_WASI_CLOCK_TIME_GET: {	/* (id, precision: i64, out) */
		u64 t;

		p = guest(in, (u32)a[2], 8);
		switch ((u32)a[0]) {
		case 0: t = ktime_get_real_ns(); break;
		case 1: t = ktime_get_ns(); break;
		case 2: case 3: t = current->se.sum_exec_runtime; break;
		default: a[0] = WASI_EINVAL; return true;
		}
		if (!p) {
			a[0] = WASI_EFAULT;
			return true;
		}
		put_unaligned_le64(t, p);
		a[0] = WASI_ESUCCESS;
		return true;
	}
	case KWASM_HOST_WASI_RANDOM_GET:
		p = guest(in, (u32)a[0], (u32)a[1]);
		if (!p) {
			a[0] = WASI_EFAULT;
			return true;
		}
		get_random_bytes(p, (u32)a[1]);
		a[0] = WASI_ESUCCESS;
		return true;
	case KWASM_HOST_WASI_SCHED_YIELD:
		cond_resched();
		a[0] = WASI_ESUCCESS;
		return true;
	case KWASM_HOST_WASI_FD_SEEK:	/* (fd, delta: i64, whence, out) */
		/* user mode's stdio is always a stream (its offset is the host's): ESPIPE before any check */
		a[0] = WASI_ESPIPE;
		return true;
	case KWASM_HOST_WASI_FD_FDSTAT_GET:	/* (fd, out) */
		a[0] = wasi_fdstat_get(in, a[0], (u32)a[1]);
		return true;
	case KWASM_HOST_WASI_POLL_ONEOFF:
		return wasi_poll_clocks(in, a, deadline);
	}
	return false;
}
