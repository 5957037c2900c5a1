// Guest-side: runaway wasm in ring 0 is stopped by the invoke's timeout and by SIGKILL, through
// the stack-limit check at loop headers (ARCHITECTURE.md, Kernel path).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwasmDevice, Status } from '../../../kernel-loader/ioctl.js';
import { TrapCode } from '../../../abi/traps.js';
import * as B from './blobs.js';

const test = suite('interrupt');

test('an infinite loop traps "interrupted" when the invoke timeout expires', () => {
  const d = KwasmDevice.open();
  d.load({ image: B.image(B.SPIN, B.RET42) });
  for (const ms of [50, 300]) {
    const t0 = Date.now();
    const r = d.invoke(0, [], BigInt(ms) * 1_000_000n);
    const took = Date.now() - t0;
    assert.is(r.status, Status.trap);
    assert.is(r.trapCode, TrapCode.interrupted);
    assert.ok(took >= ms && took < ms + 1000, `took ${took} ms for a ${ms} ms timeout`);
    console.log(`  ${ms} ms timeout stopped the loop after ${took} ms`);
  }
  // a timeout that does not expire changes nothing, and the instance stays usable
  assert.is(d.invoke(1, [], 5_000_000_000n).retInt & 0xffn, 42n);
  d.close();
});

test('SIGKILL stops a process spinning in ring-0 wasm within a second', async () => {
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'spin-child.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('spinning')) resolve(); });
    child.on('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  await new Promise((r) => setTimeout(r, 500)); // let it get deep into the ioctl
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now())));
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const took = (await exited) - killedAt;
  console.log(`  SIGKILL to exit: ${took} ms`);
  assert.not.ok(out.includes('returned'), out);
  assert.ok(took < 1000, `took ${took} ms`);
});

export default test;
