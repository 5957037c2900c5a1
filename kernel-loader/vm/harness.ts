// The kernel VM harness: builds kwasm.ko against the installed Debian headers, boots the installed
// Debian kernel under QEMU (TCG) with the host root shared read-only over 9p, loads the module and
// runs one node script inside the guest (kernel-loader/vm/init.sh does the guest side), then judges
// the evidence: script exit code, clean rmmod, no new taint, no leaked vmalloc areas, clean dmesg.
//
// Nothing is hard-coded about the kernel: the version comes from /boot and /usr/src, so a Debian
// update moves the harness with it. A machine without the kernel packages is an error (the
// caller must fail loudly), never a silent skip.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found by walking up to package.json (works from source and from dist/). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) || d.endsWith('/dist')) {
    const up = dirname(d);
    if (up === d) throw new Error('kernel harness: repository root not found');
    d = up;
  }
  return d;
}

export interface KernelInfo {
  version: string;
  vmlinuz: string;
  headers: string;
  modules: string;
}

function versionCompare(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

/** The newest installed kernel that has an image, headers and modules. Throws with the fix if none. */
export function findKernel(): KernelInfo {
  const boot = existsSync('/boot') ? readdirSync('/boot') : [];
  const versions = boot.filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length)).sort(versionCompare).reverse();
  for (const version of versions) {
    const headers = `/usr/src/linux-headers-${version}`;
    const modules = `/lib/modules/${version}`;
    if (existsSync(join(headers, 'Makefile')) && existsSync(modules)) {
      return { version, vmlinuz: `/boot/vmlinuz-${version}`, headers, modules };
    }
  }
  throw new Error(
    `kernel harness: no usable kernel (found vmlinuz: ${versions.join(', ') || 'none'}); ` +
      'install linux-image-amd64 linux-headers-amd64 (scripts/setup.sh does)',
  );
}

/** Every source of the module: Kbuild and the .c/.S/.h files next to it. */
function kmodSources(dir: string): string[] {
  return readdirSync(dir).filter((f) => f === 'Kbuild' || /\.(c|S|h)$/.test(f));
}

/**
 * kwasm.ko for kernel `k`, cached in build/kmod-<ver>/<hash of the sources>/ (a kbuild run costs
 * 5-30 s on a loaded host, and most runs change no kernel source). Built in a directory of this
 * process's own (several test runs may build at once; the source tree stays clean), then renamed
 * into place: a concurrent run sees a whole module or none.
 */
function buildModule(k: KernelInfo): string {
  const root = repoRoot();
  const src = join(root, 'kernel-loader', 'kmod');
  const sources = kmodSources(src).sort();
  const h = createHash('sha256').update(k.version);
  for (const f of sources) h.update(`\0${f}\0`).update(readFileSync(join(src, f)));
  const cached = join(root, 'build', `kmod-${k.version}`, h.digest('hex').slice(0, 16));
  const ko = join(cached, 'kwasm.ko');
  if (existsSync(ko)) return ko;
  const out = `${cached}.${process.pid}.tmp`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const f of sources) copyFileSync(join(src, f), join(out, f));
  try {
    execFileSync('make', ['-s', '-C', k.headers, `M=${out}`, 'modules'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    rmSync(out, { recursive: true, force: true });
    throw new Error(`kernel harness: building kwasm.ko failed:\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`);
  }
  try {
    renameSync(out, cached);
  } catch {
    rmSync(out, { recursive: true, force: true }); // another run got there first: same sources, same module
  }
  return ko;
}

/** Modules /init loads to reach the 9p share, in dependency order (platform facts). */
const NINEP_MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p'];

function findModule(modulesDir: string, name: string): string {
  const hit = execFileSync('find', [join(modulesDir, 'kernel'), '-name', `${name}.ko`], { encoding: 'utf8' }).trim().split('\n')[0];
  if (!hit) throw new Error(`kernel harness: module ${name}.ko not found under ${modulesDir} (compressed modules are not supported)`);
  return hit;
}

/** busybox-static initramfs with /init and the 9p modules, cached in build/vm/ by content. */
function buildInitramfs(k: KernelInfo): string {
  const root = repoRoot();
  const init = readFileSync(join(root, 'kernel-loader', 'vm', 'init.sh'));
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('kernel harness: busybox not found; install busybox-static');
  const key = createHash('sha256').update(init).update(k.version).update(String(statSync(busybox).size)).digest('hex').slice(0, 12);
  const dir = join(root, 'build', 'vm');
  const image = join(dir, `initramfs-${k.version}-${key}.cpio.gz`);
  if (existsSync(image)) return image;

  const stage = join(dir, `stage-${key}-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'lib/modules', 'proc', 'sys', 'dev', 'host']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(busybox, join(stage, 'bin', 'busybox'));
  chmodSync(join(stage, 'bin', 'busybox'), 0o755);
  writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
  for (const m of NINEP_MODULES) copyFileSync(findModule(k.modules, m), join(stage, 'lib', 'modules', `${m}.ko`));
  // written under a private name and renamed: concurrent runs never see a half-written image
  const tmp = `${image}.${process.pid}.tmp`;
  execFileSync('sh', ['-c', `cd "${stage}" && find . | cpio -o -H newc --quiet | gzip -1 > "${tmp}" && mv "${tmp}" "${image}"`]);
  rmSync(stage, { recursive: true, force: true });
  return image;
}

export interface VmRun {
  /** the script's output (between the markers) */
  output: string;
  /** the whole serial console */
  console: string;
  dmesg: string;
  scriptExit: number | undefined;
  insmodOk: boolean;
  rmmodOk: boolean;
  taintBefore: number | undefined;
  taintAfter: number | undefined;
  /** vmalloc areas still owned by kwasm after the script closed every file */
  vmallocLeaks: number | undefined;
  /** the module's own count of live instances/pages after the script ("0/0" when clean) */
  live: string | undefined;
  /** killed: no console output for the stall limit, or over the overall limit */
  timedOut: boolean;
  ms: number;
  /** everything that makes this run a failure; empty = clean */
  problems: string[];
}

/** Lines that mean the kernel was hurt, whatever the script reported. */
// Case-sensitive on purpose: the kernel prints these in capitals, and "report a bug" is harmless.
const DMESG_BAD = /\b(Oops|BUG|WARNING|general protection|Call Trace|Kernel panic)\b/;
/** Taint bits kwasm.ko itself causes: O (out-of-tree) and E (unsigned). */
const OWN_TAINT = 4096 | 8192;

export interface VmOptions {
  /** absolute path of the node script to run in the guest (it sees the host's filesystem) */
  script: string;
  /**
   * Progress, not wall time, decides: the VM is killed when its console has been silent for
   * stallMs (default 300 s; every guest test prints as it finishes, the slowest takes ~80 s on a
   * quiet host), stretched by the host's load per core, or past the overall timeoutMs (default 30
   * min, a backstop). A fixed wall-clock limit failed runs whose guest had only been slowed down.
   */
  stallMs?: number;
  timeoutMs?: number;
  memMiB?: number;
  /** called with console text as it arrives (progress) */
  onOutput?: (text: string) => void;
}

function between(text: string, begin: string, end: string): string {
  const a = text.indexOf(begin);
  if (a < 0) return '';
  const b = text.indexOf(end, a + begin.length);
  return text.slice(text.indexOf('\n', a) + 1, b < 0 ? undefined : b).replace(/\r/g, '');
}

function marker(text: string, name: string): number | undefined {
  const m = new RegExp(`^@@KWASM ${name} (\\d+)`, 'm').exec(text.replace(/\r/g, ''));
  return m ? Number(m[1]) : undefined;
}

/** Builds everything, boots the VM, runs the script, and judges the run. */
export async function runInVm(opts: VmOptions): Promise<VmRun> {
  const k = findKernel();
  const ko = buildModule(k);
  const initrd = buildInitramfs(k);
  for (const p of [ko, opts.script]) if (/\s/.test(p)) throw new Error(`kernel harness: path with spaces not supported: ${p}`);
  const timeoutMs = opts.timeoutMs ?? 1_800_000;
  const stallMs = opts.stallMs ?? 300_000;
  // the guest mounts its own tmpfs on /tmp: a checkout under the host's /tmp must be bound back
  const keep = /^\/tmp\/[^/]+/.exec(repoRoot())?.[0];
  const args = [
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-m', String(opts.memMiB ?? 2048), '-smp', '2',
    '-nographic', '-no-reboot', '-net', 'none',
    '-kernel', k.vmlinuz, '-initrd', initrd,
    '-virtfs', 'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
    '-append', `console=ttyS0 quiet panic=-1 preempt=full kwasm_ko=${ko} kwasm_run=${opts.script}${keep ? ` kwasm_keep=${keep}` : ''}`,
  ];
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  let timedOut = false;
  let why = '';
  let lastOutput = started;
  const onData = (s: string): void => {
    consoleText += s;
    lastOutput = Date.now();
    opts.onOutput?.(s);
  };
  // stream decoding: a UTF-8 character split across two chunks must not turn into U+FFFD
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  const timer = setInterval(() => {
    const now = Date.now();
    const load = Math.max(1, loadavg()[0] / cpus().length);
    if (now - started > timeoutMs) why = `VM did not finish within ${timeoutMs} ms`;
    else if (now - lastOutput > stallMs * load) why = `VM console silent for ${Math.round((now - lastOutput) / 1000)} s (limit ${stallMs / 1000} s x load ${load.toFixed(1)} per core)`;
    else return;
    timedOut = true;
    clearInterval(timer);
    child.kill('SIGKILL');
  }, 1000);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => { consoleText += `\nqemu: ${e.message}\n`; resolve(null); });
    child.on('close', (code) => resolve(code));
  });
  clearInterval(timer);

  const text = consoleText.replace(/\r/g, '');
  const run: VmRun = {
    output: between(text, '@@KWASM BEGIN-SCRIPT', '@@KWASM END-SCRIPT'),
    console: text,
    dmesg: between(text, '@@KWASM BEGIN-DMESG', '@@KWASM END-DMESG'),
    scriptExit: marker(text, 'END-SCRIPT'),
    insmodOk: marker(text, 'INSMOD') === 0,
    rmmodOk: marker(text, 'RMMOD') === 0,
    taintBefore: marker(text, 'TAINT-BEFORE'),
    taintAfter: marker(text, 'TAINT-AFTER'),
    vmallocLeaks: marker(text, 'VMALLOC-KWASM'),
    live: /^@@KWASM LIVE-KWASM (\S+)/m.exec(text)?.[1],
    timedOut,
    ms: Date.now() - started,
    problems: [],
  };
  const p = run.problems;
  if (timedOut) p.push(why);
  if (exitCode !== 0 && !timedOut) p.push(`qemu exited with ${exitCode}`);
  for (const m of text.matchAll(/^@@KWASM ERROR (.*)$/gm)) p.push(`guest: ${m[1]}`);
  if (!run.insmodOk) p.push('insmod kwasm.ko failed');
  if (run.scriptExit === undefined) p.push('script did not finish');
  else if (run.scriptExit !== 0) p.push(`script exited with ${run.scriptExit}`);
  if (run.vmallocLeaks !== 0) p.push(`kwasm vmalloc areas left after the script: ${run.vmallocLeaks ?? 'unknown'}`);
  if (run.live !== '0/0') p.push(`kwasm instances/pages still live after the script: ${run.live ?? 'unknown'}`);
  if (!run.rmmodOk) p.push('rmmod kwasm failed');
  if (run.taintAfter === undefined || (run.taintAfter & ~OWN_TAINT) !== 0) p.push(`kernel tainted beyond the module's own: ${run.taintAfter}`);
  if (!text.includes('@@KWASM END-DMESG')) p.push('no dmesg collected');
  const bad = run.dmesg.split('\n').filter((l) => DMESG_BAD.test(l));
  // anything the kernel printed to the console outside our markers counts too (oops during boot)
  const consoleBad = text.split('\n').filter((l) => !l.startsWith('@@') && DMESG_BAD.test(l) && !run.output.includes(l));
  for (const l of new Set([...bad, ...consoleBad])) p.push(`kernel log: ${l.trim()}`);
  return run;
}
