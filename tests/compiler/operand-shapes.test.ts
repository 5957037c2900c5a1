// Displacements reach the assembler as small integers (V8 Smis): one made from an immediate (a
// table or type index, read into a U32_FIELD: a double) was a heap number, and the encoder's
// code, optimized for small integers (`disp === 0` in encoding.ts rm), deoptimized on it and was
// re-optimized in a cold compile (bench/results/startup.md, "Cold compile round"). Checked in a
// child node with --allow-natives-syntax (%IsSmi).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';

test('call_indirect and table.size give the assembler small-integer displacements', () => {
  const script = `
    const { Assembler } = await import(process.argv[1] + 'backend-x64/assembler.js');
    const { compileModule } = await import(process.argv[1] + 'jit/compiler/module-compiler.js');
    const seen = { smi: 0, other: 0 };
    for (const name of ['movRM', 'aluRM']) {
      const f = Assembler.prototype[name];
      Assembler.prototype[name] = function (...args) {
        const m = args[args.length - 1];
        if (%IsSmi(m.disp)) seen.smi++; else seen.other++;
        return f.apply(this, args);
      };
    }
    // (module (type (func)) (type (func)) (table 1 funcref)
    //   (func (type 0) i32.const 0 call_indirect (type 1) (table 0) table.size 0 drop))
    const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 7, 2, 0x60, 0, 0, 0x60, 0, 0, 3, 2, 1, 0,
      4, 4, 1, 0x70, 0, 1, 10, 13, 1, 11, 0, 0x41, 0, 0x11, 1, 0, 0xfc, 0x10, 0, 0x1a, 0x0b]);
    compileModule(bytes, { threads: 1 });
    console.log(JSON.stringify({ used: seen.smi > 0, notSmi: seen.other }));`;
  const root = new URL('../../', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script, root], { encoding: 'utf8' });
  assert.equal(JSON.parse(out), { used: true, notSmi: 0 });
});

test.run();
