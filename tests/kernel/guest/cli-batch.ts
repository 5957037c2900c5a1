// Runs several `kwasm-jit run` command lines in this one process (node start-up under TCG costs
// seconds each), one after the other, for tests/kernel/guest/cli.guest.ts. Each run's stdout and
// stderr are framed by markers written straight to fds 1 and 2 (writeSync, like the programs' own
// writes: in the kernel, fd_write goes to the same fds), and its exit status follows on stderr.
// argv[2]: JSON array of argument lists for runCmd (`['--kernel', '--argv0', ...]`).
import { writeSync } from 'node:fs';
import { runCmd } from '../../../jit/cli/run.js';

export const mark = (i: number): string => `\u0000@@KCLI ${i}\u0000`;

const runs = JSON.parse(process.argv[2] ?? '[]') as string[][];
for (let i = 0; i < runs.length; i++) {
  writeSync(1, mark(i));
  writeSync(2, mark(i));
  const status = await runCmd(runs[i]);
  writeSync(2, `${mark(i)}status ${status}\n`);
}
