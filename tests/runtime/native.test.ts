import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Assembler, rax } from '../../backend-x64/index.js';
import { native } from '../../jit/runtime/native.js';
import { buildRuntimeObject } from '../../jit/runtime/runtime-object.js';
import { loadCode, RESERVATION } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { TRAP_SIGNALS } from '../../abi/traps.js';
import { define, DataType } from '../../jit/runtime/ffi.js';
import { mmapAnon, munmap, view, PROT } from '../../jit/runtime/libc.js';
import { SO_DATA, ALTSTACK_SIZE } from '../../jit/runtime/so-layout.js';

function readelf(args: string[], bytes: Uint8Array): { out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-elf-'));
  try {
    const p = join(dir, 'rt.so');
    writeFileSync(p, bytes);
    const r = spawnSync('readelf', [...args, p], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return { out: r.stdout, err: r.stderr };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('the runtime .so is a well-formed ELF shared object (readelf, no warnings)', () => {
  const { out, err } = readelf(['-hlSdW', '--dyn-syms'], buildRuntimeObject());
  assert.is(err, '');
  assert.match(out, /Type:\s+DYN/);
  assert.match(out, /Machine:\s+Advanced Micro Devices X86-64/);
  const loads = [...out.matchAll(/^\s+LOAD\s+.*\s([R ][W ][E ])\s+0x1000$/gm)].map((m) => m[1]);
  assert.equal(loads, ['R E', 'RW ']); // text R+X, data R+W, nothing writable and executable
  assert.match(out, /GNU_STACK\s+.*\sRW\s/);
  assert.match(out, /\(HASH\)/);
  assert.match(out, /\(SONAME\)\s+Library soname: \[libkwasm-rt\.so\]/);
  for (const s of ['kwasm_enter', 'kwasm_resume', 'kwasm_info', 'kwasm_setup', 'kwasm_sigreturn', 'kwasm_signal_handler', 'kwasm_hostcall_stub', 'kwasm_trap_landing']) {
    assert.match(out, new RegExp(`FUNC\\s+GLOBAL\\s+DEFAULT\\s+4 ${s}$`, 'm'));
  }
  assert.match(out, /OBJECT\s+GLOBAL\s+DEFAULT\s+6 kwasm_data$/m);
  assert.not.match(out, /REL/); // no relocation sections or entries
});

test('glibc resolves every exported symbol through our DT_HASH (dlopen + dlsym from C)', () => {
  const bytes = buildRuntimeObject();
  const { out } = readelf(['--dyn-syms', '-W'], bytes);
  const syms = [...out.matchAll(/^\s+\d+: ([0-9a-f]{16})\s+\d+ (?:FUNC|OBJECT)\s+GLOBAL\s+DEFAULT\s+\d+ (\w+)$/gm)]
    .map((m) => ({ value: BigInt('0x' + m[1]), name: m[2]! }));
  assert.ok(syms.length >= 20);
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-dl-'));
  try {
    writeFileSync(join(dir, 'rt.so'), bytes);
    const c = `#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\n#include <link.h>\nint main(int c, char **v) {
      void *h = dlopen(v[1], RTLD_NOW | RTLD_LOCAL); if (!h) { puts(dlerror()); return 1; }
      struct link_map *lm; dlinfo(h, RTLD_DI_LINKMAP, &lm);
      for (int i = 2; i < c; i++) { char *a = dlsym(h, v[i]); printf("%s %lx\\n", v[i], a ? (unsigned long)(a - (char *)lm->l_addr) : 0UL); }
      return 0; }`;
    writeFileSync(join(dir, 'dl.c'), c);
    const cc = spawnSync('gcc', ['-o', join(dir, 'dl'), join(dir, 'dl.c')], { encoding: 'utf8' });
    assert.is(cc.status, 0, cc.stderr);
    const r = spawnSync(join(dir, 'dl'), [join(dir, 'rt.so'), ...syms.map((x) => x.name), 'no_such_symbol'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stdout + r.stderr);
    const got = new Map(r.stdout.trim().split('\n').map((l) => { const [n, v] = l.split(' '); return [n!, BigInt('0x' + v)]; }));
    for (const x of syms) assert.is(got.get(x.name), x.value, x.name);
    assert.is(got.get('no_such_symbol'), 0n);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the signal handler is installed for every trap signal on an alternate stack', () => {
  const n = native();
  const status = readFileSync('/proc/self/status', 'utf8');
  const caught = BigInt('0x' + /SigCgt:\s+([0-9a-f]+)/.exec(status)![1]);
  for (const sig of TRAP_SIGNALS) assert.ok((caught >> BigInt(sig - 1)) & 1n, `signal ${sig} caught`);
  assert.ok(n.addr.signalHandler > n.addr.textStart && n.addr.signalHandler < n.addr.textEnd);
});

test('kwasm_setup: the handler with SA_ONSTACK and our restorer, an alternate stack, and a second setup changes nothing', () => {
  const n = native();
  const fns = define({
    kwasm_setup: { library: 'kwasm_rt', retType: DataType.BigInt, paramsType: [] },
    sigaction: { library: 'libc', retType: DataType.I32, paramsType: [DataType.I32, DataType.BigInt, DataType.BigInt] },
    sigaltstack: { library: 'libc', retType: DataType.I32, paramsType: [DataType.BigInt, DataType.BigInt] },
  });
  const prev = TRAP_SIGNALS.map((sig) => n.data.readBigUInt64LE(SO_DATA.prevHandlers + 8 * sig));
  for (const p of prev) assert.is.not(p, n.addr.signalHandler);
  // again: the same data, the handlers found already ours, the recorded previous ones kept
  assert.is(fns.kwasm_setup([]), n.addr.data);
  assert.equal(TRAP_SIGNALS.map((sig) => n.data.readBigUInt64LE(SO_DATA.prevHandlers + 8 * sig)), prev);
  const scratchAddr = mmapAnon(4096n, PROT.READ | PROT.WRITE);
  try {
    const scratch = view(scratchAddr, 4096);
    const sigreturn = n.addr.textStart + BigInt(soSymbol('kwasm_sigreturn') - soSymbol('kwasm_enter'));
    for (const sig of TRAP_SIGNALS) {
      assert.is(fns.sigaction([sig, 0n, scratchAddr]), 0);
      // glibc's struct sigaction: handler 0, flags 136, restorer 144
      assert.is(scratch.readBigUInt64LE(0), n.addr.signalHandler, `signal ${sig}`);
      const flags = scratch.readInt32LE(136);
      assert.is(flags & (0x4 | 0x08000000 | 0x04000000 | 0x40000000), 0x4 | 0x08000000 | 0x04000000, `signal ${sig} flags ${flags.toString(16)}`);
      assert.is(scratch.readBigUInt64LE(144), sigreturn);
    }
    // stack_t: sp 0, flags 8, size 16; enabled, and ours (a guard page below it) unless one was there
    assert.is(fns.sigaltstack([0n, scratchAddr]), 0);
    assert.is(scratch.readInt32LE(8) & 2, 0, 'alternate stack enabled');
    const sp = scratch.readBigUInt64LE(0), size = scratch.readBigUInt64LE(16);
    assert.ok(size >= 8192n);
    if (size === BigInt(ALTSTACK_SIZE)) {
      assert.is(mapsLine(sp), 'rw-p');
      assert.is(mapsLine(sp - 1n), '---p');
    }
  } finally { munmap(scratchAddr, 4096n); }
});

/** A symbol's offset in the .so's text (readelf), for addresses native() does not report. */
function soSymbol(name: string): number {
  const { out } = readelf(['--dyn-syms', '-W'], buildRuntimeObject());
  const m = new RegExp(`^\\s+\\d+: ([0-9a-f]{16})\\s+\\d+ FUNC\\s+GLOBAL\\s+DEFAULT\\s+\\d+ ${name}$`, 'm').exec(out);
  assert.ok(m, name);
  return Number.parseInt(m![1]!, 16);
}

function mapsLine(addr: bigint): string | undefined {
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (m && addr >= BigInt('0x' + m[1]) && addr < BigInt('0x' + m[2])) return m[3];
  }
  return undefined;
}

/** Is there exactly the mapping [start, start + size) with these perms? */
function hasMapping(start: bigint, size: bigint, perms: string): boolean {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').some((line) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (!m) return false;
    const lo = BigInt('0x' + m[1]), hi = BigInt('0x' + m[2]);
    return m[3] === perms && lo === start && hi - lo === size;
  });
}

test('W^X: compiled code and the runtime .so are never writable and executable', () => {
  const a = new Assembler();
  a.movRI(32, rax, 7);
  a.ret();
  const out = a.finish();
  const code = loadCode({ code: out.code, functions: [{ offset: 0, size: out.codeSize, typeIndex: 0 }] });
  assert.is(mapsLine(code.base), 'r-xp');
  const ctx = new ExecContext({ memory: { initial: 1 } });
  assert.equal(ctx.call(code.functionAddress(0), { params: [], results: ['i32'] }, []), [7]);
  assert.is(mapsLine(native().addr.enter), 'r-xp');
  assert.is(mapsLine(native().addr.data), 'rw-p');
  assert.is(mapsLine(ctx.memory!.base), 'rw-p');
  assert.is(mapsLine(ctx.memory!.base + 65536n), '---p');
  assert.is(mapsLine(ctx.stack.guardLo), '---p');
  // none of our mappings is rwx (V8's own code space is not ours to judge)
  for (const p of [code.base, native().addr.enter, native().addr.data, ctx.vmctx.addr, ctx.memory!.base, ctx.stack.top - 8n]) {
    assert.not.match(mapsLine(p)!, /wx/);
  }
  code.dispose();
  assert.is(mapsLine(code.base), undefined);
  const [mem, stk] = [ctx.memory!.base, ctx.stack.guardLo];
  assert.ok(hasMapping(mem + 65536n, RESERVATION - 65536n, '---p'));
  ctx.dispose();
  // (a later mapping may reuse the addresses, so look for our exact mappings, not for holes)
  assert.not.ok(hasMapping(mem + 65536n, RESERVATION - 65536n, '---p'), 'memory reservation unmapped on dispose');
  assert.not.ok(hasMapping(stk, 65536n, '---p'), 'stack guard unmapped on dispose');
});

test("V8's own WebAssembly traps still work with our handler in front (chained SIGSEGV)", () => {
  native();
  // (module (memory 1) (func (export "f") (param i32) (result i32) local.get 0 i32.load))
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1,
    7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 32, 0, 40, 2, 0, 11]);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const f = inst.exports['f'] as (x: number) => number;
  assert.is(f(0), 0);
  for (let i = 0; i < 100; i++) assert.throws(() => f(70000 + i), (e: unknown) => e instanceof WebAssembly.RuntimeError);
});

const here = dirname(fileURLToPath(import.meta.url));
const runtimeIndex = join(here, '..', '..', 'jit', 'runtime', 'index.js');
const execContext = join(here, 'exec-context.js');

function child(body: string): ReturnType<typeof spawnSync> {
  const src = `import * as rt from ${JSON.stringify(runtimeIndex)};\nimport { ExecContext } from ${JSON.stringify(execContext)};\n${body}`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8', timeout: 20000 });
}

test('a fault outside compiled code still reaches the previous handler: the child dies of SIGSEGV', () => {
  // kwasm_enter with a bogus vmctx faults inside the .so, which is not registered compiled code
  const r = child(`rt.native(); new ExecContext(); console.log('armed'); rt.native().enter(16n); console.log('survived');`);
  assert.is(r.signal, 'SIGSEGV', `status ${r.status} stderr ${r.stderr}`);
  assert.match(String(r.stdout), /armed/);
  assert.not.match(String(r.stdout), /survived/);
});

test('a signal whose previous action was SIG_DFL still has its default effect', () => {
  // Node leaves SIGILL at SIG_DFL; our handler restores that and re-raises
  const r = child(`new ExecContext(); process.kill(process.pid, 'SIGILL'); setTimeout(() => console.log('survived'), 200);`);
  assert.is(r.signal, 'SIGILL', `status ${r.status} stderr ${r.stderr}`);
  assert.not.match(String(r.stdout), /survived/);
});

test('in the same child setup, a fault in compiled code is a trap and the process exits normally', () => {
  const r = child(`
    const ctx = new ExecContext({ memory: { initial: 1 } });
    const code = rt.loadCode({ code: new Uint8Array([0x41, 0x8b, 0x86, 0, 0, 1, 0, 0xc3]), functions: [{ offset: 0, size: 8, typeIndex: 0 }] });
    try { ctx.call(code.functionAddress(0), { params: [], results: ['i32'] }, []); } catch (e) { console.log(e.name, e.message); }`);
  assert.is(r.status, 0, String(r.stderr));
  assert.match(String(r.stdout), /Trap out of bounds memory access/);
});

test.run();
