// User-space side of /dev/kwasm: the ioctl ABI of kernel-loader/kmod/kwasm_ioctl.h over ffi-rs.
//
// Structs travel through one mmap'd scratch page per device (a native address the kernel can
// copy_from_user, viewed from JS as a zero-copy Buffer), because ffi-rs passes addresses as
// BigInt and has no "pointer to this Buffer" primitive. Offsets below mirror the C header;
// tests/kernel/ioctl-header.test.ts checks them against it.
import { open as ffiOpen, define, DataType, createExternalBuffer, type JsExternal } from '../jit/runtime/ffi.js';
import { KERNEL_HOSTCALL_EXIT_SLOTS } from '../abi/calling-convention.js';

const LIB = 'libc';
ffiOpen({ library: LIB, path: '' });
const I32 = DataType.I32, I64 = DataType.BigInt;
const libc = define({
  open: { library: LIB, retType: I32, paramsType: [DataType.String, I32], errno: true },
  close: { library: LIB, retType: I32, paramsType: [I32], errno: true },
  ioctl: { library: LIB, retType: I32, paramsType: [I32, I64, I64], errno: true },
  mmap: { library: LIB, retType: I64, paramsType: [I64, I64, I32, I32, I32, I64], errno: true },
  munmap: { library: LIB, retType: I32, paramsType: [I64, I64], errno: true },
  // memmove(p, p, 0) returns p as an External: how an address becomes a Buffer (platform facts)
  memmove: { library: LIB, retType: DataType.External, paramsType: [I64, I64, I64] },
});

interface ErrnoResult<T> { value: T; errnoCode: number; errnoMessage: string }

export const KWASM_IOCTL_VERSION = 1;
const MAGIC = 0xb7;

/** Struct sizes and field offsets, as in kwasm_ioctl.h. */
export const VERSION_STRUCT = { size: 32, version: 0, vmctxSize: 4, imageVersion: 8, maxMemPages: 12, maxImageBytes: 16, maxStackBytes: 24 } as const;
export const LOAD_STRUCT = { size: 88, version: 0, flags: 4, imagePtr: 8, imageLen: 16, memPages: 24, memMaxPages: 28, stackBytes: 32, descPtr: 40, descLen: 48, reserved: 56 } as const;
export const INVOKE_STRUCT = {
  size: 96, version: 0, flags: 4, funcIndex: 8, nslots: 12, slotsPtr: 16, timeoutNs: 24, status: 32, trapCode: 36,
  retInt: 40, retFloat: 48, trapPc: 56, trapAddr: 64, trapSignal: 72, hostIndex: 76, hostArgsPtr: 80, hostNslots: 88, memPages: 92,
} as const;
/** kwasm_ioctl.h KWASM_LOAD_MAY_YIELD */
const LOAD_MAY_YIELD = 1;
/** Slots of a host-call request (KWASM_HOSTCALL_SLOTS): the user array host_args_ptr points to. */
const HOSTCALL_SLOTS = KERNEL_HOSTCALL_EXIT_SLOTS;
export const MEM_RW_STRUCT = { size: 32, version: 0, flags: 4, offset: 8, len: 16, bufPtr: 24 } as const;
/** In-kernel WASI fd table (kwasm_ioctl.h struct kwasm_fd_entry / kwasm_fds) and argv/environ (kwasm_args). */
export const FD_ENTRY_STRUCT = {
  size: 48, fd: 0, hostFd: 4, kind: 8, filetype: 12, fdflags: 16, eflags: 20, rightsBase: 24, rightsInheriting: 32, position: 40,
} as const;
export const FDS_STRUCT = { size: 32, version: 0, flags: 4, entriesPtr: 8, count: 16, reserved: 20, served: 24 } as const;
export const ARGS_STRUCT = { size: 40, version: 0, flags: 4, argsPtr: 8, argsLen: 16, argc: 20, envPtr: 24, envLen: 32, envc: 36 } as const;
/** KWASM_FD_*: how the kernel treats a table entry. */
export const FdKindCode = { stream: 1, file: 2, dir: 3, socket: 4 } as const;
/** KWASM_FDE_* entry flags: CLOSE_HOST = fd_close in ring 0 closes the host fd too (the entry owns it). */
export const FdEntryFlag = { CLOSE_HOST: 1 } as const;
/** KWASM_MAX_FDS: wasm fds below this can be served in ring 0. */
export const MAX_KERNEL_FDS = 1024;
/** KWASM_MAX_ARGS_BYTES: per blob (argv, environ). */
export const MAX_ARGS_BYTES = 1 << 20;

const IOC = { NONE: 0, WRITE: 1, READ: 2 } as const;
/** Linux _IOC(dir, type, nr, size) for x86-64. */
export function ioc(dir: number, type: number, nr: number, size: number): bigint {
  return BigInt(((dir << 30) >>> 0) | (size << 16) | (type << 8) | nr) & 0xffffffffn;
}
export const KWASM_IOC = {
  VERSION: ioc(IOC.READ, MAGIC, 0, VERSION_STRUCT.size),
  LOAD: ioc(IOC.WRITE, MAGIC, 1, LOAD_STRUCT.size),
  INVOKE: ioc(IOC.READ | IOC.WRITE, MAGIC, 2, INVOKE_STRUCT.size),
  MEM_READ: ioc(IOC.WRITE, MAGIC, 3, MEM_RW_STRUCT.size),
  MEM_WRITE: ioc(IOC.WRITE, MAGIC, 4, MEM_RW_STRUCT.size),
  RELEASE: ioc(IOC.NONE, MAGIC, 5, 0),
  RESUME: ioc(IOC.READ | IOC.WRITE, MAGIC, 6, INVOKE_STRUCT.size),
  SET_FDS: ioc(IOC.WRITE, MAGIC, 7, FDS_STRUCT.size),
  GET_FDS: ioc(IOC.READ | IOC.WRITE, MAGIC, 8, FDS_STRUCT.size),
  SET_ARGS: ioc(IOC.WRITE, MAGIC, 11, ARGS_STRUCT.size),
} as const;
export const IOC_MAGIC = MAGIC;

// ---- KWASM_IOC_TRACE (9): the last trap's wasm frame chain as code offsets (kwasm_ioctl.h) ----
export const TRACE_STRUCT = { size: 40, version: 0, flags: 4, framesPtr: 8, maxFrames: 16, nframes: 20, trapPc: 24, reserved: 32 } as const;
export const KWASM_IOC_TRACE = ioc(IOC.READ | IOC.WRITE, MAGIC, 9, TRACE_STRUCT.size);

// ---- KWASM_IOC_GLOBAL (10): read or write one global of a layout-1 instance (kwasm_ioctl.h) ----
export const GLOBAL_STRUCT = { size: 24, version: 0, flags: 4, index: 8, reserved: 12, value: 16 } as const;
export const KWASM_IOC_GLOBAL = ioc(IOC.READ | IOC.WRITE, MAGIC, 10, GLOBAL_STRUCT.size);
export const GLOBAL_WRITE = 1;
/** kwasm_ioctl.h KWASM_MAX_TRACE_FRAMES */
export const MAX_TRACE_FRAMES = 1 << 20;
export interface TraceResult {
  /** the trap's pc offset, as INVOKE's trapPc */
  trapPc: bigint;
  /** return-address offsets into the code, innermost caller first (the whole chain) */
  frames: bigint[];
}

/** KWASM_STATUS_* (kwasm_abi.h, from abi/calling-convention.ts). */
export const Status = { returned: 0, trap: 1, hostCall: 2, exit: 16 } as const;

export const ERRNO = { EPERM: 1, ENOENT: 2, EINTR: 4, ENOMEM: 12, EFAULT: 14, EBUSY: 16, EINVAL: 22, ENOTTY: 25, ENOSPC: 28, EOPNOTSUPP: 95 } as const;

export class KwasmError extends Error {
  constructor(readonly op: string, readonly errno: number, msg: string) {
    super(`kwasm ${op}: ${msg} (errno ${errno})`);
  }
}

const PAGE = 4096;
const PROT_RW = 3, MAP_PRIVATE_ANON = 0x22;

/** Native scratch memory with a known address, unmapped by `free()`. */
export class NativeBuffer {
  readonly buf: Buffer;
  private constructor(readonly addr: bigint, readonly length: number) {
    this.buf = createExternalBuffer(libc.memmove([addr, addr, 0n]) as JsExternal, length);
  }
  static alloc(length: number): NativeBuffer {
    const bytes = Math.max(PAGE, Math.ceil(length / PAGE) * PAGE);
    const r = libc.mmap([0n, BigInt(bytes), PROT_RW, MAP_PRIVATE_ANON, -1, 0n]) as ErrnoResult<bigint>;
    if (r.value === -1n) throw new KwasmError('mmap', r.errnoCode, r.errnoMessage);
    return new NativeBuffer(r.value, bytes);
  }
  free(): void {
    libc.munmap([this.addr, BigInt(this.length)]);
  }

  /**
   * A buffer of at least `length` bytes from a per-thread pool, for memory only used during
   * synchronous calls (ioctl argument pages, LOAD's image, MEM_READ/WRITE staging): an mmap,
   * its munmap and the address conversion cost three ffi calls, about 2 ms under TCG, and a
   * spec script loads hundreds of modules. `give()` returns it (its contents are stale).
   */
  static take(length: number): NativeBuffer {
    const i = pool.findIndex((b) => b.length >= length);
    return i >= 0 ? pool.splice(i, 1)[0] : NativeBuffer.alloc(length);
  }
  give(): void {
    if (this.length > POOL_MAX_BYTES || pool.length >= POOL_MAX_BUFFERS) this.free();
    else pool.push(this);
  }
}
const pool: NativeBuffer[] = [];
const POOL_MAX_BYTES = 1 << 20, POOL_MAX_BUFFERS = 16;

export interface KwasmVersion {
  version: number; vmctxSize: number; imageVersion: number; maxMemPages: number; maxImageBytes: bigint; maxStackBytes: bigint;
}

export interface LoadOptions {
  /** code image in the abi/image.ts binary form */
  image: Uint8Array;
  memPages?: number;
  memMaxPages?: number;
  stackBytes?: number;
  /** module description (kwasm_ioctl.h layout; kernel-loader/loader.ts builds it) */
  desc?: Uint8Array;
  /** KWASM_LOAD_MAY_YIELD: the code jumps back to its stack check when the stub returns */
  mayYield?: boolean;
}

/** One entry of the in-kernel WASI fd table (kwasm_ioctl.h struct kwasm_fd_entry). */
export interface KernelFdEntry {
  fd: number;
  hostFd: number;
  /** FdKindCode */
  kind: number;
  filetype: number;
  fdflags: number;
  /** FdEntryFlag bits */
  eflags: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  /** files: the offset of the next read/write */
  position: bigint;
}

export interface InvokeResult {
  status: number;
  trapCode: number;
  retInt: bigint;
  retFloat: bigint;
  /** offset of the trapping instruction (or the stub's return address) in the code */
  trapPc: bigint;
  /** faulting offset from the linear memory base */
  trapAddr: bigint;
  trapSignal: number;
  /** argument slots after the call (multi-value results) */
  slots: bigint[];
  /** status hostCall: import index (or runtime builtin) and its argument slots */
  hostIndex: number;
  hostArgs: bigint[];
  /** memory.size of memory 0 (64 KiB pages) when the call stopped */
  memPages: number;
}

/** One open /dev/kwasm: at most one loaded instance at a time. */
export class KwasmDevice {
  private readonly scratch = NativeBuffer.take(PAGE);
  /** GET_FDS's entry array, made on first use and kept (it is pulled around every host call) */
  private fdsBuffer: NativeBuffer | undefined;
  private closed = false;
  private readonly closeHooks: (() => void)[] = [];
  private constructor(readonly fd: number) {}

  static open(path = '/dev/kwasm'): KwasmDevice {
    const O_RDWR_CLOEXEC = 0o2 | 0o2000000;
    const r = libc.open([path, O_RDWR_CLOEXEC]) as ErrnoResult<number>;
    if (r.value < 0) throw new KwasmError('open', r.errnoCode, `${path}: ${r.errnoMessage}`);
    return new KwasmDevice(r.value);
  }

  /** ioctl(fd, cmd, arg): 0 or -errno, never throws (the fuzzer's entry point). */
  rawIoctl(cmd: bigint, arg: bigint): number {
    const r = libc.ioctl([this.fd, cmd, arg]) as ErrnoResult<number>;
    return r.value < 0 ? -r.errnoCode : r.value;
  }

  /** Scratch page for building argument structs (its address: `scratchAddr`). */
  get scratchBuf(): Buffer { return this.scratch.buf; }
  get scratchAddr(): bigint { return this.scratch.addr; }

  private call(op: string, cmd: bigint, arg: bigint): void {
    const rc = this.rawIoctl(cmd, arg);
    if (rc < 0) throw new KwasmError(op, -rc, errnoName(-rc));
  }

  private header(size: number): Buffer {
    const b = this.scratch.buf.subarray(0, size);
    b.fill(0);
    b.writeUInt32LE(KWASM_IOCTL_VERSION, 0);
    return b;
  }

  version(): KwasmVersion {
    const b = this.scratch.buf.subarray(0, VERSION_STRUCT.size);
    b.fill(0);
    this.call('version', KWASM_IOC.VERSION, this.scratch.addr);
    const S = VERSION_STRUCT;
    return {
      version: b.readUInt32LE(S.version), vmctxSize: b.readUInt32LE(S.vmctxSize), imageVersion: b.readUInt32LE(S.imageVersion),
      maxMemPages: b.readUInt32LE(S.maxMemPages), maxImageBytes: b.readBigUInt64LE(S.maxImageBytes), maxStackBytes: b.readBigUInt64LE(S.maxStackBytes),
    };
  }

  load(opts: LoadOptions): void {
    const img = NativeBuffer.take(opts.image.length);
    const desc = opts.desc ? NativeBuffer.take(opts.desc.length) : null;
    try {
      img.buf.set(opts.image);
      if (desc && opts.desc) desc.buf.set(opts.desc);
      const S = LOAD_STRUCT, b = this.header(S.size);
      b.writeUInt32LE(opts.mayYield ? LOAD_MAY_YIELD : 0, S.flags);
      b.writeBigUInt64LE(img.addr, S.imagePtr);
      b.writeBigUInt64LE(BigInt(opts.image.length), S.imageLen);
      b.writeUInt32LE(opts.memPages ?? 0, S.memPages);
      b.writeUInt32LE(opts.memMaxPages ?? opts.memPages ?? 0, S.memMaxPages);
      b.writeBigUInt64LE(BigInt(opts.stackBytes ?? 0), S.stackBytes);
      if (desc && opts.desc) {
        b.writeBigUInt64LE(desc.addr, S.descPtr);
        b.writeBigUInt64LE(BigInt(opts.desc.length), S.descLen);
      }
      this.call('load', KWASM_IOC.LOAD, this.scratch.addr);
    } finally {
      img.give();
      desc?.give();
    }
  }

  /**
   * Calls function `funcIndex` with the given argument slots (max(params, results) of them).
   * With `timeoutNs`, a call still running after it traps "interrupted"; a fatal signal to the
   * calling process does the same without a timeout.
   */
  invoke(funcIndex: number, args: readonly bigint[] = [], timeoutNs = 0n): InvokeResult {
    return this.run(KWASM_IOC.INVOKE, 'invoke', funcIndex, args, [], timeoutNs);
  }

  /**
   * Answers the pending host call with `results` (its result slots) and continues the stopped
   * wasm stack; `nslots` is the original invoke's slot count (its results come back in `slots`).
   */
  resume(results: readonly bigint[], nslots: number, timeoutNs = 0n): InvokeResult {
    return this.run(KWASM_IOC.RESUME, 'resume', 0, new Array<bigint>(nslots).fill(0n), results, timeoutNs);
  }

  /**
   * After an INVOKE/RESUME that returned a trap (and before the next INVOKE): the trapping frame
   * chain the kernel walked on the stopped wasm stack (KWASM_IOC_TRACE). Two ioctls when the
   * chain is longer than a first guess (a runaway recursion).
   */
  trace(): TraceResult {
    const get = (max: number): { nframes: number; trapPc: bigint; frames: bigint[] } => {
      const nb = max ? NativeBuffer.alloc(8 * max) : null;
      try {
        const S = TRACE_STRUCT, b = this.header(S.size);
        b.writeBigUInt64LE(nb?.addr ?? 0n, S.framesPtr);
        b.writeUInt32LE(max, S.maxFrames);
        this.call('trace', KWASM_IOC_TRACE, this.scratch.addr);
        const nframes = b.readUInt32LE(S.nframes), trapPc = b.readBigUInt64LE(S.trapPc);
        const frames = Array.from({ length: Math.min(nframes, max) }, (_, i) => (nb as NativeBuffer).buf.readBigUInt64LE(8 * i));
        return { nframes, trapPc, frames };
      } finally {
        nb?.free();
      }
    };
    let r = get(512);
    if (r.nframes > 512) r = get(Math.min(r.nframes, MAX_TRACE_FRAMES));
    return { trapPc: r.trapPc, frames: r.frames };
  }

  /** Global `index`'s bits (funcref: function index + 1), also while a host call is pending. */
  globalGet(index: number): bigint {
    const S = GLOBAL_STRUCT, b = this.header(S.size);
    b.writeUInt32LE(index, S.index);
    this.call('global get', KWASM_IOC_GLOBAL, this.scratch.addr);
    return b.readBigUInt64LE(S.value);
  }

  globalSet(index: number, bits: bigint): void {
    const S = GLOBAL_STRUCT, b = this.header(S.size);
    b.writeUInt32LE(GLOBAL_WRITE, S.flags);
    b.writeUInt32LE(index, S.index);
    b.writeBigUInt64LE(BigInt.asUintN(64, bits), S.value);
    this.call('global set', KWASM_IOC_GLOBAL, this.scratch.addr);
  }

  private run(cmd: bigint, op: string, funcIndex: number, args: readonly bigint[], hostResults: readonly bigint[], timeoutNs: bigint): InvokeResult {
    const S = INVOKE_STRUCT, b = this.header(S.size);
    // The host-call array, then the entry slots, in the scratch page after the struct; entry slots
    // that do not fit there (a signature of more than ~380 slots) get their own buffer.
    const hostAt = 512, slotsAt = hostAt + 8 * HOSTCALL_SLOTS;
    const big = slotsAt + 8 * args.length > this.scratch.length ? NativeBuffer.take(8 * args.length) : undefined;
    try {
      const sb = this.scratch.buf;
      const slotsBuf = big ? big.buf : sb.subarray(slotsAt);
      const slotsAddr = big ? big.addr : this.scratch.addr + BigInt(slotsAt);
      args.forEach((v, i) => slotsBuf.writeBigUInt64LE(BigInt.asUintN(64, v), 8 * i));
      if (hostResults.length > HOSTCALL_SLOTS) throw new RangeError(`${hostResults.length} host-call results: a RESUME carries at most ${HOSTCALL_SLOTS}`);
      sb.fill(0, hostAt, hostAt + 8 * HOSTCALL_SLOTS);
      hostResults.forEach((v, i) => sb.writeBigUInt64LE(BigInt.asUintN(64, v), hostAt + 8 * i));
      b.writeUInt32LE(funcIndex, S.funcIndex);
      b.writeUInt32LE(args.length, S.nslots);
      b.writeBigUInt64LE(slotsAddr, S.slotsPtr);
      b.writeBigUInt64LE(timeoutNs, S.timeoutNs);
      b.writeBigUInt64LE(this.scratch.addr + BigInt(hostAt), S.hostArgsPtr);
      this.call(op, cmd, this.scratch.addr);
      return this.invokeResult(b, args.map((_, i) => slotsBuf.readBigUInt64LE(8 * i)), sb, hostAt);
    } finally {
      big?.give();
    }
  }

  private invokeResult(b: Buffer, slots: bigint[], sb: Buffer, hostAt: number): InvokeResult {
    const S = INVOKE_STRUCT;
    const status = b.readUInt32LE(S.status);
    const hn = status === Status.hostCall ? b.readUInt32LE(S.hostNslots) : 0;
    return {
      status, trapCode: b.readUInt32LE(S.trapCode),
      retInt: b.readBigUInt64LE(S.retInt), retFloat: b.readBigUInt64LE(S.retFloat),
      trapPc: b.readBigUInt64LE(S.trapPc), trapAddr: b.readBigUInt64LE(S.trapAddr), trapSignal: b.readUInt32LE(S.trapSignal),
      slots,
      hostIndex: b.readUInt32LE(S.hostIndex),
      hostArgs: Array.from({ length: hn }, (_, i) => sb.readBigUInt64LE(hostAt + 8 * i)),
      memPages: b.readUInt32LE(S.memPages),
    };
  }

  private memRw(op: 'read' | 'write', cmd: bigint, offset: bigint, data: NativeBuffer, len: number): void {
    const S = MEM_RW_STRUCT, b = this.header(S.size);
    b.writeBigUInt64LE(offset, S.offset);
    b.writeBigUInt64LE(BigInt(len), S.len);
    b.writeBigUInt64LE(data.addr, S.bufPtr);
    this.call(`mem ${op}`, cmd, this.scratch.addr);
  }

  readMemory(offset: number | bigint, len: number): Buffer {
    const nb = NativeBuffer.take(len);
    try {
      this.memRw('read', KWASM_IOC.MEM_READ, BigInt(offset), nb, len);
      return Buffer.from(nb.buf.subarray(0, len));
    } finally {
      nb.give();
    }
  }

  writeMemory(offset: number | bigint, data: Uint8Array): void {
    const nb = NativeBuffer.take(data.length);
    try {
      nb.buf.set(data);
      this.memRw('write', KWASM_IOC.MEM_WRITE, BigInt(offset), nb, data.length);
    } finally {
      nb.give();
    }
  }

  /**
   * Maps the first `bytes` of linear memory 0 (at most memory.size, a page multiple) into this
   * process, shared: the kernel instance's own pages, no copy. Valid until `unmapMemory`; a
   * mapping outlives RELEASE/close safely (the kernel holds page references), and memory.grow
   * never moves it, but pages grown later need a new, longer mapping.
   */
  mapMemory(bytes: number, test: { private?: boolean; exec?: boolean; offset?: number } = {}): { addr: bigint; buf: Buffer } {
    const PROT = 3 | (test.exec ? 4 : 0), MAP = test.private ? 0x02 : 0x01; // the options are for tests: the kernel refuses them
    const r = libc.mmap([0n, BigInt(bytes), PROT, MAP, this.fd, BigInt(test.offset ?? 0)]) as ErrnoResult<bigint>;
    if (r.value === -1n) throw new KwasmError('mmap', r.errnoCode, errnoName(r.errnoCode));
    return { addr: r.value, buf: createExternalBuffer(libc.memmove([r.value, r.value, 0n]) as JsExternal, bytes) };
  }

  unmapMemory(addr: bigint, bytes: number): void {
    libc.munmap([addr, BigInt(bytes)]);
  }

  release(): void {
    this.call('release', KWASM_IOC.RELEASE, 0n);
  }

  /** Replaces the instance's in-kernel WASI fd table (at most MAX_KERNEL_FDS entries, fds < MAX_KERNEL_FDS). */
  setFds(entries: readonly KernelFdEntry[]): void {
    const E = FD_ENTRY_STRUCT, nb = NativeBuffer.take(Math.max(1, entries.length) * E.size);
    try {
      entries.forEach((e, i) => {
        const at = i * E.size;
        nb.buf.writeUInt32LE(e.fd, at + E.fd);
        nb.buf.writeUInt32LE(e.hostFd, at + E.hostFd);
        nb.buf.writeUInt32LE(e.kind, at + E.kind);
        nb.buf.writeUInt32LE(e.filetype, at + E.filetype);
        nb.buf.writeUInt32LE(e.fdflags, at + E.fdflags);
        nb.buf.writeUInt32LE(e.eflags, at + E.eflags);
        nb.buf.writeBigUInt64LE(e.rightsBase, at + E.rightsBase);
        nb.buf.writeBigUInt64LE(e.rightsInheriting, at + E.rightsInheriting);
        nb.buf.writeBigUInt64LE(e.position, at + E.position);
      });
      const S = FDS_STRUCT, b = this.header(S.size);
      b.writeBigUInt64LE(nb.addr, S.entriesPtr);
      b.writeUInt32LE(entries.length, S.count);
      this.call('set fds', KWASM_IOC.SET_FDS, this.scratch.addr);
    } finally {
      nb.give();
    }
  }

  /** The instance's in-kernel WASI fd table, and how many WASI calls the kernel served so far. */
  getFds(): { entries: KernelFdEntry[]; served: bigint } {
    const E = FD_ENTRY_STRUCT, nb = this.fdsBuffer ??= NativeBuffer.alloc(MAX_KERNEL_FDS * E.size);
    const S = FDS_STRUCT, b = this.header(S.size);
    b.writeBigUInt64LE(nb.addr, S.entriesPtr);
    b.writeUInt32LE(MAX_KERNEL_FDS, S.count);
    this.call('get fds', KWASM_IOC.GET_FDS, this.scratch.addr);
    const n = Math.min(b.readUInt32LE(S.count), MAX_KERNEL_FDS);
    const entries = Array.from({ length: n }, (_, i): KernelFdEntry => {
      const at = i * E.size;
      return {
        fd: nb.buf.readUInt32LE(at + E.fd), hostFd: nb.buf.readUInt32LE(at + E.hostFd), kind: nb.buf.readUInt32LE(at + E.kind),
        filetype: nb.buf.readUInt32LE(at + E.filetype), fdflags: nb.buf.readUInt32LE(at + E.fdflags), eflags: nb.buf.readUInt32LE(at + E.eflags),
        rightsBase: nb.buf.readBigUInt64LE(at + E.rightsBase), rightsInheriting: nb.buf.readBigUInt64LE(at + E.rightsInheriting),
        position: nb.buf.readBigUInt64LE(at + E.position),
      };
    });
    return { entries, served: b.readBigUInt64LE(S.served) };
  }

  /** argv and environ for args_* / environ_* in ring 0: each string NUL-terminated, as jit/wasi encodes them. */
  setArgs(args: readonly Uint8Array[], env: readonly Uint8Array[]): void {
    const blob = (l: readonly Uint8Array[]): Buffer => Buffer.concat(l);
    const a = blob(args), e = blob(env);
    const nb = NativeBuffer.take(a.length + e.length);
    try {
      nb.buf.set(a, 0);
      nb.buf.set(e, a.length);
      const S = ARGS_STRUCT, b = this.header(S.size);
      if (a.length) b.writeBigUInt64LE(nb.addr, S.argsPtr);
      b.writeUInt32LE(a.length, S.argsLen);
      b.writeUInt32LE(args.length, S.argc);
      if (e.length) b.writeBigUInt64LE(nb.addr + BigInt(a.length), S.envPtr);
      b.writeUInt32LE(e.length, S.envLen);
      b.writeUInt32LE(env.length, S.envc);
      this.call('set args', KWASM_IOC.SET_ARGS, this.scratch.addr);
    } finally {
      nb.give();
    }
  }

  /** Runs `fn` once when the device closes, before its fd goes: the last moment the instance's
   *  state (its fd table, say) can still be read. */
  beforeClose(fn: () => void): void { this.closeHooks.push(fn); }

  close(): void {
    if (this.closed) return;
    for (const fn of this.closeHooks.splice(0)) {
      try { fn(); } catch { /* a hook's failure must not keep the device (and its instance) alive */ }
    }
    this.closed = true;
    libc.close([this.fd]);
    this.scratch.give();
    this.fdsBuffer?.free();
  }
}

function errnoName(e: number): string {
  const n = Object.entries(ERRNO).find(([, v]) => v === e);
  return n ? n[0] : `errno ${e}`;
}
