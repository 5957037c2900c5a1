/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the in-kernel WASI files share (kwasm_wasi.c: the fd table, files, args, clocks, the call
 * dispatch; kwasm_net.c: sockets and poll_oneoff's waits). Not an ABI.
 */
#ifndef KWASM_WASI_H
#define KWASM_WASI_H

#include <linux/types.h>
#include <linux/ktime.h>
#include "kwasm_internal.h"

#define WASI_ESUCCESS 0
#define WASI_EAGAIN 6
#define WASI_EBADF 8
#define WASI_EFAULT 21
#define WASI_EFBIG 22
#define WASI_EINTR 27
#define WASI_EINVAL 28
#define WASI_EIO 29
#define WASI_ENOTSOCK 57
#define WASI_ESPIPE 70
#define WASI_ENOTCAPABLE 76
/* jit/wasi/layout.ts STREAM_RIGHTS (FILE_RIGHTS without FD_SEEK/FD_TELL): what user mode gives stdio */
#define WASI_STREAM_RIGHTS 0x8e001dbull
/* jit/wasi/layout.ts SOCKET_RIGHTS: FD_READ, FD_WRITE, FD_FDSTAT_SET_FLAGS, FD_FILESTAT_GET,
 * POLL_FD_READWRITE, SOCK_SHUTDOWN, SOCK_ACCEPT: what user mode gives an accepted socket */
#define WASI_SOCKET_RIGHTS 0x3820004aull
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_FDFLAG_APPEND 1
#define WASI_FDFLAG_NONBLOCK 4
#define WASI_FILETYPE_UNKNOWN 0
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_FILETYPE_SOCKET_DGRAM 5
#define WASI_FILETYPE_SOCKET_STREAM 6
#define WASI_IOV_MAX 1024
/* jit/wasi/poll.ts MAX_SUBSCRIPTIONS: more is EINVAL before anything is allocated */
#define WASI_MAX_SUBSCRIPTIONS 65536
/* a serve function's answer meaning "not here: exit to user space" (WASI errnos are < 77) */
#define TO_USER (-1)

struct kwasm_wfd {
	u64 rights_base, rights_inheriting;
	u64 position;		/* files; <= S64_MAX */
	u32 host_fd;
	u16 flags;
	u8 filetype;
	u8 kind;		/* 0: no entry, else KWASM_FD_* */
	u8 eflags;		/* KWASM_FDE_* */
};

struct kwasm_wasi {
	struct kwasm_wfd *fds;	/* indexed by wasm fd */
	u32 nfds;		/* entries of fds (<= KWASM_MAX_FDS) */
	bool have_args;
	u32 argc, args_len, envc, env_len;
	u8 *args, *env;		/* strings back to back, NUL-terminated */
	u64 served;		/* WASI calls answered here (GET_FDS reports it) */
};

struct wasi_iov {
	u32 buf, len;
};

/* kwasm_wasi.c */
u8 *kwasm_guest(struct kwasm_instance *in, u64 ptr, u64 len);
struct kwasm_wfd *kwasm_wasi_fd(struct kwasm_wasi *w, u32 fd);
int kwasm_wasi_errno(long err);
int kwasm_read_iovs(struct kwasm_instance *in, u32 iovs, u32 n, struct wasi_iov **out);
s64 kwasm_clock_now(u32 id);
u8 kwasm_filetype(umode_t mode);

/* kwasm_path.c: fd_filestat_get on any entry, path_open's read-only case; a WASI errno or TO_USER */
int kwasm_filestat_get(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a);
int kwasm_path_open(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a);

/* kwasm_net.c: socket entries (KWASM_FD_SOCKET), each returns a WASI errno or TO_USER */
int kwasm_sock_rw(struct kwasm_instance *in, struct kwasm_wfd *e, const struct wasi_iov *iov, u32 n, bool write,
		  u32 riflags, u32 *total, ktime_t deadline);
int kwasm_sock_accept(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline);
int kwasm_sock_recv(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline);
int kwasm_sock_send(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline);
int kwasm_sock_shutdown(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a);
/* kwasm_net.c: close(2) of a host fd from inside an invoke (the file released at once) */
void kwasm_close_host(u32 fd);
/* kwasm_net.c: the lowest free wasm fd, the table grown to hold it (may move w->fds); KWASM_MAX_FDS if none */
u32 kwasm_table_slot(struct kwasm_wasi *w);
/* kwasm_net.c: poll_oneoff, clocks and fd subscriptions */
int kwasm_poll_oneoff(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline);

#endif /* KWASM_WASI_H */
