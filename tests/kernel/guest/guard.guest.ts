// Guest-side: linear memory is an 8 GiB + 64 KiB kernel virtual reservation whose first pages are
// backed; a load anywhere past them is a page fault in ring 0 that the fixup_exception kprobe
// turns into a wasm trap (no oops, nothing in dmesg).
import { suite } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { KwasmDevice, Status } from '../../../kernel-loader/ioctl.js';
import { TrapCode } from '../../../abi/traps.js';
import * as B from './blobs.js';

const test = suite('guard');
const PAGES = 1, BYTES = PAGES * 65536;

test('in-bounds loads see what MEM_WRITE stored', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: PAGES });
  const data = Buffer.alloc(8);
  data.writeUInt32LE(0xdeadbeef, 0);
  data.writeUInt32LE(0x12345678, 4);
  d.writeMemory(BYTES - 8, data);
  assert.is(d.invoke(0, [BigInt(BYTES - 8)]).retInt, 0xdeadbeefn);
  assert.is(d.invoke(0, [BigInt(BYTES - 4)]).retInt, 0x12345678n);
  assert.equal([...d.readMemory(BYTES - 8, 8)], [...data]);
  d.close();
});

const RESERVE = (8n << 30n) + 65536n;

test('loads anywhere in the 8 GiB reservation past the memory trap, 10,000 times', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32, B.RET42), memPages: PAGES });
  const started = Date.now();
  const N = 10_000;
  let x = 12345;
  for (let i = 0; i < N; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    // the first guard page, anywhere up to 4 GiB (i32 index), and up to the last u32 offset
    const off = i % 3 === 0 ? BigInt(BYTES + ((i * 4) % 4092))
      : i % 3 === 1 ? BigInt(BYTES) + BigInt(x) % ((1n << 32n) - BigInt(BYTES))
      : (1n << 32n) + BigInt(x) % ((1n << 33n) - (1n << 32n) - 4n);
    const r = d.invoke(0, [off]);
    if (!(r.status === Status.trap && r.trapCode === TrapCode.memoryOutOfBounds && r.trapPc === BigInt(B.LOAD32_PC) &&
        r.trapAddr === off && r.trapSignal === 11)) {
      assert.unreachable(`iteration ${i}, offset ${off}: ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
  }
  // the very last byte of the largest access (index 2^32-1 + offset 2^32-1 + 4 bytes) is still inside
  assert.ok((1n << 33n) + 2n <= RESERVE);
  assert.is(d.invoke(0, [(1n << 33n) - 2n]).trapCode, TrapCode.memoryOutOfBounds);
  // the instance is still healthy after the traps
  assert.is(d.invoke(1).retInt & 0xffn, 42n);
  console.log(`  ${N} out-of-bounds traps in ${Date.now() - started} ms`);
  d.close();
});

test('a memory of 0 pages is a reservation too: every access traps', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: 0 });
  for (const off of [0n, 4096n, 1n << 32n]) {
    const r = d.invoke(0, [off]);
    assert.is(r.status, Status.trap);
    assert.is(r.trapCode, TrapCode.memoryOutOfBounds);
    assert.is(r.trapAddr, off);
  }
  d.close();
});

const live = (): number[] => readFileSync('/sys/module/kwasm/parameters/live', 'utf8').trim().split(' ').map(Number);

test('every page an instance holds comes back when its file closes', () => {
  const [inst0, pages0] = live();
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.RET42), memPages: 3, stackBytes: 128 << 10 });
  // one code page, 32 stack pages, 48 memory pages
  assert.equal(live(), [(inst0 ?? 0) + 1, (pages0 ?? 0) + 1 + 32 + 48]);
  d.close();
  assert.equal(live(), [inst0, pages0]);
});

test('memory starts zeroed and backs exactly the declared pages', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: 3 });
  assert.ok(d.readMemory(0, 3 * 65536).every((b) => b === 0));
  d.writeMemory(3 * 65536 - 4, Buffer.from([1, 2, 3, 4]));
  assert.is(d.invoke(0, [BigInt(3 * 65536 - 4)]).retInt, 0x04030201n);
  assert.is(d.invoke(0, [BigInt(3 * 65536)]).trapCode, TrapCode.memoryOutOfBounds);
  d.close();
});

test('a straddling load (last 2 bytes in bounds) traps too', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32), memPages: PAGES });
  const r = d.invoke(0, [BigInt(BYTES - 2)]);
  assert.is(r.status, Status.trap);
  assert.is(r.trapCode, TrapCode.memoryOutOfBounds);
  d.close();
});

export default test;
