// Host-side: the TypeScript mirror of the ioctl ABI (kernel-loader/ioctl.ts) agrees with the C
// header kwasm.ko is built from (kernel-loader/kmod/kwasm_ioctl.h): struct sizes, every field
// offset written in the header's comments, and the command numbers. The module itself checks the
// sizes with BUILD_BUG_ON, so header comments, C layout and TypeScript cannot drift apart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../kernel-loader/vm/harness.js';
import { TRACE_STRUCT, KWASM_IOC_TRACE, MAX_TRACE_FRAMES } from '../../kernel-loader/ioctl.js';
import {
  VERSION_STRUCT, LOAD_STRUCT, INVOKE_STRUCT, MEM_RW_STRUCT, FD_ENTRY_STRUCT, FDS_STRUCT, ARGS_STRUCT, FdKindCode, FdEntryFlag, MAX_KERNEL_FDS, MAX_ARGS_BYTES,
  Status, KWASM_IOC, IOC_MAGIC, KWASM_IOCTL_VERSION, ioc, GLOBAL_STRUCT, KWASM_IOC_GLOBAL, GLOBAL_WRITE,
} from '../../kernel-loader/ioctl.js';
import { KERNEL_HOST } from '../../kernel-loader/loader.js';
import { WASI_FUNCTIONS } from '../../jit/wasi/imports.js';

const header = readFileSync(join(repoRoot(), 'kernel-loader', 'kmod', 'kwasm_ioctl.h'), 'utf8');
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function cStruct(name: string): Map<string, number> {
  const body = new RegExp(`struct ${name} \\{([\\s\\S]*?)\\};`).exec(header)?.[1];
  if (!body) throw new Error(`struct ${name} not in header`);
  const fields = new Map<string, number>();
  for (const m of body.matchAll(/__u(?:32|64)\s+(\w+)(?:\[\d+\])?;\s*\/\*\s*(\d+)/g)) fields.set(camel(m[1] as string), Number(m[2]));
  return fields;
}

function define(name: string): number {
  const m = new RegExp(`#define ${name}\\s+(\\w+)`).exec(header);
  if (!m) throw new Error(`${name} not in header`);
  return Number(m[1]);
}

const cases: Array<[string, string, Record<string, number>]> = [
  ['kwasm_version', 'KWASM_VERSION_SIZE', VERSION_STRUCT],
  ['kwasm_load', 'KWASM_LOAD_SIZE', LOAD_STRUCT],
  ['kwasm_invoke', 'KWASM_INVOKE_SIZE', INVOKE_STRUCT],
  ['kwasm_mem_rw', 'KWASM_MEM_RW_SIZE', MEM_RW_STRUCT],
  ['kwasm_trace', 'KWASM_TRACE_SIZE', TRACE_STRUCT],
  ['kwasm_fd_entry', 'KWASM_FD_ENTRY_SIZE', FD_ENTRY_STRUCT],
  ['kwasm_fds', 'KWASM_FDS_SIZE', FDS_STRUCT],
  ['kwasm_args', 'KWASM_ARGS_SIZE', ARGS_STRUCT],
];

for (const [struct, sizeName, ts] of cases) {
  test(`${struct}: size and every field offset match`, () => {
    assert.is(ts.size, define(sizeName));
    const c = cStruct(struct);
    assert.ok(c.size >= 5, `parsed ${c.size} fields`);
    const tsFields = Object.fromEntries(Object.entries(ts).filter(([k]) => k !== 'size'));
    assert.equal(Object.fromEntries(c), tsFields);
  });
}

test('ioctl version and command numbers', () => {
  assert.is(define('KWASM_IOCTL_VERSION'), KWASM_IOCTL_VERSION);
  assert.is(define('KWASM_IOC_MAGIC'), IOC_MAGIC);
  // _IOR(0xB7, 0, 32 bytes) by hand, to catch a broken ioc()
  assert.is(KWASM_IOC.VERSION, 0x8020b700n);
  assert.is(KWASM_IOC.INVOKE, ioc(3, 0xb7, 2, 96));
  assert.is(KWASM_IOC.RELEASE, 0xb705n);
  const nrs = [...header.matchAll(/#define KWASM_IOC_\w+\s+_IO\w*\(KWASM_IOC_MAGIC, (\d+)/g)].map((m) => Number(m[1]));
  for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]) assert.ok(nrs.includes(n), `command ${n} defined`);
  assert.is(new Set(nrs).size, nrs.length, 'command numbers unique');
});

test('in-kernel WASI: commands 7, 8, 11, fd kinds, limits and EXIT status match', () => {
  const cmd = (name: string): [string, number, string] => {
    const m = new RegExp(`#define KWASM_IOC_${name}\\s+(_IO\\w*)\\(KWASM_IOC_MAGIC, (\\d+), struct (\\w+)\\)`).exec(header);
    if (!m) throw new Error(`KWASM_IOC_${name} not in header`);
    return [m[1] as string, Number(m[2]), m[3] as string];
  };
  assert.equal(cmd('SET_FDS'), ['_IOW', 7, 'kwasm_fds']);
  assert.equal(cmd('GET_FDS'), ['_IOWR', 8, 'kwasm_fds']);
  assert.equal(cmd('SET_ARGS'), ['_IOW', 11, 'kwasm_args']);
  assert.is(KWASM_IOC.SET_FDS, ioc(1, 0xb7, 7, 32));
  assert.is(KWASM_IOC.GET_FDS, ioc(3, 0xb7, 8, 32));
  assert.is(KWASM_IOC.SET_ARGS, ioc(1, 0xb7, 11, 40));
  assert.equal([define('KWASM_FD_STREAM'), define('KWASM_FD_FILE'), define('KWASM_FD_DIR'), define('KWASM_FD_SOCKET')],
    [FdKindCode.stream, FdKindCode.file, FdKindCode.dir, FdKindCode.socket]);
  assert.is(define('KWASM_FDE_CLOSE_HOST'), FdEntryFlag.CLOSE_HOST);
  assert.is(parseInt(/#define KWASM_MAX_FDS (\d+)u/.exec(header)?.[1] ?? '', 10), MAX_KERNEL_FDS);
  assert.is(Number(/#define KWASM_MAX_ARGS_BYTES \(1u << (\d+)\)/.exec(header)?.[1] ?? NaN), Math.log2(MAX_ARGS_BYTES));
  assert.is(define('KWASM_STATUS_EXIT'), Status.exit);
});

test('ring-0 WASI ids: the generated header has the call table\'s, and each has its C server', () => {
  // kwasm_abi.h is generated from jit/wasi/imports.ts (tests/abi checks it is not stale)
  const abi = readFileSync(join(repoRoot(), 'kernel-loader', 'kmod', 'kwasm_abi.h'), 'utf8');
  const abiDefine = (name: string): number => Number(new RegExp(`#define ${name}\\s+(\\w+)`).exec(abi)?.[1] ?? NaN);
  const kmod = (f: string): string => readFileSync(join(repoRoot(), 'kernel-loader', 'kmod', f), 'utf8');
  const servers = kmod('kwasm_wasi.c') + kmod('kwasm_main.c');
  assert.ok(Object.keys(KERNEL_HOST).length >= 15);
  for (const [name, id] of Object.entries(KERNEL_HOST)) {
    const c = `KWASM_HOST_WASI_${name.replace('wasi_snapshot_preview1.', '').toUpperCase()}`;
    assert.is(abiDefine(c), id, c);
    assert.ok(new RegExp(`(case|==) ${c}\\b`).test(servers), `${c} has a server in kmod/kwasm_wasi.c (or kwasm_main.c)`);
    assert.not.ok(new RegExp(`#define ${c}\\b`).test(header), `${c} is defined once, in kwasm_abi.h`);
  }
  assert.is(abiDefine('KWASM_HOST_COUNT'), Math.max(...Object.values(KERNEL_HOST)) + 1);
  // run_until_exit hands a ring-0 call at most KWASM_SERVED_SLOTS slots; a wider one would always exit
  const servedSlots = Number(/#define KWASM_SERVED_SLOTS (\d+)/.exec(kmod('kwasm_main.c'))?.[1] ?? NaN);
  for (const f of WASI_FUNCTIONS.filter((x) => x.ring0 !== undefined)) {
    assert.ok(Math.max(f.params.length, f.results.length) <= servedSlots, `${f.name}'s slots fit KWASM_SERVED_SLOTS (${servedSlots})`);
  }
});

test('TRACE: command 9, read-write, its limit', () => {
  assert.ok(/#define KWASM_IOC_TRACE\s+_IOWR\(KWASM_IOC_MAGIC, 9, struct kwasm_trace\)/.test(header));
  assert.is(KWASM_IOC_TRACE, ioc(3, 0xb7, 9, 40));
  assert.is(define('KWASM_MAX_TRACE_FRAMES'), MAX_TRACE_FRAMES);
});

test('GLOBAL: command 10, read-write, kwasm_global layout; description layout 1 constants', () => {
  assert.ok(/#define KWASM_IOC_GLOBAL\s+_IOWR\(KWASM_IOC_MAGIC, 10, struct kwasm_global\)/.test(header));
  assert.is(KWASM_IOC_GLOBAL, ioc(3, 0xb7, 10, 24));
  assert.is(GLOBAL_STRUCT.size, define('KWASM_GLOBAL_SIZE'));
  assert.equal(Object.fromEntries(cStruct('kwasm_global')), Object.fromEntries(Object.entries(GLOBAL_STRUCT).filter(([k]) => k !== 'size')));
  const u = (name: string): number => parseInt(new RegExp(`#define ${name}\\s+(\\w+)`).exec(header)?.[1] ?? '', 10); // 1u -> 1
  assert.is(u('KWASM_GLOBAL_WRITE'), GLOBAL_WRITE);
  assert.equal([u('KWASM_DESC_LAYOUT_TABLES'), u('KWASM_DESC_TABLE_V1_SIZE'), u('KWASM_DESC_SEG_SIZE')], [1, 16, 16]);
  assert.equal([u('KWASM_REF_FUNC'), u('KWASM_REF_EXTERN'), u('KWASM_SEG_DROPPED')], [0, 1, 1]);
});

test.run();
