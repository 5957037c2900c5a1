// jit/runtime/ffi.ts: ffi-rs loaded with its glibc/musl question answered from /proc/self/maps
// instead of a full process.report.getReport().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const realGetReport = process.report.getReport;
const { libcOfMaps, bindingPackage, open, define, DataType } = await import('../../jit/runtime/ffi.js');

const line = (path: string): string => `7f0d8312f000-7f0d83155000 r-xp 00026000 fe:00 339380                     ${path}`;

test('libcOfMaps: glibc (current and before 2.34), musl (Alpine and others), neither, both', () => {
  const node = line('/usr/bin/node'), ld = line('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  assert.is(libcOfMaps([node, line('/usr/lib/x86_64-linux-gnu/libc.so.6'), ld].join('\n')), 'glibc');
  assert.is(libcOfMaps([node, line('/lib/x86_64-linux-gnu/libc-2.31.so'), ld].join('\n')), 'glibc');
  assert.is(libcOfMaps([node, line('/lib/ld-musl-x86_64.so.1')].join('\n')), 'musl');
  assert.is(libcOfMaps([node, line('/lib/ld-musl-aarch64.so.1'), line('/usr/lib/libstdc++.so.6.0.32')].join('\n')), 'musl');
  assert.is(libcOfMaps([node, line('/usr/lib/libc.musl-x86_64.so.1')].join('\n')), 'musl');
  // a static binary, or a mapping we cannot tell: no answer (ffi-rs then asks Node itself)
  assert.is(libcOfMaps([node, line('[heap]'), line('/usr/lib/libcrypto.so.3'), line('/usr/lib/libc.so.6.bak')].join('\n')), undefined);
  assert.is(libcOfMaps([line('/usr/lib/libc.so.6'), line('/lib/ld-musl-x86_64.so.1')].join('\n')), undefined);
});

test('on this machine the maps say what Node\'s own report says', () => {
  const header = (realGetReport.call(process.report) as { header: { glibcVersionRuntime?: string } }).header;
  assert.is(libcOfMaps(readFileSync('/proc/self/maps', 'latin1')), header.glibcVersionRuntime ? 'glibc' : 'musl');
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
  const libc = libcOfMaps(readFileSync('/proc/self/maps', 'latin1'));
  assert.ok(libc !== undefined);
  const name = bindingPackage(process.platform, process.arch, libc);
  assert.ok(name !== undefined);
  const ours = createRequire(new URL('../../jit/runtime/ffi.js', import.meta.url)).resolve(name);
  // ffi-rs's index.js requires the package by name from its own directory
  const fromFfi = createRequire(createRequire(import.meta.url).resolve('ffi-rs')).resolve(name.split('/').slice(0, 2).join('/'));
  assert.is(ours, fromFfi);
  // ffi.js loaded it without running ffi-rs's index.js
  const cache = createRequire(import.meta.url).cache;
  assert.ok(cache[ours] !== undefined);
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

test.run();
