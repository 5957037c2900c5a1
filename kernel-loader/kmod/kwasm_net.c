// SPDX-License-Identifier: GPL-2.0
/*
 * kwasm.ko: sockets and poll_oneoff in ring 0, on the instance's mirrored fd table
 * (kwasm_wasi.c), answering as jit/wasi/sock.ts and poll.ts do in user mode, so a wasm server's
 * steady state (accept, recv/read, send/write, poll, close) never leaves the kernel.
 *
 * Our sockets are non-blocking on the host, as user mode makes them; a guest fd in blocking mode
 * waits here in one primitive (kwait_*), a NONBLOCK one gets EAGAIN. Waiting is on the sockets'
 * own wait queues through vfs_poll (as poll(2) does), with our own wake function that puts the
 * woken entry on a ready list: a wake-up re-polls only the entries that were woken, never all
 * of them, so 1,000 idle connections cost nothing per wake-up. Registration is per call (O(n)
 * for n subscriptions, which poll_oneoff's n-entry array costs anyway); an instance-owned epoll
 * would keep registrations across calls but needs do_epoll_ctl (not exported) or a second
 * implementation of epoll's lifetime rules, and would still read the n subscriptions each call.
 * Every wait is TASK_INTERRUPTIBLE and ends at the invoke's deadline: a fatal signal or the
 * deadline ends it at once (run_until_exit then traps "interrupted"), another signal hands the
 * call, nothing done yet, to user space (the ioctl returns, the handler runs, jit/wasi does the
 * call again, as a blocked syscall is restarted). Nothing spins: without a wake-up the task
 * sleeps until the earliest clock or the deadline.
 *
 * Only TCP sockets and pipes (and files/directories, always ready) are polled here; any other
 * fd in a poll (a tty, a character device, a UNIX socket), or an fd the table does not hold,
 * sends the whole call to user space before anything happened. Socket errors are translated here, never retried in user space: a pending socket
 * error is consumed by the call that reports it.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uio.h>
#include <linux/socket.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/hrtimer.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/fdtable.h>
#include <linux/pipe_fs_i.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <asm/unaligned.h>

#include "kwasm_ioctl.h"
#include "kwasm_internal.h"
#include "kwasm_wasi.h"

/* jit/wasi/sys.ts RECV_CHUNK: a peek looks at most this far */
#define RECV_PEEK_MAX (1u << 20)
#define RIFLAGS_RECV_PEEK 1u
#define RIFLAGS_RECV_WAITALL 2u
#define EVENTRW_HANGUP 1

/* ---- the wait primitive ------------------------------------------------------------------------ */

struct kwait_set;
struct kwait;

/* Our entry on one of a file's wait queues (a pipe's poll uses two: readers' and writers'). */
struct kwait_q {
	wait_queue_entry_t wq;
	wait_queue_head_t *head;	/* NULL: not registered */
	struct kwait *k;
};
#define KWAIT_QUEUES 2

/* One file waited for: our entries on its wait queues, and its place on the set's ready list. */
struct kwait {
	struct kwait_q q[KWAIT_QUEUES];
	struct kwait_set *set;
	struct file *file;		/* the caller's reference */
	__poll_t events;		/* EPOLLIN or EPOLLOUT; ERR and HUP always count */
	__poll_t revents;
	struct list_head ready;		/* on set->ready (or being re-polled) once woken */
};

struct kwait_set {
	spinlock_t lock;		/* ready, woken; taken from wake functions (any context) */
	struct list_head ready;
	bool woken;
	bool overflow;			/* a file wanted more than KWAIT_QUEUES wait queues: not ours to wait on */
	struct task_struct *task;
	struct kwait *cur;		/* the entry vfs_poll is registering */
	poll_table pt;
};

enum { KW_TIMEOUT, KW_READY, KW_SIGNAL, KW_STOP };

static int kwait_wake(wait_queue_entry_t *wq, unsigned int mode, int sync, void *key)
{
	struct kwait *k = container_of(wq, struct kwait_q, wq)->k;
	struct kwait_set *s = k->set;
	__poll_t m = key_to_poll(key);
	unsigned long flags;

	if (m && !(m & (k->events | EPOLLERR | EPOLLHUP)))
		return 0;	/* e.g. a writer woken while we wait to read */
	spin_lock_irqsave(&s->lock, flags);
	if (list_empty(&k->ready))
		list_add_tail(&k->ready, &s->ready);
	s->woken = true;
	spin_unlock_irqrestore(&s->lock, flags);
	wake_up_process(s->task);
	return 0;
}

/* vfs_poll's queue proc: up to KWAIT_QUEUES wait queues per file (a socket has one, a pipe two). */
static void kwait_queue(struct file *f, wait_queue_head_t *head, poll_table *pt)
{
	struct kwait_set *s = container_of(pt, struct kwait_set, pt);
	struct kwait *k = s->cur;
	struct kwait_q *q;

	if (!k || k->q[KWAIT_QUEUES - 1].head) {
		s->overflow = true;
		return;
	}
	q = &k->q[k->q[0].head ? 1 : 0];
	init_waitqueue_func_entry(&q->wq, kwait_wake);
	q->k = k;
	q->head = head;
	add_wait_queue(head, &q->wq);
}

static void kwait_set_init(struct kwait_set *s)
{
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->ready);
	s->woken = false;
	s->overflow = false;
	s->task = current;
	s->cur = NULL;
	init_poll_funcptr(&s->pt, kwait_queue);
}

static void kwait_init(struct kwait_set *s, struct kwait *k, struct file *f, __poll_t events)
{
	int i;

	for (i = 0; i < KWAIT_QUEUES; i++)
		k->q[i].head = NULL;
	k->set = s;
	k->file = f;
	k->events = events;
	k->revents = 0;
	INIT_LIST_HEAD(&k->ready);
}

/* The file's ready mask (events, ERR, HUP); registers on its wait queue when `reg`. */
static __poll_t kwait_poll(struct kwait_set *s, struct kwait *k, bool reg)
{
	__poll_t m;

	s->cur = k;
	s->pt._key = k->events | EPOLLERR | EPOLLHUP;
	m = vfs_poll(k->file, reg ? &s->pt : NULL);
	s->cur = NULL;
	return m & (k->events | EPOLLERR | EPOLLHUP);
}

static void kwait_unregister(struct kwait *k)
{
	int i;

	for (i = 0; i < KWAIT_QUEUES; i++) {
		if (k->q[i].head)
			remove_wait_queue(k->q[i].head, &k->q[i].wq);	/* after this, no wake function of k runs */
		k->q[i].head = NULL;
	}
}

/*
 * Sleeps until a registered entry is woken and re-polls as ready (KW_READY, its revents set),
 * `until` (absolute, monotonic; KTIME_MAX: none) passes (KW_TIMEOUT), a signal other than a
 * fatal one is pending (KW_SIGNAL) or the invoke must end (KW_STOP: a fatal signal, or strictly
 * past `deadline`, as run_until_exit tests it). Only woken entries are polled again.
 */
static int kwait_wait(struct kwait_set *s, ktime_t until, ktime_t deadline)
{
	ktime_t stop = deadline == KTIME_MAX ? KTIME_MAX : ktime_add_ns(deadline, 1);

	for (;;) {
		LIST_HEAD(woken);
		bool any = false;

		set_current_state(TASK_INTERRUPTIBLE);
		if (!READ_ONCE(s->woken)) {
			ktime_t now = ktime_get(), end = min(until, stop);

			if (fatal_signal_pending(current) || ktime_after(now, deadline)) {
				__set_current_state(TASK_RUNNING);
				return KW_STOP;
			}
			if (signal_pending(current)) {
				__set_current_state(TASK_RUNNING);
				return KW_SIGNAL;
			}
			if (!ktime_before(now, until)) {
				__set_current_state(TASK_RUNNING);
				return KW_TIMEOUT;
			}
			schedule_hrtimeout_range(&end, current->timer_slack_ns, HRTIMER_MODE_ABS);
			continue;
		}
		__set_current_state(TASK_RUNNING);
		spin_lock_irq(&s->lock);
		list_splice_init(&s->ready, &woken);
		s->woken = false;
		spin_unlock_irq(&s->lock);
		while (!list_empty(&woken)) {
			struct kwait *k;

			/* under the lock: a wake function tests list_empty(&k->ready) */
			spin_lock_irq(&s->lock);
			k = list_first_entry(&woken, struct kwait, ready);
			list_del_init(&k->ready);
			spin_unlock_irq(&s->lock);
			k->revents = kwait_poll(s, k, false);
			any |= k->revents != 0;
		}
		if (any)
			return KW_READY;
	}
}

/* One blocking socket call's wait for `events` on f (the caller holds f). */
static int kwait_one(struct file *f, __poll_t events, ktime_t deadline)
{
	struct kwait_set s;
	struct kwait k;
	int r;

	kwait_set_init(&s);
	kwait_init(&s, &k, f, events);
	if (kwait_poll(&s, &k, true))
		r = KW_READY;
	else if (s.overflow || !k.q[0].head)
		r = KW_SIGNAL;	/* nothing to wait on here: user space waits instead */
	else
		r = kwait_wait(&s, KTIME_MAX, deadline);
	kwait_unregister(&k);
	return r;
}

/* ---- closing a host socket ------------------------------------------------------------------- */

/*
 * close(2) releases a file through task work, which runs when the task returns to user space;
 * a server that never leaves the ioctl would keep every closed connection open (no FIN to the
 * client, the socket's memory held) and every closed file held until the invoke ends. So close(2)'s
 * own part (filp_close: ->flush, POSIX locks) runs here on an extra reference, and the last
 * reference is dropped by a worker thread (__fput_sync is for kernel threads): released at once.
 */
static struct workqueue_struct *close_wq;

struct deferred_fput {
	struct work_struct work;
	struct file *file;
};

static void deferred_fput_work(struct work_struct *work)
{
	struct deferred_fput *d = container_of(work, struct deferred_fput, work);

	__fput_sync(d->file);
	kfree(d);
}

void kwasm_close_host(u32 fd)
{
	struct file *f = close_fd_get_file(fd);
	struct deferred_fput *d;

	if (!f)
		return;
	d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (d)
		get_file(f);	/* filp_close's fput is then not the last */
	filp_close(f, current->files);	/* without d: released when the ioctl returns */
	if (!d)
		return;
	INIT_WORK(&d->work, deferred_fput_work);
	d->file = f;
	queue_work(close_wq, &d->work);
}

int kwasm_net_init(void)
{
	close_wq = alloc_workqueue("kwasm_close", WQ_UNBOUND, 0);
	return close_wq ? 0 : -ENOMEM;
}

void kwasm_net_exit(void)
{
	destroy_workqueue(close_wq);	/* drains: no work item outlives the module */
}

/* ---- sockets ----------------------------------------------------------------------------------- */

/* The entry's host socket, with a reference on its file in *fp; NULL (user space answers) if none. */
static struct socket *entry_socket(const struct kwasm_wfd *e, struct file **fp)
{
	struct file *f = fget(e->host_fd);
	struct socket *sock;

	if (!f)
		return NULL;
	sock = sock_from_file(f);
	if (!sock || !sock->sk) {
		fput(f);
		return NULL;
	}
	*fp = f;
	return sock;
}

static bool is_tcp(const struct sock *sk)
{
	return (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) && sk->sk_type == SOCK_STREAM &&
	       sk->sk_protocol == IPPROTO_TCP;
}

/* sock.ts socket(): a socket filetype (else NOTSOCK), then `rights` (NOTCAPABLE). */
static int sock_check(const struct kwasm_wfd *e, u64 rights)
{
	if (e->filetype != WASI_FILETYPE_SOCKET_STREAM && e->filetype != WASI_FILETYPE_SOCKET_DGRAM)
		return WASI_ENOTSOCK;
	return (e->rights_base & rights) == rights ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
}

/*
 * recv (riflags: RECV_PEEK, RECV_WAITALL) or send on a socket entry over checked iovecs, as
 * jit/wasi's stream path (io.ts streamOp, writeAll, readOnce) on our sockets: always
 * MSG_DONTWAIT; "would block" with nothing moved is EAGAIN for a NONBLOCK guest fd, else a
 * wait and again. A send goes on until all is sent (a NONBLOCK fd stops short); a recv is one
 * call (WAITALL: until full or the end of the stream); a peek looks at the first non-empty
 * buffer, at most RECV_CHUNK. At most MAX_RW_COUNT bytes. MSG_NOSIGNAL: Node ignores SIGPIPE,
 * so a send to a reset connection is EPIPE in user mode too, never a signal.
 */
int kwasm_sock_rw(struct kwasm_instance *in, struct kwasm_wfd *e, const struct wasi_iov *iov, u32 n, bool write,
		  u32 riflags, u32 *total, ktime_t deadline)
{
	bool peek = !write && (riflags & RIFLAGS_RECV_PEEK), nonblock = e->flags & WASI_FDFLAG_NONBLOCK;
	int msgf = MSG_DONTWAIT | MSG_NOSIGNAL | (peek ? MSG_PEEK : 0);
	size_t len = 0, done = 0;
	struct socket *sock;
	struct kvec *kv;
	struct file *f;
	u32 i, nk = 0;
	int err = WASI_ESUCCESS;

	*total = 0;
	kv = kmalloc_array(max(n, 1u), sizeof(*kv), GFP_KERNEL);
	if (!kv)
		return TO_USER;
	for (i = 0; i < n && len < MAX_RW_COUNT && !(peek && nk); i++) {
		size_t l = min_t(size_t, iov[i].len, MAX_RW_COUNT - len);

		if (peek)
			l = min_t(size_t, l, RECV_PEEK_MAX);
		if (!l)
			continue;
		kv[nk].iov_base = in->mem + iov[i].buf;
		kv[nk].iov_len = l;
		nk++;
		len += l;
	}
	if (!len) {
		kfree(kv);
		return WASI_ESUCCESS;	/* nothing to move: the socket is not touched, as in user mode */
	}
	sock = entry_socket(e, &f);
	if (!sock) {
		kfree(kv);
		return TO_USER;
	}
	for (;;) {
		struct msghdr msg = { .msg_flags = msgf };
		int w;
		long r;

		iov_iter_kvec(&msg.msg_iter, write ? WRITE : READ, kv, nk, len);
		iov_iter_advance(&msg.msg_iter, done);
		r = write ? sock_sendmsg(sock, &msg) : sock_recvmsg(sock, &msg, msgf);
		if (r > 0) {
			done += r;
			if (done < len && (write || ((riflags & RIFLAGS_RECV_WAITALL) && !peek)))
				continue;	/* the rest: more now, or EAGAIN below */
			break;
		}
		if (r == 0)
			break;		/* the end of the stream (a send of 0 bytes cannot happen: len > 0) */
		if (r != -EAGAIN) {
			err = kwasm_wasi_errno(r);	/* as io.ts throws: a count moved before is lost */
			break;
		}
		if (nonblock || fatal_signal_pending(current)) {
			if (!done)
				err = WASI_EAGAIN;
			break;		/* a short count */
		}
		w = kwait_one(f, write ? EPOLLOUT : EPOLLIN, deadline);
		if (w == KW_READY)
			continue;
		if (!done)	/* a signal: user space does the call; the end of the invoke: never seen */
			err = w == KW_STOP ? WASI_EINTR : TO_USER;
		break;
	}
	fput(f);
	kfree(kv);
	*total = done;
	return err;
}

/* sock_recv (fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr), as sock.ts. */
int kwasm_sock_recv(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, (u32)a[0]);
	u32 riflags = a[3], total = 0;
	struct wasi_iov *iov;
	u8 *dl, *fl;
	int err;

	if (!e)
		return TO_USER;
	err = sock_check(e, WASI_RIGHT_FD_READ);
	if (err)
		return err;
	if (riflags & ~(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL))
		return WASI_EINVAL;
	err = kwasm_read_iovs(in, a[1], (u32)a[2], &iov);
	if (err)
		return err;
	dl = kwasm_guest(in, (u32)a[4], 4);
	fl = kwasm_guest(in, (u32)a[5], 2);
	err = dl && fl ? kwasm_sock_rw(in, e, iov, (u32)a[2], false, riflags, &total, deadline) : WASI_EFAULT;
	kfree(iov);
	if (err)
		return err;
	put_unaligned_le32(total, dl);
	put_unaligned_le16(0, fl);	/* a stream never truncates a message */
	return WASI_ESUCCESS;
}

/* sock_send (fd, si_data, si_data_len, si_flags, so_datalen_ptr), as sock.ts (si_flags unused). */
int kwasm_sock_send(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, (u32)a[0]);
	struct wasi_iov *iov;
	u32 total = 0;
	u8 *dl;
	int err;

	if (!e)
		return TO_USER;
	err = sock_check(e, WASI_RIGHT_FD_WRITE);
	if (err)
		return err;
	dl = kwasm_guest(in, (u32)a[4], 4);
	if (!dl)
		return WASI_EFAULT;
	err = kwasm_read_iovs(in, a[1], (u32)a[2], &iov);
	if (err)
		return err;
	err = kwasm_sock_rw(in, e, iov, (u32)a[2], true, 0, &total, deadline);
	kfree(iov);
	if (err)
		return err;
	put_unaligned_le32(total, dl);
	return WASI_ESUCCESS;
}

/* sock_shutdown (fd, how): SDFLAGS_RD (1), WR (2) or both; anything else EINVAL, as sock.ts. */
int kwasm_sock_shutdown(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, (u32)a[0]);
	u32 how = a[1];
	struct socket *sock;
	struct file *f;
	int err;

	if (!e)
		return TO_USER;
	err = sock_check(e, 0);
	if (err)
		return err;
	if (!how || how & ~3u)
		return WASI_EINVAL;
	sock = entry_socket(e, &f);
	if (!sock)
		return TO_USER;
	err = kernel_sock_shutdown(sock, how == 3 ? SHUT_RDWR : how == 1 ? SHUT_RD : SHUT_WR);
	fput(f);
	return err ? kwasm_wasi_errno(err) : WASI_ESUCCESS;
}

/* The lowest free wasm fd (as FdTable.add), the table grown to hold it; KWASM_MAX_FDS if none. */
u32 kwasm_table_slot(struct kwasm_wasi *w)
{
	struct kwasm_wfd *fds;
	u32 fd, n;

	for (fd = 0; fd < w->nfds; fd++)
		if (!w->fds[fd].kind)
			return fd;
	if (fd >= KWASM_MAX_FDS)
		return KWASM_MAX_FDS;
	n = min(max(2 * w->nfds, 16u), KWASM_MAX_FDS);
	fds = kvcalloc(n, sizeof(*fds), GFP_KERNEL);
	if (!fds)
		return KWASM_MAX_FDS;
	memcpy(fds, w->fds, w->nfds * sizeof(*fds));
	kvfree(w->fds);
	w->fds = fds;
	w->nfds = n;
	return fd;
}

/*
 * sock_accept (fd, flags, fd_ptr), as sock.ts: a socket filetype (NOTSOCK), flags NONBLOCK only
 * (INVAL), fd_ptr (EFAULT), then the connection, waited for unless the listener is NONBLOCK
 * (EAGAIN). The new socket is a host fd of the calling process (non-blocking, close-on-exec,
 * TCP_NODELAY as sys.ts accept gives it) and an entry of the table at the lowest free wasm fd;
 * user space adopts both at its next pull. The host fd is reserved before accepting, so a full
 * fd table (EMFILE) leaves the connection queued for user space's own accept4, as in user mode.
 */
int kwasm_sock_accept(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline)
{
	struct kwasm_wfd *e = kwasm_wasi_fd(w, (u32)a[0]);
	u32 flags = a[1], slot;
	struct socket *sock, *ns;
	struct file *f, *nf;
	bool nonblock;
	int err, hfd;
	u8 *p;

	if (!e)
		return TO_USER;
	err = sock_check(e, 0);
	if (err)
		return err;
	if (flags & ~WASI_FDFLAG_NONBLOCK)
		return WASI_EINVAL;
	p = kwasm_guest(in, (u32)a[2], 4);
	if (!p)
		return WASI_EFAULT;
	nonblock = e->flags & WASI_FDFLAG_NONBLOCK;
	slot = kwasm_table_slot(w);	/* may move the table: e is not used below */
	if (slot >= KWASM_MAX_FDS)
		return TO_USER;
	sock = entry_socket(kwasm_wasi_fd(w, (u32)a[0]), &f);
	if (!sock)
		return TO_USER;
	hfd = get_unused_fd_flags(O_CLOEXEC);
	if (hfd < 0) {
		fput(f);
		return TO_USER;
	}
	for (;;) {
		int r;

		err = kernel_accept(sock, &ns, O_NONBLOCK);
		if (err != -EAGAIN || nonblock || fatal_signal_pending(current))
			break;
		r = kwait_one(f, EPOLLIN, deadline);
		if (r != KW_READY) {
			err = r == KW_STOP ? -EINTR : TO_USER;
			break;
		}
	}
	fput(f);
	if (err) {
		put_unused_fd(hfd);
		return err == TO_USER ? TO_USER : kwasm_wasi_errno(err);
	}
	if (is_tcp(ns->sk))
		tcp_sock_set_nodelay(ns->sk);
	nf = sock_alloc_file(ns, O_NONBLOCK, NULL);	/* releases ns on failure */
	if (IS_ERR(nf)) {
		put_unused_fd(hfd);
		return kwasm_wasi_errno(PTR_ERR(nf));
	}
	fd_install(hfd, nf);
	e = &w->fds[slot];
	memset(e, 0, sizeof(*e));
	e->kind = KWASM_FD_SOCKET;
	e->host_fd = hfd;
	e->filetype = WASI_FILETYPE_SOCKET_STREAM;
	e->flags = flags;
	e->rights_base = WASI_SOCKET_RIGHTS;
	e->rights_inheriting = WASI_SOCKET_RIGHTS;
	e->eflags = KWASM_FDE_CLOSE_HOST;
	put_unaligned_le32(slot, p);
	return WASI_ESUCCESS;
}

/* ---- poll_oneoff ------------------------------------------------------------------------------- */

enum { P_READY = 1, P_WAIT, P_CLOCK };

struct psub {
	struct kwait k;		/* P_WAIT */
	u64 userdata, due, nbytes;
	u16 error, flags;
	u8 type, state;
};

static void put_event(u8 *o, const struct psub *p, u8 type, u16 error, u64 nbytes, u16 flags)
{
	memset(o, 0, 32);
	put_unaligned_le64(p->userdata, o);
	put_unaligned_le16(error, o + 8);
	o[10] = type;
	put_unaligned_le64(nbytes, o + 16);
	put_unaligned_le16(flags, o + 24);
}

/* poll.ts readable(): FIONREAD's answer for a TCP socket (0 for a listener, as its EINVAL is 0 there). */
static u64 tcp_readable(struct sock *sk)
{
	bool slow;
	u64 n;

	if (READ_ONCE(sk->sk_state) == TCP_LISTEN)
		return 0;
	slow = lock_sock_fast(sk);
	n = tcp_inq(sk);
	unlock_sock_fast(sk, slow);
	return n;
}

/*
 * A stream entry's host pipe or FIFO (stdin from a pipe, say), NULL for any other stream (a tty,
 * a character device: user space polls those). An open FIFO's inode holds its pipe while we hold
 * the file; private_data is the same pipe for every file pipe(2) or a FIFO's open made.
 */
static struct pipe_inode_info *fifo_pipe(struct file *f)
{
	struct inode *inode = file_inode(f);

	if (!S_ISFIFO(inode->i_mode) || !inode->i_pipe || f->private_data != inode->i_pipe)
		return NULL;
	return inode->i_pipe;
}

/* The bytes a read would get now, as FIONREAD (poll.ts readable()) answers for a TCP socket or a pipe. */
static u64 readable_now(struct file *f)
{
	struct pipe_inode_info *pipe;
	unsigned int head, tail, mask;
	u64 n = 0;

	if (sock_from_file(f))
		return tcp_readable(sock_from_file(f)->sk);
	pipe = fifo_pipe(f);
	if (!pipe)
		return 0;
	mutex_lock(&pipe->mutex);	/* as pipe_ioctl's FIONREAD: the ring is stable under it */
	head = pipe->head;
	tail = pipe->tail;
	mask = pipe->ring_size - 1;
	for (; tail != head; tail++)
		n += pipe->bufs[tail & mask].len;
	mutex_unlock(&pipe->mutex);
	return n;
}

/* The host file of a socket or stream entry ring 0 can wait for (a TCP socket, a pipe), held; else NULL. */
static struct file *waitable_file(const struct kwasm_wfd *e)
{
	struct file *f;
	struct socket *sock;

	if (e->kind == KWASM_FD_SOCKET) {
		sock = entry_socket(e, &f);
		if (!sock)
			return NULL;
		if (is_tcp(sock->sk))
			return f;
	} else {
		f = fget(e->host_fd);
		if (!f)
			return NULL;
		if (!sock_from_file(f) && fifo_pipe(f))
			return f;
	}
	fput(f);
	return NULL;
}

/*
 * The subscriptions ring 0 can answer: every fd one the table holds and, unless the call fails
 * NOTCAPABLE for it, a file, a directory, a socket or a stream entry (whose host file must then
 * be a TCP socket or a pipe: checked when it is polled). Anything else goes to user space before
 * anything happens.
 */
static bool poll_servable(struct kwasm_wasi *w, const u8 *sub, u32 nsubs)
{
	u32 i;

	for (i = 0; i < nsubs; i++) {
		const u8 *q = sub + 48 * i;
		const struct kwasm_wfd *e;

		if (q[8] != 1 && q[8] != 2)
			continue;
		e = kwasm_wasi_fd(w, get_unaligned_le32(q + 16));
		if (!e)
			return false;
		if (!(e->rights_base & WASI_RIGHT_POLL_FD_READWRITE) || e->kind == KWASM_FD_FILE ||
		    e->kind == KWASM_FD_DIR || e->kind == KWASM_FD_SOCKET || e->kind == KWASM_FD_STREAM)
			continue;
		return false;
	}
	return true;
}

/* One subscription read into p; false if user space must answer the call. */
static bool poll_sub(struct kwasm_wasi *w, struct kwait_set *s, struct psub *p, const u8 *q, u64 start,
		     bool reg)
{
	p->userdata = get_unaligned_le64(q);
	p->type = q[8];
	p->state = P_READY;
	if (p->type == 0) {	/* clock */
		u64 timeout = get_unaligned_le64(q + 24), wait;
		s64 t = kwasm_clock_now(get_unaligned_le32(q + 16));

		if (t < 0) {
			p->error = WASI_EINVAL;
			return true;
		}
		wait = get_unaligned_le16(q + 40) & 1 ? (timeout > (u64)t ? timeout - t : 0) : timeout;
		if (check_add_overflow(start, wait, &p->due))
			p->due = U64_MAX;
		p->state = P_CLOCK;
	} else if (p->type == 1 || p->type == 2) {
		struct kwasm_wfd *e = kwasm_wasi_fd(w, get_unaligned_le32(q + 16));
		struct file *f;

		if (!(e->rights_base & WASI_RIGHT_POLL_FD_READWRITE)) {
			p->error = WASI_ENOTCAPABLE;
		} else if (e->kind == KWASM_FD_FILE || e->kind == KWASM_FD_DIR) {
			/* a file or directory: always ready; a file's read says how much is left */
			if (p->type == 1 && e->kind == KWASM_FD_FILE) {
				f = fget(e->host_fd);
				if (!f)
					return false;
				p->nbytes = max_t(s64, i_size_read(file_inode(f)) - (s64)e->position, 0);
				fput(f);
			}
		} else {
			f = waitable_file(e);
			if (!f)
				return false;
			kwait_init(s, &p->k, f, p->type == 1 ? EPOLLIN : EPOLLOUT);
			p->state = P_WAIT;
			p->k.revents = kwait_poll(s, &p->k, reg);
			if (s->overflow)
				return false;
		}
	} else {
		p->error = WASI_EINVAL;
	}
	return true;
}

/*
 * poll_oneoff (in, out, nsubs, nevents_out), as jit/wasi/poll.ts: EINVAL for 0 or more than
 * MAX_SUBSCRIPTIONS, EFAULT for either array, then per subscription an event now (an unknown
 * clock or tag: INVAL, a missing right: NOTCAPABLE, a file or directory: ready), a wait (a
 * socket) or a deadline (a clock, on the monotonic clock from the call's start). With nothing
 * ready, sleep until a socket is ready or the first clock is due. Events in poll.ts's order:
 * those of the first kind, then ready sockets (HANGUP on a hang-up, a read's bytes
 * waiting), then due clocks, each in subscription order.
 */
int kwasm_poll_oneoff(struct kwasm_instance *in, struct kwasm_wasi *w, const u64 *a, ktime_t deadline)
{
	u32 nsubs = a[2], i, nready = 0;
	u8 *sub, *out, *np;
	struct kwait_set s;
	struct psub *ps;
	u64 start, first = U64_MAX, now;
	bool any = false, served = true;
	int err = WASI_ESUCCESS;

	if (!nsubs || nsubs > WASI_MAX_SUBSCRIPTIONS)
		return WASI_EINVAL;
	sub = kwasm_guest(in, (u32)a[0], (u64)nsubs * 48);
	out = kwasm_guest(in, (u32)a[1], (u64)nsubs * 32);
	if (!sub || !out)
		return WASI_EFAULT;
	if (!poll_servable(w, sub, nsubs))
		return TO_USER;
	ps = kvcalloc(nsubs, sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return TO_USER;
	kwait_set_init(&s);
	start = ktime_get_ns();
	/* every subscription is read before any event is written: the arrays may overlap */
	for (i = 0; i < nsubs && served; i++) {
		/* once something is ready nothing sleeps: the rest are only looked at, as poll(2) */
		served = poll_sub(w, &s, &ps[i], sub + 48 * i, start, !any);
		any |= ps[i].state == P_READY || (ps[i].state == P_WAIT && ps[i].k.revents);
		if (ps[i].state == P_CLOCK)
			first = min(first, ps[i].due);
	}
	if (served && !any) {
		ktime_t until = first > (u64)KTIME_MAX ? KTIME_MAX : (ktime_t)first;

		if (kwait_wait(&s, until, deadline) == KW_SIGNAL)
			served = false;	/* user space polls after the handler ran */
		/* KW_STOP: the events below are never seen (run_until_exit traps "interrupted") */
	}
	if (served) {
		now = ktime_get_ns();
		for (i = 0; i < nsubs; i++)
			if (ps[i].state == P_READY)
				put_event(out + 32 * nready++, &ps[i], ps[i].type, ps[i].error, ps[i].nbytes, 0);
		for (i = 0; i < nsubs; i++) {
			__poll_t r = ps[i].k.revents;

			if (ps[i].state != P_WAIT || !r)
				continue;
			put_event(out + 32 * nready++, &ps[i], ps[i].type, WASI_ESUCCESS,
				  ps[i].type == 1 ? readable_now(ps[i].k.file) : 0,
				  r & EPOLLHUP ? EVENTRW_HANGUP : 0);
		}
		for (i = 0; i < nsubs; i++)
			if (ps[i].state == P_CLOCK && ps[i].due <= now)
				put_event(out + 32 * nready++, &ps[i], 0, WASI_ESUCCESS, 0, 0);
		np = kwasm_guest(in, (u32)a[3], 4);
		if (np)
			put_unaligned_le32(nready, np);
		else
			err = WASI_EFAULT;
	}
	for (i = 0; i < nsubs; i++) {
		if (ps[i].state != P_WAIT)
			continue;
		kwait_unregister(&ps[i].k);
		fput(ps[i].k.file);
	}
	kvfree(ps);
	return served ? err : TO_USER;
}
