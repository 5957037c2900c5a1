// Node options for our worker threads (the parallel compile's pool, the cache's store worker).

/**
 * The process's options (so `--cpu-prof` and the like reach workers too) but those that would
 * make a worker run another script instead of its own: `-e`/`-p` and their script,
 * `--input-type` (a worker started from `node -e` otherwise evaluates that script again and
 * never does its own work).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^-[ep]+$/.test(a) || a === '--eval' || a === '--print' || a === '--input-type') { i++; continue; }
    if (a.startsWith('--eval=') || a.startsWith('--print=') || a.startsWith('--input-type=')) continue;
    out.push(a);
  }
  return out;
}
