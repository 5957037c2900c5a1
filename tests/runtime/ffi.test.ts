// jit/runtime/ffi.ts: ffi-rs's binding loaded with its glibc/musl question answered from node's
// ELF program interpreter instead of a full process.report.getReport().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';

const realGetReport = process.report.getReport;
const { libcOfLoader, elfInterpreter, bindingPackage, open, define, defineLazily, DataType } = await import('../../jit/runtime/ffi.js');

/** node's executable's first 4 KiB (not the whole ~100 MB file) */
function nodeHead(): Buffer {
  const fd = openSync(process.execPath, 'r');
  try {
    const b = Buffer.alloc(4096);
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

test('libcOfLoader: glibc\'s and musl\'s dynamic loaders on the usual architectures, nothing else', () => {
  assert.is(libcOfLoader('/lib64/ld-linux-x86-64.so.2'), 'glibc');
  assert.is(libcOfLoader('/lib/ld-linux-aarch64.so.1'), 'glibc');
  assert.is(libcOfLoader('/lib/ld-linux-riscv64-lp64d.so.1'), 'glibc');
  assert.is(libcOfLoader('/lib/ld-musl-x86_64.so.1'), 'musl');
  assert.is(libcOfLoader('/lib/ld-musl-aarch64.so.1'), 'musl');
  assert.is(libcOfLoader('/nix/store/x/lib/ld-linux-x86-64.so.2'), 'glibc');
  assert.is(libcOfLoader('/system/bin/linker64'), undefined);
  assert.is(libcOfLoader('/lib/ld-linux-x86-64.so.2.bak'), undefined);
  assert.is(libcOfLoader('/lib/ld-linux.so.2'), 'glibc');
  assert.is(libcOfLoader('/lib/ld-linux-x86-64.so.'), undefined, 'no version');
  assert.is(libcOfLoader('/lib/ld-linux-x86-64.so.2x'), undefined);
  assert.is(libcOfLoader('ld-linux-x86-64.so.2'), undefined, 'not a path');
  assert.is(libcOfLoader('/lib/ld-musl-.so.1'), undefined, 'no architecture');
  assert.is(libcOfLoader('/lib/ld-musl-x86_64.so.2'), undefined);
  assert.is(libcOfLoader('/lib/ld-linux/x.so.2'), undefined);
});

test('elfInterpreter: node\'s own, and nothing from a truncated, foreign or static header', () => {
  const head = nodeHead();
  const interp = elfInterpreter(head);
  assert.ok(interp !== undefined && interp.startsWith('/'), String(interp));
  assert.is(elfInterpreter(head.subarray(0, 40)), undefined);
  assert.is(elfInterpreter(new TextEncoder().encode('#!/bin/sh\n'.padEnd(128, ' '))), undefined);
  // a header whose program headers hold no PT_INTERP (a static executable): type 3 rewritten to PT_NULL
  const copy = Uint8Array.from(head);
  const b = Buffer.from(copy.buffer);
  const phoff = Number(b.readBigUInt64LE(0x20));
  for (let i = 0; i < b.readUInt16LE(0x38); i++) if (b.readUInt32LE(phoff + i * b.readUInt16LE(0x36)) === 3) b.writeUInt32LE(0, phoff + i * b.readUInt16LE(0x36));
  assert.is(elfInterpreter(copy), undefined);
});

test('on this machine node\'s interpreter says what Node\'s own report says', () => {
  const header = (realGetReport.call(process.report) as { header: { glibcVersionRuntime?: string } }).header;
  const interp = elfInterpreter(nodeHead());
  assert.is(libcOfLoader(interp ?? ''), header.glibcVersionRuntime ? 'glibc' : 'musl');
});

test('loading ffi-rs leaves process.report.getReport as it was, and the binding works', () => {
  assert.is(process.report.getReport, realGetReport);
  open({ library: 'libc-ffi-test', path: '' });
  const libc = define({ getpid: { library: 'libc-ffi-test', retType: DataType.I32, paramsType: [] } });
  assert.is(libc.getpid([]), process.pid);
});

test('bindingPackage: the names ffi-rs\'s index.js requires on Linux; none where its pattern differs', () => {
  assert.is(bindingPackage('linux', 'x64', 'glibc'), '@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node');
  assert.is(bindingPackage('linux', 'x64', 'musl'), '@yuuang/ffi-rs-linux-x64-musl/ffi-rs.linux-x64-musl.node');
  assert.is(bindingPackage('linux', 'arm64', 'glibc'), '@yuuang/ffi-rs-linux-arm64-gnu/ffi-rs.linux-arm64-gnu.node');
  assert.is(bindingPackage('linux', 'arm', 'glibc'), undefined); // gnueabihf
  assert.is(bindingPackage('darwin', 'arm64', 'glibc'), undefined);
});

test('the binding loaded directly is the one ffi-rs itself loads on this machine', () => {
  const libc = libcOfLoader(elfInterpreter(nodeHead()) ?? '');
  assert.ok(libc !== undefined);
  const name = bindingPackage(process.platform, process.arch, libc);
  assert.ok(name !== undefined);
  const ours = createRequire(new URL('../../jit/runtime/ffi.js', import.meta.url)).resolve(name);
  // ffi-rs's index.js requires the package by name from its own directory
  const fromFfi = createRequire(createRequire(import.meta.url).resolve('ffi-rs')).resolve(name.split('/').slice(0, 2).join('/'));
  assert.is(ours, fromFfi);
  // ffi.js loaded that very file (mapped in this process), with process.dlopen, not through
  // require's resolver (no module record), and without running ffi-rs's index.js
  const maps = readFileSync('/proc/self/maps', 'latin1');
  assert.ok(maps.includes(realpathSync(ours)), `${realpathSync(ours)} mapped`);
  const cache = createRequire(import.meta.url).cache;
  assert.is(cache[ours], undefined);
  assert.is(cache[createRequire(import.meta.url).resolve('ffi-rs')], undefined);
});

test('define: errno results as ffi-rs\'s, array parameter types refused loudly', () => {
  open({ library: 'libc-ffi-test2', path: '' });
  const libc = define({ close: { library: 'libc-ffi-test2', retType: DataType.I32, paramsType: [DataType.I32], errno: true } });
  const r = libc.close([-1]) as { value: number; errnoCode: number };
  assert.is(r.value, -1);
  assert.is(r.errnoCode, 9); // EBADF
  assert.throws(() => define({ f: { library: 'libc-ffi-test2', retType: DataType.I32, paramsType: [DataType.I32Array] } }), /array parameter types are not supported/);
});

test('defineLazily: the table is made and defined at the first fns() only, once (a start calling none of it builds none)', () => {
  open({ library: 'libc-ffi-test3', path: '' });
  let made = 0;
  const fns = defineLazily(() => { made++; return { getpid: { library: 'libc-ffi-test3', retType: DataType.I32, paramsType: [] } }; });
  assert.is(made, 0);
  assert.is(fns().getpid([]), process.pid);
  assert.is(fns().getpid([]), process.pid);
  assert.is(made, 1);
  const bad = defineLazily(() => ({ f: { library: 'libc-ffi-test3', retType: DataType.I32, paramsType: [DataType.I32Array] } }));
  assert.throws(() => bad(), /array parameter types are not supported/, 'refused loudly at first use');
});

test.run();
