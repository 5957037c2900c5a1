// The compiler's long-lived objects (the Assembler, CodeGen and its records and pools) keep the
// V8 maps and field types the first compile in a process gave them, so the next compile's fresh
// objects leave the code optimized in the first one optimized (before: popBinary's record made as
// an object literal widened its `mem` field type; label names, frames and Mem caches started as
// `[]` and changed elements kind; each deoptimized a dozen back-end functions in every compile
// after a process's first). Checked in a child node with --allow-natives-syntax
// (%HaveSameMap, %GetOptimizationStatus) on two RangeCompilers over the same module.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { wat } from '../jit/wat.js';

// Calls with stack arguments (outMems), blocks and ifs (frames, labels), locals (rbp Mems) and
// binary operations with memory operands (popBinary's record).
const MODULE = wat(`(module
  (memory 1)
  (func $many (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.add (local.get 0) (local.get 9)))
  (func (export "f") (param $n i32) (result i32) (local $a i32) (local $b i64) (local $c i32)
    (local.set $a (i32.load (local.get $n)))
    (block $out
      (loop $l
        (br_if $out (i32.eqz (local.get $n)))
        (if (i32.and (local.get $n) (i32.const 1))
          (then (local.set $a (i32.add (local.get $a) (local.get $c))))
          (else (local.set $c (i32.sub (local.get $c) (i32.load offset=8 (local.get $a))))))
        (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (local.get $a))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (call $many (local.get $a) (local.get $c) (i32.const 3) (i32.const 4) (i32.const 5)
      (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.wrap_i64 (local.get $b)))))`);

test('a second RangeCompiler starts with the maps and field types of the first, used one', () => {
  const script = `
    const jit = process.argv[1];
    const { decodeModule } = await import(jit + 'frontend/decoder.js');
    const { validateModuleInfo } = await import(jit + 'frontend/validator.js');
    const { RangeCompiler, moduleEnv } = await import(jit + 'compiler/compile-range.js');
    const { Assembler } = await import(jit + '../backend-x64/index.js');
    const info = decodeModule(new Uint8Array(Buffer.from(process.argv[2], 'base64')));
    validateModuleInfo(info);
    const n = info.funcTypeIndices.length;
    function make() {
      const asm = new Assembler(4096);
      const labels = [];
      for (let f = 0; f < n; f++) labels.push(asm.newLabel('f' + f));
      return new RangeCompiler(info, asm, moduleEnv(info, labels));
    }
    const used = make();
    used.compile(info.numImportedFuncs, n, []);
    // Fields read the way the back end reads them (private in TypeScript, plain properties here).
    const parts = (rc) => { const c = rc.fc.c; return {
      bin: c.bin, frames: c.frames, rbpUp: c.rbpUp, rbpDown: c.rbpDown, outMems: c.outMems,
      labelName: rc.asm.labelName, relNames: rc.asm.relNames }; };
    const readers = {
      bin: (o) => o.mem.disp,
      frames: (o) => o.length > 0 ? o[0].kind : -1,
      rbpUp: (o) => o.length > 2 ? o[2] : undefined,
      rbpDown: (o) => o.length > 2 ? o[2] : undefined,
      outMems: (o) => o.length > 1 ? o[1] : undefined,
      labelName: (o) => o.length > 0 ? o[0] : undefined,
      relNames: (o) => o.length > 0 ? o[0] : undefined,
    };
    const u = parts(used);
    for (const [k, f] of Object.entries(readers)) {
      %PrepareFunctionForOptimization(f); f(u[k]); f(u[k]); %OptimizeFunctionOnNextCall(f); f(u[k]);
    }
    const TURBOFANNED = 16; // a bit of %GetOptimizationStatus
    const before = Object.values(readers).every((f) => (%GetOptimizationStatus(f) & TURBOFANNED) !== 0);
    const fresh = parts(make());
    const sameMap = {}, optimized = {};
    for (const [k, f] of Object.entries(readers)) {
      sameMap[k] = %HaveSameMap(u[k], fresh[k]);
      f(fresh[k]);
      optimized[k] = (%GetOptimizationStatus(f) & TURBOFANNED) !== 0;
    }
    console.log(JSON.stringify({ before, sameMap, optimized }));`;
  const jit = new URL('../../jit/', import.meta.url).href;
  const b64 = Buffer.from(MODULE).toString('base64');
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, jit, b64], { encoding: 'utf8' });
  const all = { bin: true, frames: true, rbpUp: true, rbpDown: true, outMems: true, labelName: true, relNames: true };
  assert.equal(JSON.parse(out), { before: true, sameMap: all, optimized: all });
});

test.run();
