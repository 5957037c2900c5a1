// The few libc calls WASI needs that Node has no synchronous form of: ppoll (the one wait
// primitive, wait.ts) and the socket calls (sock.ts, listeners.ts), through ffi-rs.
//
// Each call is one ffi crossing (~6 us). Structs (pollfd, sockaddr_in, timespec) are built in one
// scratch mapping of native memory that grows to the largest request; its address is passed as a
// pointer. A failing call throws an Error whose `code` is the Linux errno name ("EAGAIN"), which
// errnoOf() (errno.ts) maps like any Node SystemError.
import { closeSync } from 'node:fs';
import { errnoConstants, errnoName } from '../node-binding.js';
import { defineLazily, DataType } from '../runtime/ffi.js';
import { mmapAnon, munmap, view, PROT, PAGE_SIZE } from '../runtime/libc.js';

const LIB = 'libc'; // opened by runtime/libc.ts
const I32 = DataType.I32, I64 = DataType.BigInt;
const fns = defineLazily(() => ({
  ppoll: { library: LIB, retType: I32, paramsType: [I64, I64, I64, I64], errno: true },
  socket: { library: LIB, retType: I32, paramsType: [I32, I32, I32], errno: true },
  setsockopt: { library: LIB, retType: I32, paramsType: [I32, I32, I32, I64, I32], errno: true },
  bind: { library: LIB, retType: I32, paramsType: [I32, I64, I32], errno: true },
  listen: { library: LIB, retType: I32, paramsType: [I32, I32], errno: true },
  getsockname: { library: LIB, retType: I32, paramsType: [I32, I64, I64], errno: true },
  accept4: { library: LIB, retType: I32, paramsType: [I32, I64, I64, I32], errno: true },
  recv: { library: LIB, retType: I64, paramsType: [I32, I64, I64, I32], errno: true },
  shutdown: { library: LIB, retType: I32, paramsType: [I32, I32], errno: true },
  ioctl: { library: LIB, retType: I32, paramsType: [I32, I64, I64], errno: true },
  fcntl: { library: LIB, retType: I32, paramsType: [I32, I32, I32], errno: true },
}));

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
export const MSG_PEEK = 2;
export const MSG_DONTWAIT = 0x40;
export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;
export const POLL = { IN: 0x1, PRI: 0x2, OUT: 0x4, ERR: 0x8, HUP: 0x10, NVAL: 0x20, RDHUP: 0x2000 } as const;
const FIONREAD = 0x541bn;
const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;
const POLLFD_SIZE = 8;

const EINTR = errnoConstants().EINTR;

/** A failed libc call, shaped like a Node SystemError (`code` = "EAGAIN", ...). */
export class SysError extends Error {
  readonly code: string;
  constructor(fn: string, readonly errno: number, msg: string) {
    const code = errnoName(errno) ?? 'EIO';
    super(`${fn}: ${msg} (${code})`);
    this.code = code;
  }
}

function check<T extends number | bigint>(fn: string, r: { value: T; errnoCode: number; errnoMessage: string }): T {
  if (r.value === -1 || r.value === -1n) throw new SysError(fn, r.errnoCode, r.errnoMessage);
  return r.value;
}

/** Native scratch memory for call arguments; grows (never shrinks) to the largest request. */
class Scratch {
  addr = 0n;
  // none until the first call (not an empty Buffer: Buffer's allocation functions are Node's JS,
  // which a start calling no socket or poll would compile for it)
  buf: Buffer | undefined;

  /** At least `n` bytes; the contents are not kept across a growth. */
  get(n: number): Buffer {
    if (this.buf === undefined || n > this.buf.length) {
      if (this.buf !== undefined) munmap(this.addr, BigInt(this.buf.length));
      const size = Math.ceil(Math.max(n, 1) / PAGE_SIZE) * PAGE_SIZE;
      this.addr = mmapAnon(BigInt(size), PROT.READ | PROT.WRITE);
      this.buf = view(this.addr, size);
    }
    return this.buf;
  }
}
const scratch = new Scratch();
/** Offsets in the scratch area: small fixed structs first, then the variable part (pollfds, data). */
const AT = { timespec: 0, sockaddr: 16, socklen: 32, int: 40, data: 64 } as const;

/**
 * ppoll over `fds` (events filled in; revents written back), waiting at most `timeoutNs`
 * (null: no limit). Returns the number of ready fds; EINTR is returned as 0 so the caller
 * re-checks its deadline and calls again.
 */
export function ppoll(fds: { fd: number; events: number; revents: number }[], timeoutNs: bigint | null): number {
  const b = scratch.get(AT.data + fds.length * POLLFD_SIZE);
  fds.forEach((p, i) => {
    const o = AT.data + i * POLLFD_SIZE;
    b.writeInt32LE(p.fd, o);
    b.writeInt16LE(p.events, o + 4);
    b.writeInt16LE(0, o + 6);
  });
  let tsp = 0n;
  if (timeoutNs !== null) {
    const t = timeoutNs < 0n ? 0n : timeoutNs;
    b.writeBigInt64LE(t / 1_000_000_000n, AT.timespec);
    b.writeBigInt64LE(t % 1_000_000_000n, AT.timespec + 8);
    tsp = scratch.addr + BigInt(AT.timespec);
  }
  const r = fns().ppoll([scratch.addr + BigInt(AT.data), BigInt(fds.length), tsp, 0n]);
  if (r.value === -1 && r.errnoCode === EINTR) return 0;
  const n = check('ppoll', r);
  fds.forEach((p, i) => { p.revents = b.readUInt16LE(AT.data + i * POLLFD_SIZE + 6); });
  return n;
}

/** A TCP socket listening on ip:port (non-blocking, close-on-exec, SO_REUSEADDR); returns the fd. */
export function tcpListen(ip: readonly number[], port: number, backlog: number): number {
  const fd = check('socket', fns().socket([AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0]));
  try {
    const b = scratch.get(AT.data);
    b.writeInt32LE(1, AT.int);
    check('setsockopt', fns().setsockopt([fd, SOL_SOCKET, SO_REUSEADDR, scratch.addr + BigInt(AT.int), 4]));
    b.fill(0, AT.sockaddr, AT.sockaddr + 16);
    b.writeUInt16LE(AF_INET, AT.sockaddr);
    b.writeUInt16BE(port, AT.sockaddr + 2);
    ip.forEach((x, i) => b.writeUInt8(x, AT.sockaddr + 4 + i));
    check('bind', fns().bind([fd, scratch.addr + BigInt(AT.sockaddr), 16]));
    check('listen', fns().listen([fd, backlog]));
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  return fd;
}

/** The local port a socket is bound to. */
export function localPort(fd: number): number {
  const b = scratch.get(AT.data);
  b.writeUInt32LE(16, AT.socklen);
  check('getsockname', fns().getsockname([fd, scratch.addr + BigInt(AT.sockaddr), scratch.addr + BigInt(AT.socklen)]));
  return b.readUInt16BE(AT.sockaddr + 2);
}

/**
 * accept4 (non-blocking, close-on-exec new fd); throws EAGAIN when nobody waits. The connection
 * gets TCP_NODELAY (as Node's net sockets have by default): preview 1 has no setsockopt, and with
 * Nagle a response written as head + body waits for the client's delayed ACK (~40 ms).
 */
export function accept(fd: number): number {
  const c = check('accept4', fns().accept4([fd, 0n, 0n, SOCK_NONBLOCK | SOCK_CLOEXEC]));
  const b = scratch.get(AT.data);
  b.writeInt32LE(1, AT.int);
  fns().setsockopt([c, IPPROTO_TCP, TCP_NODELAY, scratch.addr + BigInt(AT.int), 4]); // best effort
  return c;
}

/** Most bytes recv() copies through scratch memory per call (a larger request is a short recv). */
const RECV_CHUNK = 1 << 20;

/**
 * recv(2) with MSG_* flags, for what read(2) cannot do (MSG_PEEK): at most RECV_CHUNK bytes land
 * in scratch memory and are copied once into `into`. Returns the byte count.
 */
export function recv(fd: number, into: Uint8Array, flags: number): number {
  const len = Math.min(into.length, RECV_CHUNK);
  const b = scratch.get(AT.data + len);
  const r = fns().recv([fd, scratch.addr + BigInt(AT.data), BigInt(len), flags]) as { value: bigint; errnoCode: number; errnoMessage: string };
  const n = Number(check('recv', r));
  into.set(b.subarray(AT.data, AT.data + n));
  return n;
}

export function shutdown(fd: number, how: number): void {
  check('shutdown', fns().shutdown([fd, how]));
}

/** Bytes that a read would return at once (FIONREAD), for poll_oneoff's nbytes. */
export function bytesReadable(fd: number): number {
  const b = scratch.get(AT.data);
  b.writeInt32LE(0, AT.int);
  check('ioctl', fns().ioctl([fd, FIONREAD, scratch.addr + BigInt(AT.int)]));
  return b.readInt32LE(AT.int);
}

export function setNonBlocking(fd: number, on: boolean): void {
  const fl = check('fcntl', fns().fcntl([fd, F_GETFL, 0]));
  check('fcntl', fns().fcntl([fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK]));
}

function closeFd(fd: number): void {
  try { closeSync(fd); } catch { /* already closed */ }
}
