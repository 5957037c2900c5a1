// The runtime .so's data layout and the fast host-call table: what the code that uses the .so
// (native.ts, fast-fd-write.ts, instance/native-wasi.ts) and the code that assembles it
// (trampolines.ts) share. Apart from the assembler so that running code loads no assembler: the
// CLI bundle carries the .so assembled at build time (jit/cli/bundle.ts).
import { TRAP_STUB_COUNT } from '../../abi/traps.js';
import { Rights } from '../wasi/layout.js';
/** The .so's name (DT_SONAME; native.ts dlopens it from a private temp directory). */
export const SONAME = 'libkwasm-rt.so';

/** The .so's data segment (runtime-private; written by native.ts through a Buffer view). */
export const SO_DATA = {
  activeVmctx: 0,
  rangeCount: 8,
  info: 64,             // INFO_SIZE bytes: the addresses kwasm_setup writes (kwasm_info's block)
  ranges: 320,          // MAX_RANGES x {start, end} (u64 each), compiled-code ranges; the handler
                        // scans only the first rangeCount, so room costs nothing per fault
  prevHandlers: 64512,  // u64 per signal number 0..64: the handler installed before ours
  zeroAction: 65088,    // 32 zero bytes: a kernel sigaction for SIG_DFL (rt_sigaction from the handler)
  fastPairs: 65152,     // FAST_PAIRS x {vmctx, fast table} (u64 each): instances whose hostCallStub
                        // is the fast stub; {0, 0} = free
  statCache: 65408,     // u64: the fast table whose native path_open left its new file's struct stat
                        // in scratch, 0 = none; cleared by every entry and every host call but
                        // fd_filestat_get (serveFilestat: the stat is still exact when no host call
                        // came between)
  size: 65536,
} as const;
export const MAX_RANGES = (SO_DATA.prevHandlers - SO_DATA.ranges) / 16;
export const FAST_PAIRS = 16;

/**
 * Bits of a guest fd in the fast table (FAST_TABLE.fdBits): what the fast stub may do with it.
 * OPEN: the guest fd is in use (every open fd below MAX_FDS has it, mirrored or not, so a native
 * sock_accept/path_open picks the lowest free number exactly as jit/wasi's FdTable.add);
 * OWNS: fd_close closes the host fd (not stdio handed in by the embedder); FILE: a regular file
 * (fd_pread, fd_filestat_get by its rights; never the stream ops, which use the host offset).
 */
export const FAST_FD = { READ: 1, WRITE: 2, SOCKET: 4, NONBLOCK: 8, POLL: 16, OPEN: 32, OWNS: 64, FILE: 128 } as const;



/**
 * The iovec calls the fast stub serves: all `(fd, iovs, iovsLen, ...) -> errno` with one read(2),
 * pread(2) or write(2) per non-empty iovec, as jit/wasi's fd_read/fd_write/fd_pread/sock_recv/
 * sock_send do (sock_recv with riflags 0 is read(2), sock_send's siflags are ignored by JS and
 * must be 0 here). `args`: the import's parameter count (one slot each); `need`: FAST_FD bits the
 * guest fd must have; `rights`: rights it must have (checked in FAST_TABLE.rights); `flagsArg`:
 * an argument that must be 0 (else JS answers); `offsetArg`: an i64 file offset (pread); `files`:
 * on a FILE the call is served as pread at the table's position, which moves on (fd_read);
 * `resultArg`: the u32 count pointer; `roFlagsArg`: a u16 pointer that gets 0 (sock_recv's ro_flags).
 */
export const IO_OPS = {
  write: { dir: 'out', args: 4, need: FAST_FD.WRITE, rights: 0n, flagsArg: -1, offsetArg: -1, resultArg: 3, roFlagsArg: -1 },
  read: { dir: 'in', args: 4, need: FAST_FD.READ, rights: 0n, flagsArg: -1, offsetArg: -1, resultArg: 3, roFlagsArg: -1, files: true },
  recv: { dir: 'in', args: 6, need: FAST_FD.READ | FAST_FD.SOCKET, rights: 0n, flagsArg: 3, offsetArg: -1, resultArg: 4, roFlagsArg: 5 },
  send: { dir: 'out', args: 5, need: FAST_FD.WRITE | FAST_FD.SOCKET, rights: 0n, flagsArg: 3, offsetArg: -1, resultArg: 4, roFlagsArg: -1 },
  pread: { dir: 'in', args: 5, need: FAST_FD.FILE, rights: Rights.FD_READ | Rights.FD_SEEK, flagsArg: -1, offsetArg: 3, resultArg: 4, roFlagsArg: -1 },
} as const;
export type IoOp = keyof typeof IO_OPS;
/**
 * Every op the stub serves: the iovec calls above; poll_oneoff (servePoll: at most MAX_POLL fd
 * subscriptions on mirrored fds with FAST_FD.POLL and REALTIME/MONOTONIC clocks; else JS);
 * fd_filestat_get on a FILE; and the three that change the fd table natively (serveAccept,
 * serveClose, serveOpen), which jit/instance/native-wasi.ts pulls back into jit/wasi's table
 * before JS next looks at it (FdMirror.pull). `table`: the op may change the fd table.
 */
export const FAST_OPS = {
  ...IO_OPS,
  poll: { args: 4, table: false },
  filestat: { args: 2, table: false },
  fdstat: { args: 2, table: false },
  accept: { args: 3, table: true },
  close: { args: 1, table: true },
  open: { args: 9, table: true },
} as const;
export type FastOp = keyof typeof FAST_OPS;
export const FAST_OP_NAMES = Object.keys(FAST_OPS) as FastOp[];

/**
 * A fast table: per instance, native memory the fast host-call stub reads (jit/runtime/fast-fd-write.ts
 * fills it). A call whose import index is one of `imports` on a guest fd whose `fds` entry is a
 * host fd (>= 0) with the op's `need` bits is served natively.
 */
// guest fds below FAST_MAX_FDS are mirrored: enough for a server with 1000 connections
const FAST_MAX_FDS = 1024, FAST_MAX_IOVS = 128, FAST_MAX_OPS = 16;
const FAST_FDS_AT = 256;
const FAST_RIGHTS_AT = FAST_FDS_AT + 6 * FAST_MAX_FDS + 256; // 8-aligned
const FAST_IOVS_AT = FAST_RIGHTS_AT + 28 * FAST_MAX_FDS;
const FAST_POLLFDS_AT = FAST_IOVS_AT + 16 * FAST_MAX_IOVS;
const FAST_MAX_POLL = 1024; // a poll() over 1000 connections (echo-load's 256 + the listener) stays native
// what a read-ahead takes at most: a whole HTTP request head (httpd.c's 8 KiB) or a 4 KiB echo
// message, so nbytes needs no FIONREAD; more waiting than this adds one
const FAST_AHEAD_CAP = 8192;
// after the scratch area (SCRATCH.path + MAX_PATH), page-aligned
const FAST_AHEAD_AT = Math.ceil((FAST_POLLFDS_AT + 8 * FAST_MAX_POLL + 256 + 4096) / 4096) * 4096;
export const FAST_TABLE = {
  imports: 0,           // u32 x MAX_OPS: import index per op (FAST_OP_NAMES order); 0xffffffff = none
  hits: 64,             // u64 calls served natively (tests, stats)
  written: 72,          // u64 scratch: bytes moved by the call in progress (written or read)
  iovEnd: 80,           // u64 scratch: end of the host iovecs of the call in progress
  bits: 88,             // u32 scratch: FAST_FD bits of the fd of the call in progress
  pollfd: 96,           // struct pollfd scratch: the one fd a blocking call waits on
  pollEnd: 104,         // u64 scratch: end of the pollfds of the poll_oneoff in progress
  changes: 112,         // u64: fd-table changes made natively (accept, close, open); a pull reads the table only when it moved
  newFd: 120,           // u32 scratch: the guest fd a native accept or open takes
  noClocks: 124,        // u32: 1 = clocks are JS's (a run deadline is armed: JS's waits end there)
  start: 128,           // u64 scratch: CLOCK_MONOTONIC (ns) when poll_oneoff met its first clock, 0 = not read yet
  startReal: 136,       // u64 scratch: CLOCK_REALTIME (ns) then
  minDeadline: 144,     // u64 scratch: the earliest clock deadline (monotonic ns), all ones = no clock
  now: 152,             // u64 scratch: CLOCK_MONOTONIC (ns) after the wait
  statOwner: 160,       // u64: SO_DATA.statCache as this call found it (the stub clears the global)
  statFd: 168,          // u32: the guest fd of the file whose stat scratch holds (SO_DATA.statCache)
  statReused: 176,      // u64: fd_filestat_get calls answered from path_open's stat (tests, stats)
  aheadReady: 184,      // u32 scratch: a FD_READ subscription of this poll_oneoff has read-ahead bytes (ready now)
  aheadTaken: 192,      // u64: read-aheads that took bytes (tests, stats)
  fds: FAST_FDS_AT,     // i32 x MAX_FDS: host fd per guest fd, -1 = served in JS
  fdBits: FAST_FDS_AT + 4 * FAST_MAX_FDS, // u8 x MAX_FDS: FAST_FD bits per guest fd
  created: FAST_FDS_AT + 5 * FAST_MAX_FDS, // u8 x MAX_FDS: 1 = the entry was made natively since the last pull
  errnoMap: FAST_FDS_AT + 6 * FAST_MAX_FDS, // u8 x 256: Linux errno -> WASI errno, JS's mapping
  rights: FAST_RIGHTS_AT, // u64 x MAX_FDS: rightsBase
  inheriting: FAST_RIGHTS_AT + 8 * FAST_MAX_FDS, // u64 x MAX_FDS: rightsInheriting
  fdstat: FAST_RIGHTS_AT + 16 * FAST_MAX_FDS, // u32 x MAX_FDS: filetype | FDSTAT_DIR | fdflags << 16 (fdstat's first word)
  positions: FAST_RIGHTS_AT + 20 * FAST_MAX_FDS, // u64 x MAX_FDS: a FILE's position (fd_read moves it; pulled back)
  iovs: FAST_IOVS_AT,   // {u64 base, u64 len} x MAX_IOVS, host addresses
  pollfds: FAST_POLLFDS_AT, // struct pollfd x MAX_POLL
  scratch: FAST_POLLFDS_AT + 8 * FAST_MAX_POLL, // SCRATCH: a struct stat, an open_how, an int, a path
  // Read-ahead (servePoll): bytes poll_oneoff took from a ready socket to learn nbytes without a
  // FIONREAD, which the next read of that fd gets first. Per guest fd: bytes left, where they start
  // in its AHEAD_CAP slot, and an error the read met (WASI errno, 0 = none), delivered by that read.
  aheadLen: FAST_AHEAD_AT,                       // u32 x MAX_FDS
  aheadOff: FAST_AHEAD_AT + 4 * FAST_MAX_FDS,    // u32 x MAX_FDS
  aheadErr: FAST_AHEAD_AT + 8 * FAST_MAX_FDS,    // u32 x MAX_FDS
  aheadData: FAST_AHEAD_AT + 12 * FAST_MAX_FDS,  // AHEAD_CAP bytes x MAX_FDS (pages touched only by sockets that used them)
  AHEAD_CAP: FAST_AHEAD_CAP,
  MAX_OPS: FAST_MAX_OPS,
  MAX_FDS: FAST_MAX_FDS,
  MAX_IOVS: FAST_MAX_IOVS,
  MAX_POLL: FAST_MAX_POLL,
  /** longest path a native path_open copies (with its NUL); longer ones are JS's */
  MAX_PATH: 4096,
} as const;
/**
 * In FAST_TABLE.fdstat's byte 1 (fdstat's padding, never written to the guest): the entry is
 * jit/wasi's kind `dir`, the only one path_open may start from.
 */
export const FDSTAT_DIR = 0x100;
/** Offsets in FAST_TABLE.scratch. */
export const SCRATCH = { stat: 0, how: 160, one: 192, ts: 200, path: 256 } as const;
if (FAST_OP_NAMES.length > FAST_TABLE.MAX_OPS) throw new Error('FAST_TABLE: more ops than import slots');
if (FAST_TABLE.scratch + SCRATCH.path + FAST_TABLE.MAX_PATH > FAST_TABLE.aheadLen) throw new Error('FAST_TABLE: scratch overlaps the read-ahead');
export const FAST_TABLE_SIZE = FAST_TABLE.aheadData + FAST_TABLE.AHEAD_CAP * FAST_TABLE.MAX_FDS;

/** Order of the addresses kwasm_info writes (u64 each). */
export const INFO_FIELDS = ['data', 'signalHandler', 'trapLanding', 'hostCallStub', 'enter', 'resume', 'textStart', 'textEnd', 'hostCallFast'] as const;
export type InfoField = (typeof INFO_FIELDS)[number];
/** Trap stub addresses follow the named fields. */
export const INFO_TRAP_STUBS = INFO_FIELDS.length;
export const INFO_SIZE = 8 * (INFO_FIELDS.length + TRAP_STUB_COUNT);
if (SO_DATA.info + INFO_SIZE > SO_DATA.ranges) throw new Error('SO_DATA: the info block overlaps the code ranges');
/** The alternate signal stack kwasm_setup maps when the thread has none (a guard page below it). */
export const ALTSTACK_SIZE = 64 * 1024;
/** What kwasm_setup reports as failed: step k (its result's bits 16+) is SETUP_STEPS[k - 1]. */
export const SETUP_STEPS = ['sigaltstack', 'mmap', 'mprotect', 'rt_sigaction'] as const;
