// The table of C test programs (sources in tests/programs/c/).
//
// Every expected value here is either what the program provably must print
// (fixed text, values POSIX determines, output computed from the same formula
// the program uses) or is taken from the reference run under node:wasi
// (`compareStdout`). node:wasi is not a security sandbox (Node's docs say so),
// so for escape attempts the expectation is stated here: blocked, with
// wasmtime's errno (checkOurs), and the outside tree untouched (check).

import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errno } from '../../jit/wasi/errno.js';
import type { RunResult } from './run.js';

export interface ProgramContext {
  /** Temporary directory holding `sandbox/` and `outside/`. */
  root: string;
  /** Host directory preopened as /sandbox (when `sandbox` is set). */
  sandbox: string;
  /** Host directory never granted to the program. */
  outside: string;
}

export interface Program {
  name: string;
  source: string;
  /** argv after the program name (argv[0] is `name`). */
  args?: readonly string[] | ((ctx: ProgramContext) => string[]);
  env?: Record<string, string>;
  stdin?: Buffer;
  /** Preopen a fresh directory as /sandbox. */
  sandbox?: boolean;
  /** The embedder's stdio is non-blocking (EAGAIN on a full pipe), as in a Node process that used process.stdout. */
  nonBlockingStdio?: boolean;
  setup?: (ctx: ProgramContext) => void;
  expectExit: number;
  expectStdout?: string | Buffer;
  expectStderr?: string;
  /** Expected trap kind (then the exit status is 134 and stderr ends with `trap: KIND`). */
  trap?: string;
  /** stdout must equal the node:wasi reference byte for byte. */
  compareStdout: boolean;
  /** Set (to the reason) when the reference cannot run this program; only our WASI runs it. */
  noReference?: string;

  /** Checks every engine's run must pass (host file system afterwards, output properties). */
  check?: (r: RunResult) => void;
  /** Checks for our WASI layer only: errnos where node:wasi (uvwasi) answers differently. */
  checkOurs?: (r: RunResult) => void;
}

/** `label: errno N` lines a program printed to stderr. */
export function errnoLines(stderr: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const [, label, n] of stderr.matchAll(/^(.*): errno (\d+)$/gm)) m.set(label, Number(n));
  return m;
}

function assertErrnos(r: RunResult, expected: Record<string, number>): void {
  const got = errnoLines(r.stderr);
  for (const [label, errno] of Object.entries(expected)) {
    assert.is(got.get(label), errno, `${r.engine}: ${label}`);
  }
  assert.is(got.size, Object.keys(expected).length, `${r.engine}: number of errno lines`);
}

function assertLines(r: RunResult, lines: readonly string[]): void {
  const text = r.stdout.toString();
  for (const l of lines) assert.ok(text.split('\n').includes(l), `${r.engine}: missing line "${l}" in\n${text}`);
}

// ---- args/env: the program prints these back, so the expected text follows from them.
const ARGS = ['one', 'two words', 'ünïcödé ✓', ''];
const ENV: Record<string, string> = { GREETING: 'hi there', A: '1', EMPTY: '', 'WITH=EQUALS': 'x=y' };
function argsEnvExpected(): string {
  const argv = ['args_env', ...ARGS];
  const env = Object.entries(ENV).map(([k, v]) => `${k}=${v}`).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  return [
    `argc=${argv.length}`, ...argv.map((a, i) => `argv[${i}]=<${a}>`),
    `envc=${env.length}`, ...env.map((e) => `env <${e}>`),
    `getenv(GREETING)=<${ENV.GREETING}>`, 'getenv(MISSING)=(null)', '',
  ].join('\n');
}

// ---- big output: the formula of big_output.c.
function bigOutputExpected(): Buffer {
  const lines = (10 * 1024 * 1024) / 64;
  const out = Buffer.alloc(lines * 64);
  for (let i = 0; i < lines; i++) {
    const at = i * 64;
    out.write(`${String(i).padStart(10, '0')} `, at, 'latin1');
    for (let j = 0; j < 52; j++) out[at + 11 + j] = 97 + ((i + j) % 26);
    out[at + 63] = 10;
  }
  return out;
}

// ---- stdin: every byte value, 300 KiB, so nothing is treated as text.
const CAT_INPUT = Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 131 + (i >> 8)) & 255));

const SECRET = 'TOP SECRET: outside the sandbox\n';

function sandboxTree(ctx: ProgramContext): void {
  writeFileSync(join(ctx.outside, 'secret.txt'), SECRET);
  writeFileSync(join(ctx.sandbox, 'inside.txt'), 'inside\n');
  mkdirSync(join(ctx.sandbox, 'sub'));
  symlinkSync('inside.txt', join(ctx.sandbox, 'link_in'));
  symlinkSync('../outside/secret.txt', join(ctx.sandbox, 'link_out'));
  symlinkSync(join(ctx.outside, 'secret.txt'), join(ctx.sandbox, 'link_abs'));
  symlinkSync('../outside', join(ctx.sandbox, 'link_dir_out'));
  symlinkSync('../..', join(ctx.sandbox, 'sub', 'link_up_twice'));
  symlinkSync('loop2', join(ctx.sandbox, 'loop1'));
  symlinkSync('loop1', join(ctx.sandbox, 'loop2'));
}

const PERM = 63;
const LOOP = 32;
const INVAL = 28;
const BADF = 8;
const NOTSOCK = 57;
const FAULT = 21;

export const PROGRAMS: readonly Program[] = [
  {
    name: 'hello', source: 'hello.c', expectExit: 0, compareStdout: true,
    expectStdout: 'hello, world\n', expectStderr: 'hello, stderr\n',
  },
  {
    // -msimd128: auto-vectorized loops and wasm_simd128.h intrinsics, every value printed as bits
    name: 'simd', source: 'simd.c', expectExit: 0, compareStdout: true,
    check: (r) => assertLines(r, ['find: 77 171 0', 'all_true: 1 1 any_true: 0 bitmask: aa']),
  },
  {
    name: 'args_env', source: 'args_env.c', args: ARGS, env: ENV, expectExit: 0, compareStdout: true,
    expectStdout: argsEnvExpected(),
  },
  {
    name: 'files', source: 'files.c', sandbox: true, expectExit: 0, compareStdout: true,
    check(r) {
      // What POSIX says these calls must do on this sequence of operations.
      assertLines(r, [
        'open: ok', 'write: 11', 'tell: 11', 'seek set 6: 6', 'read 4: 4', 'read data: <file>',
        'seek end -5: 6', 'pread data: <XYllo>', 'tell after pread: 6', 'size=11 regular=1',
        'size after truncate=4', 'size after sparse write=101', 'hole bytes=0,0,0',
        'atime=1000000000 mtime=1234567890', 'size after append=102', 'read all: 102',
        'first=XY last=+', 'read at eof: 0', 'close: 0',
      ]);
      const data = readFileSync(join(r.ctx.sandbox, 'f.txt'));
      const expected = Buffer.concat([Buffer.from('XYll'), Buffer.alloc(96), Buffer.from('Z+')]);
      assert.ok(data.equals(expected), `${r.engine}: f.txt content on the host`);
    },
  },
  {
    name: 'dirs', source: 'dirs.c', sandbox: true, expectExit: 0, compareStdout: true,
    setup(ctx) {
      mkdirSync(join(ctx.sandbox, 'pre', 'y'), { recursive: true });
      writeFileSync(join(ctx.sandbox, 'pre', 'x.txt'), 'xyz');
      writeFileSync(join(ctx.sandbox, 'pre', 'z.txt'), '');
    },
    check(r) {
      assertLines(r, [
        'ls /sandbox/pre: x.txt y/ z.txt', 'x.txt size=3', 'mkdir d: 0', 'ls /sandbox/d: a.txt b.txt sub/',
        'd is dir=1', 'many: 300 distinct of 300', 'rmdir many: 0', 'ls /sandbox/d:', 'ls /sandbox: d/ pre/',
      ]);
      assert.equal(readdirSync(r.ctx.sandbox).sort(), ['d', 'pre']);
      assert.equal(readdirSync(join(r.ctx.sandbox, 'd')), []);
    },
  },
  {
    name: 'rename_unlink', source: 'rename_unlink.c', sandbox: true, expectExit: 0, compareStdout: true,
    check(r) {
      assertLines(r, [
        'rename a->c: 0', 'cat /sandbox/b.txt: <AAA>', 'cat /sandbox/dir2/inner.txt: <inner>',
        'link text: <target.txt>', 'ln is symlink=1', 'ln target size=6 regular=1', 'nlink=2',
      ]);
      assert.equal(readdirSync(r.ctx.sandbox).sort(), ['b.txt', 'hard.txt', 'target.txt']);
      assert.is(readFileSync(join(r.ctx.sandbox, 'b.txt'), 'utf8'), 'AAA');
      assert.is(statSync(join(r.ctx.sandbox, 'target.txt')).nlink, 2);
    },
  },
  {
    // node:wasi is no sandbox: on Node 20 it opens outside/secret.txt through a
    // symlinked *intermediate* directory (link_dir_out/, sub/link_up_twice/), so
    // its output is not the reference here; only "nothing outside was changed"
    // and "what is inside opens" are required of it.
    name: 'sandbox', source: 'sandbox.c', sandbox: true, setup: sandboxTree, expectExit: 0, compareStdout: false,
    check(r) {
      assertLines(r, [
        'preopen fd 3: /sandbox', 'inside.txt: OPENED <inside', 'link_in (-> inside.txt): OPENED <inside',
        'sub/../inside.txt: OPENED <inside',
      ]);
      assert.equal(readdirSync(r.ctx.outside), ['secret.txt'], `${r.engine}: outside/ changed`);
      assert.is(readFileSync(join(r.ctx.outside, 'secret.txt'), 'utf8'), SECRET);
      assert.ok(statSync(join(r.ctx.sandbox, 'inside.txt')).isFile());
      assert.ok(statSync(r.ctx.sandbox).isDirectory());
    },
    checkOurs(r) {
      const text = r.stdout.toString();
      assert.not.ok(text.includes('TOP SECRET'), `${r.engine}: the secret leaked:\n${text}`);
      assertLines(r, [
        '..: blocked', '../outside/secret.txt: blocked', 'sub/../../outside/secret.txt: blocked',
        '/etc/passwd: blocked', 'link_out (-> ../outside/secret.txt): blocked',
        'link_abs (-> absolute secret path): blocked', 'link_dir_out/secret.txt (-> ../outside): blocked',
        'sub/link_up_twice (-> ../..): blocked', 'loop1 (-> loop2 -> loop1): blocked',
        'create ../outside/created.txt: blocked', 'unlink ../outside/secret.txt: blocked',
        'rename inside.txt -> ../outside/moved.txt: blocked', 'mkdir ../outside/newdir: blocked',
        'filestat ../outside/secret.txt: blocked', 'filestat link_out: blocked',
        'link ../outside/secret.txt -> hard: blocked', 'rmdir .: blocked',
        'fopen /sandbox/../outside/secret.txt: blocked', 'fopen /etc/passwd: blocked',
      ]);
      assertErrnos(r, {
        'inside.txt': 0, 'link_in (-> inside.txt)': 0, 'sub/../inside.txt': 0, '..': PERM,
        '../outside/secret.txt': PERM, 'sub/../../outside/secret.txt': PERM, '/etc/passwd': PERM,
        'link_out (-> ../outside/secret.txt)': PERM, 'link_abs (-> absolute secret path)': PERM,
        'link_dir_out/secret.txt (-> ../outside)': PERM, 'sub/link_up_twice (-> ../..)': PERM,
        'loop1 (-> loop2 -> loop1)': LOOP, 'inside.txt NUL x': INVAL,
        'create ../outside/created.txt': PERM, 'unlink ../outside/secret.txt': PERM,
        'rename inside.txt -> ../outside/moved.txt': PERM, 'mkdir ../outside/newdir': PERM,
        'filestat ../outside/secret.txt': PERM, 'filestat link_out': PERM,
        'link ../outside/secret.txt -> hard': PERM, 'rmdir .': INVAL,
      });
    },
  },
  {
    name: 'clocks', source: 'clocks.c', args: () => [String(Math.floor(Date.now() / 1000))],
    expectExit: 0, compareStdout: true,
    expectStdout: [
      'realtime within 60s of host: yes', 'monotonic non-decreasing: yes', 'getres monotonic: ok',
      'nanosleep 30ms slept >= 29ms: yes', 'nanosleep 30ms slept < 2s: yes',
      `clock_time_get(99): errno=${INVAL}`, `zero subscriptions: errno=${INVAL}`,
      'poll(stdout, POLLOUT): 1 revents&POLLOUT=1', 'poll(no fds, 25ms): 0 waited>=24ms=yes',
      'cputime positive: yes', 'sched_yield: 0', '',
    ].join('\n'),
  },
  {
    name: 'clock_abstime', source: 'clock_abstime.c', expectExit: 0, compareStdout: false,
    noReference: 'node:wasi (Node 20) sleeps for the absolute deadline as if it were relative, i.e. ~uptime',
    expectStdout: 'abstime poll: errno=0 nevents=1 userdata ok=1 type=0 error=0\nwaited >= 20ms: yes\nwaited < 4s: yes\n',
  },
  {
    name: 'random', source: 'random.c', expectExit: 0, compareStdout: true,
    expectStdout: 'two draws differ: yes\nrandom_get 1MiB: errno=0\nbyte histogram uniform: yes\n',
  },
  {
    name: 'exit_return_42', source: 'exit.c', args: ['42', 'return'], expectExit: 42, compareStdout: true,
    expectStdout: 'leaving with 42 by return\n',
  },
  {
    name: 'exit_exit_7', source: 'exit.c', args: ['7', 'exit'], expectExit: 7, compareStdout: true,
    expectStdout: 'leaving with 7 by exit\n',
  },
  {
    // The OS keeps the low 8 bits of an exit status: 300 & 255 = 44.
    name: 'exit_proc_exit_300', source: 'exit.c', args: ['300', 'proc_exit'], expectExit: 44, compareStdout: true,
    expectStdout: 'leaving with 300 by proc_exit\n',
  },
  {
    name: 'exit_zero', source: 'exit.c', args: ['0', 'exit'], expectExit: 0, compareStdout: true,
    expectStdout: 'leaving with 0 by exit\n',
  },
  {
    name: 'cat', source: 'cat.c', stdin: CAT_INPUT, expectExit: 0, compareStdout: true, expectStdout: CAT_INPUT,
  },
  {
    name: 'big_output', source: 'big_output.c', expectExit: 0, compareStdout: true, expectStdout: bigOutputExpected(),
  },
  {
    // stdin gets 63 bytes so that RECV_WAITALL fills the 63-byte buffer exactly.
    name: 'sock_stdio', source: 'sock_stdio.c', stdin: Buffer.from('p'.repeat(63)), expectExit: 0, compareStdout: false,
    noReference: 'node:wasi (uvwasi, Node 20) crashes with SIGSEGV in sock_recv',
    expectStdout: `sent with sock_send\nrecv: errno=0 n=63 roflags=0 data=<${'p'.repeat(63)}>\nsend: errno=0 n=20\n`,
    checkOurs(r) {
      // real socket calls on the socketpairs (jit/wasi/sock.ts): shutdown works, a connected
      // socket cannot accept (the host's EINVAL), and a peek after the peer closed sees EOF (0 bytes)
      assertErrnos(r, { 'sock_shutdown(stdout)': Errno.SUCCESS, 'sock_accept(stdin)': Errno.INVAL, 'sock_recv peek': Errno.SUCCESS });
    },
  },
  {
    name: 'big_output_nonblocking', source: 'big_output.c', nonBlockingStdio: true, expectExit: 0,
    compareStdout: false, expectStdout: bigOutputExpected(),
    noReference: 'node:wasi loses output when a write to a non-blocking stdout hits EAGAIN (a few MB of 10 arrive, exit status 0)',
  },
  {
    name: 'cat_nonblocking', source: 'cat.c', nonBlockingStdio: true, stdin: CAT_INPUT, expectExit: 0,
    compareStdout: false, expectStdout: CAT_INPUT,
    noReference: 'node:wasi passes EAGAIN from a non-blocking stdin on to the program (cat exits with 2)',
  },
  {
    // After close(0)/close(1) files reuse the numbers (kernel mode must not write to the old stdio).
    name: 'stdio_reuse', source: 'stdio_reuse.c', sandbox: true, expectExit: 0, compareStdout: true,
    expectStdout: 'start\nreopened as fd 0\nwrite fd 0: 13\nseek fd 0: 0\nread fd 0: 13 <data on fd 0\n>\nclosing stdout\n',
    check(r) {
      assert.is(readFileSync(join(r.ctx.sandbox, 'out.txt'), 'utf8'), 'this line goes to out.txt, opened as fd 1\n', `${r.engine}: out.txt`);
      assert.is(readFileSync(join(r.ctx.sandbox, 'in.txt'), 'utf8'), 'data on fd 0\n', `${r.engine}: in.txt`);
    },
  },
  {
    name: 'oob', source: 'oob.c', expectExit: 134, trap: 'out of bounds memory access', compareStdout: true,
    expectStdout: 'before the trap\n',
  },
  {
    name: 'stack_overflow', source: 'stack_overflow.c', expectExit: 134, trap: 'call stack exhausted',
    compareStdout: true, expectStdout: 'recursing\n',
  },
  {
    // (uvwasi answers NOTCAPABLE/NOTSUP/INVAL/OVERFLOW for several of these; we follow wasmtime.)
    name: 'unsupported', source: 'unsupported.c', sandbox: true, expectExit: 0, compareStdout: true, expectStdout: 'survived\n',
    checkOurs(r) {
      assertErrnos(r, {
        'sock_recv(dir fd 3)': NOTSOCK, 'sock_send(dir fd 3)': NOTSOCK, 'sock_shutdown(dir fd 3)': NOTSOCK,
        'sock_accept(dir fd 3)': NOTSOCK, 'sock_recv(closed fd 99)': BADF, 'fd_write(closed fd 99)': BADF,
        'fd_seek(closed fd 9)': BADF, 'fd_advise(dir fd 3)': BADF, 'fd_prestat_get(stdout)': BADF,
        'fd_renumber(99, 1)': BADF, 'fd_read(iovec outside memory)': FAULT,
      });
    },
  },
];
