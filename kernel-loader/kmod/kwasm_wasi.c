// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: the WASI calls served in ring 0, on the calling process's own file descriptors, so
 * a wasm program's I/O is a function call instead of a system call. Each answers exactly as
 * jit/wasi/ does in user mode (the VM stage compares the two). Every guest pointer is checked
 * against the accessible linear memory before use; anything not served here returns false and
 * the call exits to user space through the host-call protocol.
 *
 * The fd table (kwasm_ioctl.h struct kwasm_fd_entry) is a mirror of jit/wasi/fd-table.ts that
 * user space pushes (SET_FDS) and pulls (GET_FDS) around every host call it serves: wasm fd ->
 * a host fd of the calling process (fget per call), rights, fdflags and, for files, the
 * position reads and writes use (pread/pwrite style, as jit/wasi). A call on a wasm fd not in the
 * table exits to user space, which answers it (EBADF ...) exactly as in user mode. Whenever an
 * operation fails before it changed anything (no byte moved), it also exits to user space rather
 * than guessing the errno Node would report: user space then does the same operation and answers
 * with its own errno. Errors after some bytes moved are translated here (wasi_errno).
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
#include <linux/sizes.h>
#include <linux/fdtable.h>
#include <asm/unaligned.h>

#include "kwasm_ioctl.h"
#include "kwasm_internal.h"
#include "kwasm_wasi.h"

/* jit/wasi fs.ts maxSafe: file offsets above Number.MAX_SAFE_INTEGER are EFBIG for writes */
#define JS_MAX_SAFE ((1ull << 53) - 1)

/* A guest range [ptr, ptr + len) inside accessible linear memory, or NULL. */
u8 *kwasm_guest(struct kwasm_instance *in, u64 ptr, u64 len)
{
	u64 end;

	if (ptr > U32_MAX || check_add_overflow(ptr, len, &end) || end > in->mem_access)
		return NULL;
	return in->mem + ptr;
}

/* As jit/wasi/fd-table.ts filetypeOf: FIFOs are UNKNOWN, any socket SOCKET_STREAM. */
u8 kwasm_filetype(umode_t m)
{
	return S_ISREG(m) ? 4 : S_ISDIR(m) ? 3 : S_ISLNK(m) ? 7 : S_ISCHR(m) ? 2 :
	       S_ISBLK(m) ? 1 : S_ISSOCK(m) ? 6 : WASI_FILETYPE_UNKNOWN;
}

/*
 * The instance's WASI state, made on first use: until user space sets a table, fds 0-2 are the
 * caller's stdio as jit/wasi/fd-table.ts stdioEntry makes them (streams, STREAM_RIGHTS, flags
 * 0, the host file's filetype; a closed one keeps CHARACTER_DEVICE). NULL if out of memory.
 */
static struct kwasm_wasi *wasi_of(struct kwasm_instance *in)
{
	struct kwasm_wasi *w = in->wasi;
	u32 fd;

	if (w)
		return w;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return NULL;
	w->fds = kcalloc(3, sizeof(*w->fds), GFP_KERNEL);
	if (!w->fds) {
		kfree(w);
		return NULL;
	}
	w->nfds = 3;
	for (fd = 0; fd < 3; fd++) {
		struct kwasm_wfd *e = &w->fds[fd];
		struct file *f = fget(fd);

		e->kind = KWASM_FD_STREAM;
		e->host_fd = fd;
		e->rights_base = WASI_STREAM_RIGHTS;
		e->filetype = WASI_FILETYPE_CHARACTER_DEVICE;
		if (f) {
			e->filetype = kwasm_filetype(file_inode(f)->i_mode);
			fput(f);
		}
	}
	in->wasi = w;
	return w;
}

void kwasm_wasi_free(struct kwasm_instance *in)
{
	struct kwasm_wasi *w = in->wasi;

	if (!w)
		return;
	kvfree(w->fds);
	kvfree(w->args);
	kvfree(w->env);
	kfree(w);
	in->wasi = NULL;
}

/* The table entry of wasm fd `fd`, or NULL (then user space answers, EBADF or otherwise). */
struct kwasm_wfd *kwasm_wasi_fd(struct kwasm_wasi *w, u32 fd)
{
	return fd < w->nfds && w->fds[fd].kind ? &w->fds[fd] : NULL;
}

/*
 * Linux errno -> WASI errno, as Node names the error and jit/wasi/errno.ts maps the name (same
 * name without the E; a name libuv does not know, such as EDQUOT, is EIO there too). Only used
 * once some bytes moved (see the top comment).
 */
int kwasm_wasi_errno(long err)
{
	switch (-err) {
	case EACCES: return 2;
	case EADDRINUSE: return 3;
	case EADDRNOTAVAIL: return 4;
	case EAGAIN: return 6;
	case EBADF: return 8;
	case ECONNABORTED: return 13;
	case ECONNREFUSED: return 14;
	case ECONNRESET: return 15;
	case EFAULT: return 21;
	case EFBIG: return 22;
	case EINTR: return 27;
	case EINVAL: return 28;
	case EISDIR: return 31;
	case EMFILE: return 33;
	case EMSGSIZE: return 35;
	case ENETDOWN: return 38;
	case ENETUNREACH: return 40;
	case ENFILE: return 41;
	case ENOBUFS: return 42;
	case ENODEV: return 43;
	case ENOMEM: return 48;
	case ENOSPC: return 51;
	case ENOTCONN: return 53;
	case ENOTSOCK: return 57;
	case EOPNOTSUPP: return 58;
	case ENXIO: return 60;
	case EOVERFLOW: return 61;
	case EPERM: return 63;
	case EPIPE: return 64;
	case EPROTO: return 65;
	case ESPIPE: return 70;
	case ETIMEDOUT: return 73;
	}
	return WASI_EIO;
}

/*
 * A guest iovec array, read once into a kernel copy (*out, kfree by the caller) with every buffer
 * checked first, as GuestMemory.iovecs does (EFAULT before any I/O). Only the copy may be used:
 * the array lives in linear memory, which an fd_read into a buffer overlapping it, or the
 * process through its mmap, can change while the I/O runs, and a value read again would be
 * unchecked (a kernel_read/kernel_write at any offset of the 8 GiB reservation: an oops).
 */
int kwasm_read_iovs(struct kwasm_instance *in, u32 iovs, u32 n, struct wasi_iov **out)
{
	struct wasi_iov *v;
	u32 i;

	*out = NULL;
	if (n > WASI_IOV_MAX)
		return WASI_EINVAL;	/* as user mode (jit/wasi/memory.ts iovecs) and Linux readv */
	v = kmalloc_array(max(n, 1u), sizeof(*v), GFP_KERNEL);
	if (!v)
		return TO_USER;
	for (i = 0; i < n; i++) {
		const u8 *p = kwasm_guest(in, (u64)iovs + 8ull * i, 8);

		if (!p)
			goto fault;
		v[i].buf = get_unaligned_le32(p);
		v[i].len = get_unaligned_le32(p + 4);
		if (!kwasm_guest(in, v[i].buf, v[i].len))
			goto fault;
	}
	*out = v;
	return WASI_ESUCCESS;
fault:
	kfree(v);
	return WASI_EFAULT;
}

static bool is_signal(long err)
{
	return err == -ERESTARTSYS || err == -EINTR || err == -ERESTARTNOINTR || err == -ERESTARTNOHAND;
}

/*
 * How the kernel can move bytes for this file: kernel_read/kernel_write need the file open for
 * that direction (else they WARN) and only ->read_iter/->write_iter without ->read/->write
 * (else they log "kernel read/write not supported" and fail). /dev/null (char 1:3) has both
 * ->write and ->write_iter on this kernel; its write is `return count` and its read `return 0`,
 * which is done here without calling it (no side effect to miss). Anything else: user space.
 */
enum kio_how { KIO_VFS, KIO_NULL, KIO_USER };

static enum kio_how kio_how(struct file *f, bool write)
{
	struct inode *ino = file_inode(f);
	fmode_t need = write ? FMODE_WRITE | FMODE_CAN_WRITE : FMODE_READ | FMODE_CAN_READ;

	if ((f->f_mode & need) != need)
		return KIO_USER;	/* user space gets the host's EBADF/EINVAL */
	if (S_ISCHR(ino->i_mode) && ino->i_rdev == MKDEV(1, 3))
		return KIO_NULL;
	if (write ? f->f_op->write_iter && !f->f_op->write : f->f_op->read_iter && !f->f_op->read)
		return KIO_VFS;
	return KIO_USER;
}

/* kio's loop (f_pos_lock held when at the file's own offset) */
static long kio_loop(struct file *f, bool write, u8 *buf, size_t len, loff_t *filepos, bool moved, size_t *done,
		     ktime_t deadline)
{
	while (*done < len) {
		loff_t pos = filepos ? *filepos : f->f_pos;
		ssize_t r = write ? kernel_write(f, buf + *done, len - *done, &pos)
				  : kernel_read(f, buf + *done, len - *done, &pos);

		/* not past the invoke's deadline: run_until_exit then traps "interrupted" */
		if (r == -EAGAIN && (moved || *done) && !fatal_signal_pending(current) &&
		    ktime_before(ktime_get(), deadline)) {
			schedule_timeout_killable(msecs_to_jiffies(1));
			continue;
		}
		if (r < 0)
			return r;
		if (filepos)
			*filepos = pos;
		else if (!(f->f_mode & FMODE_STREAM))
			f->f_pos = pos;
		*done += r;
		if (!write || r == 0)
			break;		/* reads are one call each (io.ts readOnce); a 0-byte write would spin */
	}
	return 0;
}

/*
 * One read, or a whole write, of `len` bytes at `*filepos` (files) or at the host file's own
 * offset (streams: jit/wasi passes position null, i.e. read(2)/write(2)). A write is continued
 * until complete, as io.ts writeAll does. EAGAIN (a non-blocking pipe) waits 1 ms and retries,
 * as io.ts does, but only once bytes moved (before that the whole call goes to user space) and
 * only until the invoke's deadline, which a full pipe nobody drains would otherwise outlive.
 * Returns 0 or -errno; *done = bytes moved (also before an error).
 */
static long kio(struct file *f, bool write, u8 *buf, size_t len, loff_t *filepos, bool moved, size_t *done,
		enum kio_how how, ktime_t deadline)
{
	bool lock;
	long r;

	*done = 0;
	if (how == KIO_NULL) {
		*done = write ? len : 0;	/* write_null / read_null; neither moves the offset */
		return 0;
	}
	/*
	 * At the file's own offset, read(2)/write(2) hold f_pos_lock (fdget_pos) so that threads
	 * sharing the file do not both use one offset; so do we (our fget makes the count > 1).
	 */
	lock = !filepos && (f->f_mode & FMODE_ATOMIC_POS);
	if (lock)
		mutex_lock(&f->f_pos_lock);
	r = kio_loop(f, write, buf, len, filepos, moved, done, deadline);
	if (lock)
		mutex_unlock(&f->f_pos_lock);
	return r;
}

/*
 * fd_read / fd_write on a socket entry (rights checked): the stream path of fs.ts, which for a
 * socket is recv/send without flags (kwasm_net.c), n{read,written} written last.
 */
static int sock_rw_call(struct kwasm_instance *in, struct kwasm_wfd *e, const u64 *a, bool write, ktime_t deadline)
{
	struct wasi_iov *iov = NULL;
	u32 total = 0;
	u8 *out;
	int err = kwasm_read_iovs(in, a[1], a[2], &iov);

	if (!err)
		err = kwasm_sock_rw(in, e, iov, a[2], write, 0, &total, deadline);
	kfree(iov);
	if (err)
		return err;
	out = kwasm_guest(in, (u32)a[3], 4);
	if (!out)
		return WASI_EFAULT;
	put_unaligned_le32(total, out);
	return WASI_ESUCCESS;
}

/* fs.ts requireFile: streams and sockets cannot seek (ESPIPE), directories have no offset (EBADF). */
static int require_file(struct kwasm_wfd *e)
{
	return e->kind == KWASM_FD_STREAM || e->kind == KWASM_FD_SOCKET ? WASI_ESPIPE :
	       e->kind == KWASM_FD_DIR ? WASI_EBADF : 0;
}

/*
 * fd_read / fd_write (fd, iovs, iovs_len, nptr) on a table entry, as jit/wasi/fs.ts; with `pread`,
 * fd_pread (fd, iovs, iovs_len, offset: u64, nptr): FD_READ and FD_SEEK, files only, each buffer
 * read at offset + the bytes read before it (EFBIG past 2^53 - 1, as fs.ts maxSafe), the entry's
 * position untouched.
 */
static int wasi_rw(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, bool write, bool pread,
		   ktime_t deadline)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, a[0]);
	u64 need = write ? WASI_RIGHT_FD_WRITE : pread ? WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK : WASI_RIGHT_FD_READ;
	u32 n = a[2], i;
	struct wasi_iov *iov = NULL;
	u8 *out;
	struct file *f;
	enum kio_how how;
	u64 total = 0;
	bool file, track;
	loff_t pos;
	int err;

	if (!e)
		return TO_USER;
	if ((e->rights_base & need) != need)
		return WASI_ENOTCAPABLE;
	err = pread ? require_file(e) : 0;
	if (err)
		return err;
	if (e->kind == KWASM_FD_SOCKET)
		return sock_rw_call(in, e, a, write, deadline);
	f = fget(e->host_fd);
	if (!f)
		return TO_USER;		/* the host's EBADF, as user space reports it */
	how = kio_how(f, write);
	file = e->kind == KWASM_FD_FILE;
	track = file && !pread;		/* reads and writes move the entry's position, pread does not */
	/*
	 * A "file" entry is read and written at its own position; a host file that cannot do that
	 * (a pipe in a hand-made table: jit/wasi marks only regular files so) goes to user space,
	 * which answers as user mode does instead of the kernel silently ignoring the position.
	 */
	if (file && how == KIO_VFS && !(f->f_mode & (write ? FMODE_PWRITE : FMODE_PREAD)))
		how = KIO_USER;
	if (how == KIO_USER) {
		fput(f);
		return TO_USER;
	}
	/* fs.ts fd_write: APPEND moves the position to the end before anything else */
	if (write && file && (e->flags & WASI_FDFLAG_APPEND))
		e->position = i_size_read(file_inode(f));
	pos = e->position;
	err = kwasm_read_iovs(in, a[1], n, &iov);
	for (i = 0; !err && i < n; i++) {
		u32 p = iov[i].buf, len = iov[i].len;
		size_t done;
		long r;

		if (!len)
			continue;
		/* at most MAX_RW_COUNT per call, the rest a short count (memory.ts iovecs) */
		if (total >= MAX_RW_COUNT)
			break;
		len = min_t(u64, len, MAX_RW_COUNT - total);
		if (write && file && (u64)pos > JS_MAX_SAFE) {
			err = WASI_EFBIG;
			break;
		}
		if (pread) {
			if (a[3] > JS_MAX_SAFE || a[3] + total > JS_MAX_SAFE) {
				err = WASI_EFBIG;
				break;
			}
			pos = a[3] + total;
		}
		r = kio(f, write, in->mem + p, len, file ? &pos : NULL, total > 0, &done, how, deadline);
		if (r && !total && !done) {
			err = TO_USER;	/* nothing happened: user space does it and reports its own errno */
		} else if (r && is_signal(r)) {
			total += done;	/* a signal after bytes moved: a short count */
			if (track)
				e->position = pos;
			break;
		} else if (r) {
			err = kwasm_wasi_errno(r);	/* as writeAll/readOnce throw: the count is lost */
		} else {
			total += done;
			if (track)
				e->position = pos;
			if (done < len || fatal_signal_pending(current))
				break;	/* a short read: more would block on a pipe */
		}
	}
	fput(f);
	kfree(iov);
	if (err)
		return err;
	out = kwasm_guest(in, (u32)a[pread ? 4 : 3], 4);	/* written last, as fs.ts does (the bytes moved anyway) */
	if (!out)
		return WASI_EFAULT;
	put_unaligned_le32(total, out);
	return WASI_ESUCCESS;
}

/* fd_seek (fd, delta: i64, whence, out) and fd_tell (fd, out), as fs.ts. */
static int wasi_seek(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, bool tell)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, a[0]);
	s64 delta = tell ? 0 : (s64)a[1], base, pos;
	u32 whence = tell ? 1 : (u32)a[2];
	u8 *out;
	int err;

	if (!e)
		return TO_USER;
	err = require_file(e);
	if (err)
		return err;
	/* asking for the position only (CUR + 0) needs FD_TELL, anything else FD_SEEK */
	if (!(e->rights_base & (whence == 1 && !delta ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK)))
		return WASI_ENOTCAPABLE;
	if (whence == 0) {
		base = 0;
	} else if (whence == 1) {
		base = e->position;
	} else if (whence == 2) {
		struct file *f = fget(e->host_fd);

		if (!f)
			return TO_USER;
		base = i_size_read(file_inode(f));
		fput(f);
	} else {
		return WASI_EINVAL;
	}
	if (check_add_overflow(base, delta, &pos))
		return TO_USER;		/* beyond 2^63: JS BigInt arithmetic, user space's */
	if (pos < 0)
		return WASI_EINVAL;
	out = kwasm_guest(in, (u32)a[tell ? 1 : 3], 8);
	if (!out)
		return WASI_EFAULT;
	put_unaligned_le64(pos, out);
	e->position = pos;
	return WASI_ESUCCESS;
}

/* fd_fdstat_get (fd, out), as fs.ts: the entry's filetype, flags and rights. */
static int wasi_fdstat_get(struct kwasm_instance *in, struct kwasm_wasi *w, u32 fd, u32 ptr)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, fd);
	u8 *p = kwasm_guest(in, ptr, 24);

	if (!e)
		return TO_USER;
	if (!p)
		return WASI_EFAULT;
	memset(p, 0, 24);
	p[0] = e->filetype;
	put_unaligned_le16(e->flags, p + 2);
	put_unaligned_le64(e->rights_base, p + 8);
	put_unaligned_le64(e->rights_inheriting, p + 16);
	return WASI_ESUCCESS;
}

/*
 * fd_close: the entry goes; its host fd too when the entry owns it (KWASM_FDE_CLOSE_HOST: a
 * socket accepted here, or one user space marked so), else user space closes it at its next
 * pull. Closing here matters for a server whose steady state never leaves ring 0: its host fds
 * would otherwise pile up until the end of the run. User space's fd_close reports no error of a
 * socket's close(2) either.
 */
static int wasi_close(struct kwasm_wasi *w, u32 fd)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, fd);

	if (!e)
		return TO_USER;
	if (e->eflags & KWASM_FDE_CLOSE_HOST)
		kwasm_close_host(e->host_fd);
	memset(e, 0, sizeof(*e));
	return WASI_ESUCCESS;
}

/*
 * fd_fdstat_set_flags, as jit/wasi/fs.ts: FD_FDSTAT_SET_FLAGS, the sync flags fixed at open
 * (NOTSUP), APPEND and NONBLOCK may change (INVAL for anything else). Only the entry changes:
 * user space keeps its host fds as they are and reads the flags back at its next pull.
 */
static int wasi_set_flags(struct kwasm_wasi *w, u32 fd, u32 flags)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, fd);
	const u32 fixed = 2 | 8 | 16;	/* DSYNC, RSYNC, SYNC */

	if (!e)
		return TO_USER;
	if (!(e->rights_base & WASI_RIGHT_FD_FDSTAT_SET_FLAGS))
		return WASI_ENOTCAPABLE;
	if ((flags & fixed) != (e->flags & fixed))
		return 58;	/* NOTSUP */
	if (flags & ~(fixed | WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK))
		return WASI_EINVAL;
	e->flags = flags;
	return WASI_ESUCCESS;
}

/* args_sizes_get / environ_sizes_get (count_ptr, size_ptr): the count is written first, as proc.ts. */
static int wasi_sizes(struct kwasm_instance *in, u32 count, u32 len, u32 cptr, u32 sptr)
{
	u8 *c = kwasm_guest(in, cptr, 4), *s;

	if (!c)
		return WASI_EFAULT;
	put_unaligned_le32(count, c);
	s = kwasm_guest(in, sptr, 4);
	if (!s)
		return WASI_EFAULT;
	put_unaligned_le32(len, s);
	return WASI_ESUCCESS;
}

/* args_get / environ_get (ptrs, buf): pointer i then string i, stopping at the first fault, as proc.ts. */
static int wasi_strings(struct kwasm_instance *in, const u8 *blob, u32 count, u32 len, u32 ptrs, u32 buf)
{
	u64 at = buf;
	u32 i, off = 0;

	for (i = 0; i < count; i++) {
		u32 n = strnlen((const char *)blob + off, len - off) + 1;	/* validated by SET_ARGS: a NUL is there */
		u8 *p = kwasm_guest(in, (u64)ptrs + 4ull * i, 4), *dst;

		if (!p)
			return WASI_EFAULT;
		put_unaligned_le32((u32)at, p);
		dst = kwasm_guest(in, at, n);
		if (!dst)
			return WASI_EFAULT;
		memcpy(dst, blob + off, n);
		at += n;
		off += n;
	}
	return WASI_ESUCCESS;
}

/* A WASI clock's now, or -1 for an unknown id (clock_time_get and poll_oneoff). */
s64 kwasm_clock_now(u32 id)
{
	switch (id) {
	case 0: return ktime_get_real_ns();
	case 1: return ktime_get_ns();
	case 2: case 3: return current->se.sum_exec_runtime;
	}
	return -1;
}

/*
 * random_get: up to memory.size (256 MiB) of ChaCha output; get_random_bytes never reschedules,
 * so fill in 64 KiB pieces and let others run in between (seconds under TCG, no preemption).
 */
static void random_fill(u8 *p, u32 len)
{
	while (len) {
		u32 n = min_t(u32, len, SZ_64K);

		get_random_bytes(p, n);
		p += n;
		len -= n;
		cond_resched();
	}
}

/* Serves import `host` (KWASM_HOST_*) with its slots `a` (run_until_exit's zero-filled copy); false = exit to user space. */
bool kwasm_serve_host(struct kwasm_instance *in, u32 host, u64 *a, ktime_t deadline)
{
	struct kwasm_wasi *w = wasi_of(in);
	int r = TO_USER;
	u8 *p;

	if (!w)
		return false;		/* out of memory: user space serves everything */
	switch (host) {
	case KWASM_HOST_WASI_FD_WRITE:
		r = wasi_rw(in, w, a, true, false, deadline);
		break;
	case KWASM_HOST_WASI_FD_READ:
		r = wasi_rw(in, w, a, false, false, deadline);
		break;
	case KWASM_HOST_WASI_FD_PREAD:	/* (fd, iovs, iovs_len, offset: i64, nptr) */
		r = wasi_rw(in, w, a, false, true, deadline);
		break;
	case KWASM_HOST_WASI_FD_FILESTAT_GET:	/* (fd, out) */
		r = kwasm_filestat_get(in, w, a);
		break;
	case KWASM_HOST_WASI_PATH_OPEN:
		r = kwasm_path_open(in, w, a);
		break;
	case KWASM_HOST_WASI_FD_SEEK:	/* (fd, delta: i64, whence, out) */
		r = wasi_seek(in, w, a, false);
		break;
	case KWASM_HOST_WASI_FD_TELL:	/* (fd, out) */
		r = wasi_seek(in, w, a, true);
		break;
	case KWASM_HOST_WASI_FD_FDSTAT_GET:	/* (fd, out) */
		r = wasi_fdstat_get(in, w, a[0], (u32)a[1]);
		break;
	case KWASM_HOST_WASI_FD_CLOSE:	/* (fd) */
		r = wasi_close(w, a[0]);
		break;
	case KWASM_HOST_WASI_FD_FDSTAT_SET_FLAGS:	/* (fd, flags) */
		r = wasi_set_flags(w, a[0], (u32)a[1]);
		break;
	case KWASM_HOST_WASI_SOCK_ACCEPT:
		r = kwasm_sock_accept(in, w, a, deadline);
		break;
	case KWASM_HOST_WASI_SOCK_RECV:
		r = kwasm_sock_recv(in, w, a, deadline);
		break;
	case KWASM_HOST_WASI_SOCK_SEND:
		r = kwasm_sock_send(in, w, a, deadline);
		break;
	case KWASM_HOST_WASI_SOCK_SHUTDOWN:
		r = kwasm_sock_shutdown(in, w, a);
		break;
	case KWASM_HOST_WASI_ARGS_SIZES_GET:
		if (w->have_args)
			r = wasi_sizes(in, w->argc, w->args_len, a[0], a[1]);
		break;
	case KWASM_HOST_WASI_ENVIRON_SIZES_GET:
		if (w->have_args)
			r = wasi_sizes(in, w->envc, w->env_len, a[0], a[1]);
		break;
	case KWASM_HOST_WASI_ARGS_GET:
		if (w->have_args)
			r = wasi_strings(in, w->args, w->argc, w->args_len, a[0], a[1]);
		break;
	case KWASM_HOST_WASI_ENVIRON_GET:
		if (w->have_args)
			r = wasi_strings(in, w->env, w->envc, w->env_len, a[0], a[1]);
		break;
	case KWASM_HOST_WASI_CLOCK_TIME_GET: {	/* (id, precision: i64, out) */
		s64 t = kwasm_clock_now((u32)a[0]);

		p = kwasm_guest(in, (u32)a[2], 8);
		if (t < 0)
			r = WASI_EINVAL;
		else if (!p)
			r = WASI_EFAULT;
		else {
			put_unaligned_le64(t, p);
			r = WASI_ESUCCESS;
		}
		break;
	}
	case KWASM_HOST_WASI_RANDOM_GET:
		p = kwasm_guest(in, (u32)a[0], (u32)a[1]);
		r = p ? WASI_ESUCCESS : WASI_EFAULT;
		if (p)
			random_fill(p, (u32)a[1]);
		break;
	case KWASM_HOST_WASI_SCHED_YIELD:
		cond_resched();
		r = WASI_ESUCCESS;
		break;
	case KWASM_HOST_WASI_POLL_ONEOFF:
		r = kwasm_poll_oneoff(in, w, a, deadline);
		break;
	}
	if (r == TO_USER)
		return false;
	a[0] = r;
	w->served++;
	return true;
}

/* ---- the ioctls: SET_FDS / GET_FDS / SET_ARGS ------------------------------------------------ */

static long set_fds(struct kwasm_instance *in, void __user *uarg)
{
	struct kwasm_fds a;
	struct kwasm_fd_entry *ents;
	struct kwasm_wfd *fds = NULL;
	struct kwasm_wasi *w;
	u32 i, nfds = 0;
	long err = -EINVAL;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || a.reserved || a.served || a.count > KWASM_MAX_FDS)
		return -EINVAL;
	if (a.count && !a.entries_ptr)
		return -EFAULT;
	ents = kvmalloc_array(max(a.count, 1u), sizeof(*ents), GFP_KERNEL);
	if (!ents)
		return -ENOMEM;
	if (copy_from_user(ents, u64_to_user_ptr(a.entries_ptr), (size_t)a.count * sizeof(*ents))) {
		err = -EFAULT;
		goto out;
	}
	for (i = 0; i < a.count; i++) {
		const struct kwasm_fd_entry *e = &ents[i];

		if (e->fd >= KWASM_MAX_FDS || e->host_fd > INT_MAX || e->kind < KWASM_FD_STREAM ||
		    e->kind > KWASM_FD_SOCKET || e->filetype > 7 || e->fdflags > 31 ||
		    (e->eflags & ~KWASM_FDE_ALL) || e->position > S64_MAX)
			goto out;
		nfds = max(nfds, e->fd + 1);
	}
	fds = kvcalloc(max(nfds, 1u), sizeof(*fds), GFP_KERNEL);
	if (!fds) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < a.count; i++) {
		const struct kwasm_fd_entry *e = &ents[i];
		struct kwasm_wfd *d = &fds[e->fd];

		if (d->kind)
			goto out;	/* the same wasm fd twice */
		d->kind = e->kind;
		d->host_fd = e->host_fd;
		d->filetype = e->filetype;
		d->flags = e->fdflags;
		d->rights_base = e->rights_base;
		d->rights_inheriting = e->rights_inheriting;
		d->eflags = e->eflags;
		d->position = e->kind == KWASM_FD_FILE ? e->position : 0;
	}
	w = wasi_of(in);
	if (!w) {
		err = -ENOMEM;
		goto out;
	}
	swap(w->fds, fds);
	w->nfds = nfds;
	err = 0;
out:
	kvfree(fds);
	kvfree(ents);
	return err;
}

static long get_fds(struct kwasm_instance *in, void __user *uarg)
{
	struct kwasm_fds a;
	struct kwasm_fd_entry e;
	struct kwasm_wasi *w;
	u32 fd, n = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags || a.reserved || a.served || a.count > KWASM_MAX_FDS)
		return -EINVAL;
	w = wasi_of(in);
	if (!w)
		return -ENOMEM;
	for (fd = 0; fd < w->nfds; fd++) {
		const struct kwasm_wfd *d = &w->fds[fd];

		if (!d->kind)
			continue;
		if (n < a.count) {
			memset(&e, 0, sizeof(e));
			e.fd = fd;
			e.host_fd = d->host_fd;
			e.kind = d->kind;
			e.filetype = d->filetype;
			e.fdflags = d->flags;
			e.rights_base = d->rights_base;
			e.rights_inheriting = d->rights_inheriting;
			e.eflags = d->eflags;
			e.position = d->position;
			if (copy_to_user(u64_to_user_ptr(a.entries_ptr + (u64)n * sizeof(e)), &e, sizeof(e)))
				return -EFAULT;
		}
		n++;
	}
	a.count = n;
	a.served = w->served;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

/* A user blob of `count` NUL-terminated strings, `len` bytes, copied into *out (NULL when empty). */
static long copy_strings(u64 uptr, u32 len, u32 count, u8 **out)
{
	u8 *b;
	u32 i, nuls = 0;

	*out = NULL;
	if (len > KWASM_MAX_ARGS_BYTES || count > len || (len && !uptr))
		return -EINVAL;
	if (!len)
		return 0;
	b = kvmalloc(len, GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	if (copy_from_user(b, u64_to_user_ptr(uptr), len)) {
		kvfree(b);
		return -EFAULT;
	}
	for (i = 0; i < len; i++)
		nuls += !b[i];
	if (nuls != count || b[len - 1]) {
		kvfree(b);
		return -EINVAL;
	}
	*out = b;
	return 0;
}

static long set_args(struct kwasm_instance *in, void __user *uarg)
{
	struct kwasm_args a;
	struct kwasm_wasi *w;
	u8 *args, *env;
	long err;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.version != KWASM_IOCTL_VERSION || a.flags)
		return -EINVAL;
	err = copy_strings(a.args_ptr, a.args_len, a.argc, &args);
	if (err)
		return err;
	err = copy_strings(a.env_ptr, a.env_len, a.envc, &env);
	if (err) {
		kvfree(args);
		return err;
	}
	w = wasi_of(in);
	if (!w) {
		kvfree(args);
		kvfree(env);
		return -ENOMEM;
	}
	swap(w->args, args);
	swap(w->env, env);
	kvfree(args);
	kvfree(env);
	w->argc = a.argc;
	w->args_len = a.args_len;
	w->envc = a.envc;
	w->env_len = a.env_len;
	w->have_args = true;
	return 0;
}

/* KWASM_IOC_SET_FDS / GET_FDS / SET_ARGS on a loaded instance (the caller holds the file's lock). */
long kwasm_wasi_ioctl(struct kwasm_instance *in, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case KWASM_IOC_SET_FDS:
		return set_fds(in, uarg);
	case KWASM_IOC_GET_FDS:
		return get_fds(in, uarg);
	case KWASM_IOC_SET_ARGS:
		return set_args(in, uarg);
	}
	return -ENOTTY;
}
