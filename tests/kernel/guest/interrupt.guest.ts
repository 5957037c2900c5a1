// Guest-side: runaway wasm in ring 0 is stopped by the invoke's timeout and by SIGKILL, through
// the stack-limit check at loop headers (docs/kernel.md "Stopping runaway wasm").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwasmDevice, Status } from '../../../kernel-loader/ioctl.js';
import { TrapCode } from '../../../abi/traps.js';
import * as B from './blobs.js';
import { instantiateInKernel } from '../../../kernel-loader/loader.js';

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

/** CPU time (user + system, clock ticks) of a process, from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(f[11]) + Number(f[12]);
}

/**
 * Waits until the busy loop has really run (two clock ticks of CPU), not just been spawned: under
 * TCG on a loaded host starting `sh` can take longer than a fixed sleep, and a measurement that
 * starts before the loop exists reads "the other task got 0 ms".
 */
async function hogRunning(pid: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (cpuTicks(pid) < 2) {
    if (Date.now() > until) throw new Error('the busy loop never got CPU time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('yield (KWASM_LOAD_MAY_YIELD): a long invoke shares its CPU, keeps every register, and still times out', async () => {
  // This node and a busy shell loop on CPU 0 only: without a yield the loop gets no CPU while wasm runs.
  execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const hog = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    const pid = hog.pid as number;
    await hogRunning(pid);
    const n = 50_000_000n;
    const share: Record<string, string> = {};
    for (const mayYield of [false, true]) {
      const d = KwasmDevice.open();
      d.load({ image: B.image(B.COUNT, B.SPIN), mayYield });
      const c0 = cpuTicks(pid), t0 = Date.now();
      const r = d.invoke(0, [n]);
      const ms = Date.now() - t0, ticks = cpuTicks(pid) - c0;
      assert.is(r.status, Status.returned, `mayYield ${mayYield}`);
      assert.is(r.retInt, (n * (n + 1n)) / 2n + n, 'rax, rcx and xmm3 survive every yield');
      share[String(mayYield)] = `${ms} ms of wasm, the other task got ${ticks * 10} ms`;
      if (mayYield) {
        assert.ok(ticks * 10 >= ms / 10, `the other task got ${ticks * 10} ms of CPU during ${ms} ms of yielding wasm`);
        const t1 = Date.now();
        const s = d.invoke(1, [], 300_000_000n);
        assert.is(s.status, Status.trap);
        assert.is(s.trapCode, TrapCode.interrupted, 'a yielding loop still stops at its timeout');
        share.timeout = `300 ms timeout with yields: stopped after ${Date.now() - t1} ms`;
      }
      d.close();
    }
    console.log(`  no yield: ${share.false}; yield: ${share.true}; ${share.timeout}`);
  } finally {
    hog.kill('SIGKILL');
    execFileSync('taskset', ['-pc', '0-1', String(process.pid)], { stdio: 'ignore' });
  }
});

test('compiled wasm: a loop of seconds without a timeout completes while another task on its CPU runs', async () => {
  const dir = mkdtempSync('/tmp/kwasm-yield-');
  writeFileSync(join(dir, 'l.wat'), `(module (func (export "sum") (param i32) (result i32) (local i32)
    (block (loop (br_if 1 (i32.eqz (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
    (local.get 1)))`);
  execFileSync('wat2wasm', [join(dir, 'l.wat'), '-o', join(dir, 'l.wasm')]);
  const inst = instantiateInKernel(readFileSync(join(dir, 'l.wasm')));
  execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const hog = spawn('taskset', ['-c', '0', 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    const pid = hog.pid as number, n = 100_000_000;
    await hogRunning(pid);
    const c0 = cpuTicks(pid), t0 = Date.now();
    const r = (inst.exports.sum as (n: number) => number)(n);
    const ms = Date.now() - t0, ticks = cpuTicks(pid) - c0;
    assert.is(r, Number(BigInt.asIntN(32, (BigInt(n) * BigInt(n + 1)) / 2n)));
    console.log(`  compiled loop: ${ms} ms in ring 0 with no timeout, the other task got ${ticks * 10} ms of its CPU`);
    assert.ok(ticks * 10 >= ms / 10, `the other task got ${ticks * 10} ms during ${ms} ms`);
  } finally {
    hog.kill('SIGKILL');
    execFileSync('taskset', ['-pc', '0-1', String(process.pid)], { stdio: 'ignore' });
    inst.close();
  }
});

export default test;
