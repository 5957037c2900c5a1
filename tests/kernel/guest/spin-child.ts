// Child process for the SIGKILL test (interrupt.guest.ts): enters an infinite wasm loop in ring 0
// with no timeout and waits to be killed. Prints "spinning" just before the ioctl.
import { KwasmDevice } from '../../../kernel-loader/ioctl.js';
import * as B from './blobs.js';

const d = KwasmDevice.open();
d.load({ image: B.image(B.SPIN) });
process.stdout.write('spinning\n', () => {
  const r = d.invoke(0);
  // only reached if the loop stopped without the kill: report it so the parent can fail
  process.stdout.write(`returned ${r.status} ${r.trapCode}\n`);
});
