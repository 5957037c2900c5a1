// The host a measurement ran on, for its report. "AMD EPYC" alone names several generations of
// CPU, and a ratio against V8 moves between them (kwasm-jit's compile against Liftoff was
// 0.83-0.96x on one 2-core EPYC VM and 0.55-0.68x on a family 25 model 1 one, a Zen 3, with
// Liftoff's own time the same on both): the family, model and stepping say which one it was.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuinfoField } from '../../jit/cache/features.js';

/** E.g. "AMD EPYC (family 25 model 1 stepping 1), 2 cores"; the model name alone off Linux. */
export function hostCpu(cpuinfo?: string): string {
  const n = cpus().length;
  let text = cpuinfo;
  if (text === undefined) {
    try { text = readFileSync('/proc/cpuinfo', 'latin1'); } catch { text = ''; }
  }
  const field = (name: string): string | undefined => cpuinfoField(text, name, true)?.trim();
  const name = field('model name') ?? cpus()[0]?.model ?? 'unknown CPU';
  const family = field('cpu family'), model = field('model'), stepping = field('stepping');
  const id = family !== undefined && model !== undefined ? ` (family ${family} model ${model}${stepping !== undefined ? ` stepping ${stepping}` : ''})` : '';
  return `${name}${id}, ${n} core${n === 1 ? '' : 's'}`;
}
