// Host-side (no VM): a module over one of the kernel's description limits (kwasm_ioctl.h
// KWASM_MAX_DESC_*) or with more results than the signature word can say is refused by
// kernel-loader/loader.ts with KernelUnsupportedError naming the limit, before anything is allocated
// for it and before /dev/kwasm is opened (the kernel would only answer EINVAL; 1024 tables of
// 2^20 elements would have been a 4 GiB description buffer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instantiateInKernel, KernelUnsupportedError } from '../../kernel-loader/loader.js';
import { wat } from '../jit/wat.js';

function refused(text: string, why: RegExp): void {
  assert.throws(() => instantiateInKernel(wat(text), {}, { device: '/nonexistent/kwasm' }), (e: unknown) => e instanceof KernelUnsupportedError && why.test(e.message));
}

test('more than 1024 tables', () => {
  refused(`(module ${'(table 0 funcref) '.repeat(1025)})`, /1025 tables \(the kernel takes at most 1024\)$/);
});

test('more than 2^22 table elements over all tables, each table within its own 2^20', () => {
  refused(`(module ${'(table 1048576 funcref) '.repeat(5)})`, /5242880 table elements \(all tables\)/);
  refused(`(module ${'(table 1048576 funcref) '.repeat(1024)})`, /table elements/);
});

test('more than 2^22 passive element segment items', () => {
  const items = Array(1 << 12).fill('$f').join(' ');
  refused(`(module (func $f) ${`(elem func ${items}) `.repeat(1025)})`, /4198400 passive element segment items/);
});

test('more than 64 results (KWASM_SIG_NRESULTS has 6 bits)', () => {
  refused(`(module (func (result ${'i32 '.repeat(65)}) ${'(i32.const 0) '.repeat(65)}))`, /more than 64 results/);
});

test.run();
