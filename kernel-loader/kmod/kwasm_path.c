// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: fd_filestat_get and path_open in ring 0, so a file server (examples/httpd.c: open,
 * fstat, pread, close per request) never leaves the kernel either. Both answer exactly as
 * jit/wasi/fs.ts does; any failure before a side effect exits to user space, which then does the
 * call itself and answers with its own errno (so errno behaviour cannot diverge).
 *
 * path_open serves only the case the user-space native server serves (jit/runtime/trampolines.ts
 * serveOpen): a read-only open of an existing regular file (no oflags, no fdflags, no write right
 * asked, dirflags at most SYMLINK_FOLLOW) by a plain relative path, resolved BENEATH the directory
 * entry's host directory as openat2's RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS does (LOOKUP_BENEATH:
 * `..` above the start, an absolute symlink and a rename racing a `..` all fail), then opened on
 * exactly the dentry that lookup found. The file joins the mirrored table and the process's fd
 * table as a ring-0 sock_accept's socket does; user space adopts it at its next pull.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/namei.h>
#include <linux/mount.h>
#include <linux/stat.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/kdev_t.h>
#include <linux/fsnotify.h>
#include <asm/unaligned.h>

#include "kwasm_ioctl.h"
#include "kwasm_internal.h"
#include "kwasm_wasi.h"

/* jit/wasi/layout.ts FILE_RIGHTS: what a file opened by path_open may keep */
#define WASI_FILE_RIGHTS 0x8e001ffull
/* trampolines.ts WRITE_RIGHTS (FD_WRITE, FD_ALLOCATE, FD_FILESTAT_SET_SIZE): they open the host file writable */
#define WASI_WRITE_RIGHTS 0x400140ull
#define WASI_LOOKUP_SYMLINK_FOLLOW 1u
/* the longest path served here (trampolines.ts MAX_PATH - 1); longer ones are user space's */
#define PATH_OPEN_MAX (PATH_MAX - 1)
#define NS_PER_SEC 1000000000ull

/* fs/namei.c, exported (EXPORT_SYMBOL) but declared only in fs/internal.h, which modules cannot include */
int vfs_path_lookup(struct dentry *dentry, struct vfsmount *mnt, const char *name, unsigned int flags,
		    struct path *path);

/* A time as Node's BigIntStats *timeNs (sec * 1e9 + nsec), stored as DataView.setBigUint64 does: mod 2^64. */
static u64 time_ns(const struct timespec64 *t)
{
	return (u64)t->tv_sec * NS_PER_SEC + (u64)t->tv_nsec;
}

/*
 * fd_filestat_get (fd, out), as fs.ts: FD_FILESTAT_GET, then the host file's stat (as fstat(2):
 * vfs_getattr with the basic fields), then the 64-byte filestat, zeroed first (writeFilestat).
 * dev is the user-space encoding stat(2) and libuv's statx give (new_encode_dev).
 */
int kwasm_filestat_get(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, (u32)a[0]);
	struct kstat st;
	struct file *f;
	u8 *p;
	int err;

	if (!e)
		return TO_USER;
	if (!(e->rights_base & WASI_RIGHT_FD_FILESTAT_GET))
		return WASI_ENOTCAPABLE;
	f = fget(e->host_fd);
	if (!f)
		return TO_USER;		/* the host's EBADF, as user space reports it */
	err = vfs_getattr(&f->f_path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	fput(f);
	if (err)
		return TO_USER;
	p = kwasm_guest(in, (u32)a[1], 64);
	if (!p)
		return WASI_EFAULT;
	memset(p, 0, 64);
	put_unaligned_le64(new_encode_dev(st.dev), p);
	put_unaligned_le64(st.ino, p + 8);
	p[16] = kwasm_filetype(st.mode);
	put_unaligned_le64(st.nlink, p + 24);
	put_unaligned_le64((u64)st.size, p + 32);
	put_unaligned_le64(time_ns(&st.atime), p + 40);
	put_unaligned_le64(time_ns(&st.mtime), p + 48);
	put_unaligned_le64(time_ns(&st.ctime), p + 56);
	return WASI_ESUCCESS;
}

/* serveOpen's path: ASCII without NUL (JS checks UTF-8), neither starting nor ending with '/'. */
static bool plain_path(const char *s, u32 len)
{
	u32 i;

	if (s[0] == '/' || s[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++)
		if (!s[i] || (u8)s[i] >= 0x80)
			return false;
	return true;
}

/*
 * The regular file `path` names, opened read-only as openat2 would (may_open's permission check,
 * which dentry_open does not make; O_NONBLOCK and O_NOCTTY as serveOpen asks), or NULL. Consumes
 * the path reference.
 */
static struct file *open_regular(struct path *path)
{
	struct inode *inode = d_inode(path->dentry);
	struct file *f = NULL;

	if (inode && S_ISREG(inode->i_mode) &&
	    !inode_permission(mnt_user_ns(path->mnt), inode, MAY_OPEN | MAY_READ)) {
		f = dentry_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_LARGEFILE, current_cred());
		if (IS_ERR(f))
			f = NULL;
	}
	path_put(path);
	return f;
}

/*
 * path_open (dirfd, dirflags, path, path_len, oflags, base: u64, inheriting: u64, fdflags, fd_ptr)
 * in serveOpen's case only (see the top comment); anything else, or any failure, is user space's.
 * The path is copied once from linear memory and checked there. The new entry: a file at the
 * lowest free wasm fd, path_open's rights (base & the directory's inheriting & FILE_RIGHTS;
 * inheriting & the directory's), fdflags 0, position 0, its host fd (close-on-exec) closed by
 * ring 0's fd_close (CLOSE_HOST: a server that never leaves ring 0 must not pile up files).
 */
int kwasm_path_open(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a)
{
	struct kwasm_wfd *d = kwasm_wasi_fd(w, (u32)a[0]), *e;
	u32 dirflags = a[1], len = a[3], slot;
	u64 base = a[5], inheriting = a[6], dir_inheriting;
	unsigned int lookup = LOOKUP_BENEATH | LOOKUP_NO_MAGICLINKS;
	struct file *df, *nf;
	struct path path;
	const u8 *src;
	u8 *fdp;
	char *name;
	int hfd, err;

	if (!d || d->kind != KWASM_FD_DIR || !(d->rights_base & WASI_RIGHT_PATH_OPEN) || (u32)a[4] || (u32)a[7] ||
	    (dirflags & ~WASI_LOOKUP_SYMLINK_FOLLOW) || (base & WASI_WRITE_RIGHTS) || !len || len > PATH_OPEN_MAX)
		return TO_USER;
	src = kwasm_guest(in, (u32)a[2], len);
	fdp = kwasm_guest(in, (u32)a[8], 4);
	if (!src || !fdp)
		return TO_USER;		/* EFAULT, in user space's order */
	name = kmalloc(len + 1, GFP_KERNEL);
	if (!name)
		return TO_USER;
	memcpy(name, src, len);		/* once: the guest's memory may change under us */
	name[len] = 0;
	err = TO_USER;
	if (!plain_path(name, len))
		goto out;
	dir_inheriting = d->rights_inheriting;
	df = fget(d->host_fd);
	if (!df)
		goto out;
	if (dirflags & WASI_LOOKUP_SYMLINK_FOLLOW)
		lookup |= LOOKUP_FOLLOW;
	err = vfs_path_lookup(df->f_path.dentry, df->f_path.mnt, name, lookup, &path);
	fput(df);
	if (err) {
		err = TO_USER;
		goto out;
	}
	err = TO_USER;
	nf = open_regular(&path);
	if (!nf)
		goto out;
	slot = kwasm_table_slot(w);	/* may move the table: d is not used below */
	hfd = slot < KWASM_MAX_FDS ? get_unused_fd_flags(O_CLOEXEC) : -EMFILE;
	if (hfd < 0) {
		fput(nf);		/* never installed: opening it had no effect */
		goto out;
	}
	fsnotify_open(nf);		/* as open(2) reports it */
	fd_install(hfd, nf);
	e = &w->fds[slot];
	memset(e, 0, sizeof(*e));
	e->kind = KWASM_FD_FILE;
	e->host_fd = hfd;
	e->filetype = 4;	/* REGULAR_FILE */
	e->rights_base = base & dir_inheriting & WASI_FILE_RIGHTS;
	e->rights_inheriting = inheriting & dir_inheriting;
	e->eflags = KWASM_FDE_CLOSE_HOST;
	put_unaligned_le32(slot, fdp);
	err = WASI_ESUCCESS;
out:
	kfree(name);
	return err;
}
