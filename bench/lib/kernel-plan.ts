// What bench/kernel.ts (host) hands bench/kernel-guest.ts (in the VM), and what comes back.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KernelBenchPlan {
  reps: number;
  cli: string;
  programs: { name: string; kind: string; native: string; wasm: string; args: string[]; dirs: string[] }[];
}
export interface KernelBenchRun { program: string; runner: string; rep: number; ok: boolean; error?: string; wallMs: number; runMs?: number; checksum?: string }
export const RUNNERS = ['native', 'kwasm-jit', 'kwasm-jit --kernel'] as const;
/** Written by the host before boot (the guest root is read-only). */
export const PLAN_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'bench', 'kernel-plan.json');
