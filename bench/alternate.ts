// Start-up A/B: runs two or more commands alternately (A B C A B C ...) so load that comes and goes
// hits all alike, and prints each one's median CPU (child + its threads, bench/lib/child-cpu.ts)
// and wall time. For changes of a few milliseconds, where whole-process CPU needs 20-60 runs.
//
//   node dist/bench/alternate.js 41 -- node bin/kwasm-jit.js run examples/hello.wasm -- node -e 0
import { childCost } from './lib/child-cpu.js';
import { median } from './lib/stats.js';

const args = process.argv.slice(2);
const runs = Number(args[0]);
const cmds: string[][] = [];
for (const a of args.slice(1)) {
  if (a === '--') cmds.push([]);
  else cmds[cmds.length - 1]?.push(a);
}
if (!Number.isInteger(runs) || runs < 1 || cmds.length === 0 || cmds.some((c) => c.length === 0)) {
  console.error('usage: alternate.js RUNS -- CMD ARGS... [-- CMD ARGS...]');
  process.exit(2);
}
const cpu: number[][] = cmds.map(() => []), wall: number[][] = cmds.map(() => []);
for (let r = 0; r < runs; r++) {
  cmds.forEach((c, i) => { const x = childCost(c); cpu[i].push(x.cpu); wall[i].push(x.wall); });
}
cmds.forEach((c, i) => console.log(`cpu ${median(cpu[i]).toFixed(1).padStart(7)} ms  wall ${median(wall[i]).toFixed(1).padStart(7)} ms  ${c.join(' ')}`));
