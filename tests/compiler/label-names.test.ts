// The disassembler's label names of a compiled module (CompiledModule.labelNames): every
// function's name at its offset (name section, else export name, else `func[N]`; imports at
// their host-call thunks), the compiler's own labels (traps, constants) at theirs. The compile
// leaves function labels unnamed and labelNameMap (function-names.ts) names them when the map is
// first read, so these names are the only evidence the disassembly keeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { wat } from '../jit/wat.js';

const src = `(module
  (import "env" "log" (func $log (param i32)))
  (func $named (param i32) (result i32) (i32.div_s (local.get 0) (i32.const 3)))
  (func (export "exported") (result f64) (f64.const 2.5))
  (func (call 0 (i32.const 1))))`;

test('function names at function offsets, compiler labels kept, the map built once', () => {
  for (const names of [true, false]) {
    const m = compileModule(wat(src, { names }));
    const at = (f: number): string | undefined => m.labelNames.get(m.funcOffsets[f]);
    assert.is(at(0), names ? 'log' : 'func[0]', 'an import, at its thunk');
    assert.is(at(1), names ? 'named' : 'func[1]');
    assert.is(at(2), 'exported');
    assert.is(at(3), 'func[3]');
    const fnOffsets = new Set(m.funcOffsets);
    const others = [...m.labelNames].filter(([o]) => !fnOffsets.has(o)).map(([, n]) => n);
    assert.ok(others.length > 0, `compiler labels besides the functions: ${others.join(', ')}`);
    assert.is(m.labelNames, m.labelNames, 'built once');
  }
});

test.run();
