// What bench/kernel.ts (host) hands bench/kernel-guest.ts (in the VM), and what comes back.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetPrograms } from './net-load.js';

/** The network part: the example servers under the same clients as bench:net (bench/lib/net-load.ts). */
export interface KernelNetPlan {
  programs: NetPrograms;
  /** the syscall-cost probe (bench/net/syscall-cost.c), run in the guest too */
  syscallCost: string;
  /** the directory httpd serves */
  www: string;
  /** wrk's path: a small file under www */
  path: string;
  /** each load's duration */
  ms: number;
}

export interface KernelBenchPlan {
  reps: number;
  cli: string;
  programs: { name: string; kind: string; native: string; wasm: string; args: string[]; dirs: string[] }[];
  net?: KernelNetPlan;
}
export interface KernelBenchRun { program: string; runner: string; rep: number; ok: boolean; error?: string; wallMs: number; runMs?: number; checksum?: string }
/** One network load run in the guest: `@@BENCH-NET {json}`. */
export interface KernelNetRun { case: string; runner: string; ok: boolean; error?: string; rps?: number; p50us?: number; p99us?: number }
export const RUNNERS = ['native', 'kwasm-jit', 'kwasm-jit --kernel'] as const;
/** Written by the host before boot (the guest root is read-only). */
export const PLAN_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'bench', 'kernel-plan.json');
