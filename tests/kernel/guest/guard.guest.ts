// Guest-side: linear memory in a kernel vmalloc reservation; a load from its guard page is a
// page fault in ring 0 that the fixup_exception kprobe turns into a wasm trap (no oops).
import { suite } from 'uvu';
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

test('a guard-page load is an out-of-bounds trap, 10,000 times', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.LOAD32, B.RET42), memPages: PAGES });
  const started = Date.now();
  const N = 10_000;
  let traps = 0;
  for (let i = 0; i < N; i++) {
    const off = BYTES + ((i * 4) % 4092); // anywhere in the guard page
    const r = d.invoke(0, [BigInt(off)]);
    if (r.status === Status.trap && r.trapCode === TrapCode.memoryOutOfBounds && r.trapPc === BigInt(B.LOAD32_PC) &&
        r.trapAddr === BigInt(off) && r.trapSignal === 11) traps++;
    else assert.unreachable(`iteration ${i}: ${JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  assert.is(traps, N);
  // the instance is still healthy after the traps
  assert.is(d.invoke(1).retInt & 0xffn, 42n);
  console.log(`  ${N} guard-page traps in ${Date.now() - started} ms`);
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
