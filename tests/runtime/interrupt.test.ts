import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { AluOp, Cond, rcx, rsp } from '../../backend-x64/index.js';
import { Trap } from '../../jit/runtime/index.js';
import { ExecContext } from './exec-context.js';
import { TrapCode } from '../../abi/traps.js';
import { assemble, vm } from './asm-helpers.js';

// An endless loop whose header checks rsp against stackLimit (the ABI's interrupt check).
const code = assemble([
  (a) => {
    const top = a.newLabel(), ok = a.newLabel();
    a.aluRR(AluOp.XOR, 32, rcx, rcx);
    a.bind(top);
    a.aluRM(AluOp.CMP, 64, rsp, vm('stackLimit'));
    a.jcc(Cond.AE, ok);
    a.callM(vm('trapStubs', 8 * TrapCode.stackOverflow));
    a.bind(ok);
    a.aluRI(AluOp.ADD, 32, rcx, 1);
    a.jmp(top);
  },
]);
const runtimeIndex = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'jit', 'runtime', 'index.js');

test('a worker thread interrupts an endless wasm loop (timeout without any host call)', async () => {
  const ctx = new ExecContext();
  for (let round = 0; round < 3; round++) {
    // the clock starts before the worker does: its 100 ms timer runs after this on a loaded
    // machine too, so the lower bound below proves the loop really ran until interrupted
    const t0 = Date.now();
    const w = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.rt).then((rt) => {
        parentPort.postMessage('ready');
        setTimeout(() => rt.requestInterrupt(workerData.targets), 100);
      });`, { eval: true, workerData: { rt: runtimeIndex, targets: ctx.interruptTargets() } });
    await new Promise((r) => w.once('message', r));
    let t: unknown;
    try { ctx.call(code.functionAddress(0), { params: [], results: [] }, []); } catch (e) { t = e; }
    assert.instance(t, Trap);
    assert.is((t as Trap).kind, 'interrupted');
    assert.ok(Date.now() - t0 >= 50);
    await w.terminate();
  }
  ctx.dispose();
});

test.run();
