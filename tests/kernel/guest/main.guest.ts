// Entry point the VM runs (kernel-loader/vm/init.sh via tests/kernel/kernel.suite.ts): every
// guest-side uvu suite in one node process, because starting node under TCG costs ~2 s.
// uvu prints one Total/Passed summary for all of them; the host suite parses it.
import ring0 from './ring0.guest.js';
import image from './image.guest.js';
import guard from './guard.guest.js';
import fuzz from './fuzz.guest.js';
import interrupt from './interrupt.guest.js';
import instance from './instance.guest.js';
import spec from './spec.guest.js';
import cli from './cli.guest.js';
import wasi from './wasi.guest.js';
import files from './files.guest.js';
import net from './net.guest.js';
import netServers from './net-servers.guest.js';
import differential from './differential.guest.js';

ring0.run();
image.run();
guard.run();
interrupt.run();
fuzz.run();
instance.run();
wasi.run();
files.run();
net.run();
netServers.run();
cli.run();
differential.run();
spec.run();
