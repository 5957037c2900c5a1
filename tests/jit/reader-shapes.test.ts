// InstrReader and Reader keep one V8 map (hidden class) whatever values their fields take: a u32
// immediate or f32/f64 bits >= 2^31 must not change an object's shape, or every function V8
// optimized for the old shape (validator, compiler loop, emitters) deoptimizes (U32_FIELD in
// jit/frontend/reader.ts). Checked in a child node with --allow-natives-syntax (%HaveSameMap).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';

const frontend = new URL('../../jit/frontend/', import.meta.url).href;

test('large u32 immediates and float bits leave InstrReader and Reader on the map they started with', () => {
  const script = `
    const { InstrReader } = await import(process.argv[1] + 'instr-reader.js');
    const { Reader } = await import(process.argv[1] + 'reader.js');
    // f32.const with bits 0xffffffff, f64.const with both halves 0xffffffff, i32.load with
    // align 2 and offset 0xffffffff (u32 LEB), call 0x80000000, end
    const body = new Uint8Array([0x43, 0xff, 0xff, 0xff, 0xff, 0x44, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0x28, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0b]);
    const fresh = new InstrReader(new Reader(body));
    const used = new InstrReader(new Reader(body));
    used.reset(0, body.length, 0);
    while (!used.atEnd()) used.next();
    console.log(JSON.stringify({ instr: %HaveSameMap(fresh, used), reader: %HaveSameMap(fresh.r, used.r), hi: used.hi, offset: used.memOffset, index: used.index }));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, frontend], { encoding: 'utf8' });
  assert.equal(JSON.parse(out), { instr: true, reader: true, hi: 0xffffffff, offset: 0xffffffff, index: 0x80000000 });
});

test.run();
