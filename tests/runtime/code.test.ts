import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assembler } from '../../backend-x64/index.js';
import { Trap, loadCode } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { encodeImage, decodeImage } from '../../abi/image.js';
import { assembleImage, CALL_BODIES } from './asm-helpers.js';
import { native } from '../../jit/runtime/native.js';
import { SO_DATA } from '../../jit/runtime/so-layout.js';

test('images load as they are: calls inside the image and to the trap stubs through the vmctx (and survive the binary form)', () => {
  const img = decodeImage(encodeImage(assembleImage(CALL_BODIES)));
  const code = loadCode(img);
  const ctx = new ExecContext();
  const i32 = { params: ['i32'], results: ['i32'] } as const;
  assert.equal(ctx.call(code.functionAddress(0), i32, [14]), [43]);
  const trap = (i: number): Trap => {
    try { ctx.call(code.functionAddress(i), { params: [], results: [] }, []); } catch (e) { if (e instanceof Trap) return e; throw e; }
    throw new Error('no trap');
  };
  const t2 = trap(2);
  assert.is(t2.kind, 'integerOverflow');
  assert.is(t2.functionIndex, 2);
  assert.is(t2.message, 'integer overflow');
  assert.is(trap(3).kind, 'indirectCallTypeMismatch');
  code.dispose();
  ctx.dispose();
});

test('hundreds of code blobs: each is registered for traps, and disposed ranges are reused', () => {
  const ctx = new ExecContext();
  const count = (): number => Number(native().data.readBigUInt64LE(SO_DATA.rangeCount));
  const blob = (): ReturnType<typeof loadCode> => {
    const a = new Assembler();
    a.ud2();
    return loadCode({ code: a.finish().code, functions: [{ offset: 0, size: 2, typeIndex: 0 }] });
  };
  const kindOf = (c: ReturnType<typeof loadCode>): string => {
    try { ctx.call(c.functionAddress(0), { params: [], results: [] }, []); } catch (e) { if (e instanceof Trap) return e.kind; throw e; }
    return 'none';
  };
  const first = [...Array(300)].map(blob);
  const high = count();
  assert.is(kindOf(first[0]!), 'unreachable');
  assert.is(kindOf(first[299]!), 'unreachable');
  for (const c of first) c.dispose();
  const second = [...Array(300)].map(blob);
  assert.is(count(), high);
  assert.is(kindOf(second[150]!), 'unreachable');
  for (const c of second) c.dispose();
  ctx.dispose();
});

test.run();
