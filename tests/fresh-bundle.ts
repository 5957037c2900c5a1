// Imported for its effect by every test module that runs the CLI (and by tests/run.ts, before it
// starts any): bin/kwasm-jit.js runs the bundle (dist/bundle/, jit/cli/bundle.ts) when it is at
// least as new as the tsc output, else the tsc output. After a tsc-only rebuild the bundle is
// stale; rebuilt here, so the CLI tests test what a user runs, never old code.
import { ensureBundle } from '../jit/cli/bundle.js';

await ensureBundle();
