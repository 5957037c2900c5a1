// Guest-side: malformed ioctls (random commands, sizes, pointers and struct contents) must come
// back as errors and leave the kernel healthy. Random *images* may be loaded but are never
// invoked: the module runs the machine code it is given (see docs/kernel.md "Isolation: guarantees and honest limits").
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KwasmDevice, KWASM_IOC, IOC_MAGIC, ioc, LOAD_STRUCT, INVOKE_STRUCT, MEM_RW_STRUCT, ERRNO, NativeBuffer, Status } from '../../../kernel-loader/ioctl.js';
import { FD_ENTRY_STRUCT, FDS_STRUCT, ARGS_STRUCT, FdKindCode, FdEntryFlag, MAX_KERNEL_FDS, MAX_ARGS_BYTES, type KernelFdEntry } from '../../../kernel-loader/ioctl.js';
import { IMAGE_MAGIC, IMAGE_VERSION, encodeImage } from '../../../abi/image.js';
import { TrapCode } from '../../../abi/traps.js';
import * as B from './blobs.js';

const test = suite('fuzz');

// xorshift: reproducible runs (the seed is printed on failure)
let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed;
};
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length] as T;
const big = (): bigint => (BigInt(rnd()) << 32n) | BigInt(rnd());

const EXPECTED = new Set<number>([0, -ERRNO.EFAULT, -ERRNO.EINVAL, -ERRNO.ENOTTY, -ERRNO.ENOENT, -ERRNO.EBUSY, -ERRNO.EOPNOTSUPP]);

function interestingU64(): bigint {
  return pick([0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0xffff888000000000n,
    0xffffffff81000000n, 4096n, 65536n, 65532n, 88n, big(), BigInt(rnd() & 0xffff)]);
}

/**
 * Pointers the kernel must refuse (-EFAULT): NULL, below mmap_min_addr, kernel space,
 * non-canonical. Never a random user address: the kernel would rightly write through it and
 * corrupt this very process.
 */
function badPointer(): bigint {
  return pick([0n, 1n, BigInt(rnd() & 0xfff), 0xffff888000000000n, 0xffffffff81000000n, 0xfffffffffffff000n,
    0x8000000000000000n, 0x0000800000000000n, 0xffffffffffffffffn]);
}

test('random commands, sizes and pointers: only clean errors', () => {
  const d = KwasmDevice.open();
  const scratch = NativeBuffer.alloc(1 << 16);
  const known = Object.values(KWASM_IOC);
  let calls = 0;
  for (let i = 0; i < 2000; i++) {
    let cmd: bigint;
    switch (rnd() % 4) {
      case 0: cmd = pick(known); break;
      case 1: cmd = ioc(rnd() % 4, IOC_MAGIC, rnd() % 16, rnd() % 512); break;
      case 2: cmd = BigInt(rnd()); break;
      default: cmd = ioc(rnd() % 4, rnd() & 0xff, rnd() & 0xff, rnd() & 0x3fff); break;
    }
    if (cmd === KWASM_IOC.INVOKE) continue; // invoke is fuzzed below, only over known-good code
    let arg: bigint;
    if (rnd() % 3 === 0) arg = badPointer();
    else {
      // a valid pointer to random struct contents, with the version right half the time
      for (let j = 0; j < 256; j += 4) scratch.buf.writeUInt32LE(rnd(), j);
      if (rnd() % 2) scratch.buf.writeUInt32LE(1, 0);
      if (rnd() % 2) scratch.buf.writeUInt32LE(0, 4);
      // pointer fields (image_ptr at 8, buf_ptr at 24) and sizes (16): MEM_READ cannot succeed
      // here (no instance stays loaded), so nothing writes through these pointers
      if (rnd() % 2) scratch.buf.writeBigUInt64LE(pick([scratch.addr, badPointer()]), 8);
      if (rnd() % 2) scratch.buf.writeBigUInt64LE(interestingU64(), 16);
      if (rnd() % 2) scratch.buf.writeBigUInt64LE(pick([scratch.addr, badPointer()]), 24);
      // every struct fits before the end of the 64 KiB scratch (the largest is 96 bytes)
      arg = scratch.addr + BigInt(pick([0, 0, 0, 4096 - 8, 65536 - 96]));
    }
    const rc = d.rawIoctl(cmd, arg);
    calls++;
    if (!EXPECTED.has(rc)) assert.unreachable(`seed ${seed}: ioctl(${cmd.toString(16)}, ${arg.toString(16)}) = ${rc}`);
    if (rc === 0 && cmd === KWASM_IOC.LOAD) d.release(); // random code is never run
  }
  scratch.free();
  d.close();
  assert.ok(calls > 1500);
});

test('random images with a valid header are rejected or loaded, never run', () => {
  const d = KwasmDevice.open();
  let rejected = 0;
  for (let i = 0; i < 600; i++) {
    const codeSize = pick([0, 1, 7, 8, 100, rnd() % 5000, 0xffffffff]);
    const reserved = pick([0, 0, 0, 1, rnd()]), nfun = pick([0, 1, 2, rnd() % 50, 0xffffffff]);
    const len = pick([24, 24 + Math.ceil(Math.min(codeSize, 6000) / 8) * 8 + (nfun % 64) * 16, rnd() % 8000 + 24]);
    const img = Buffer.alloc(len);
    for (let j = 24; j + 4 <= len; j += 4) img.writeUInt32LE(rnd() % (pick([8, 64, 0x10000, 0xffffffff])), j);
    img.writeUInt32LE(IMAGE_MAGIC, 0);
    img.writeUInt32LE(rnd() % 8 ? IMAGE_VERSION : rnd(), 4);
    img.writeUInt32LE(codeSize >>> 0, 8);
    img.writeUInt32LE(reserved >>> 0, 12); // the relocation count of version 1 images: must be 0
    img.writeUInt32LE(nfun >>> 0, 16);
    img.writeUInt32LE(rnd() % 8 ? 0 : rnd(), 20);
    try {
      d.load({ image: img, memPages: rnd() % 4, memMaxPages: pick([0, 1, 4, 65536, 65537]), stackBytes: pick([0, 4096, 65536, 1 << 30]) });
      d.release();
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno !== ERRNO.EINVAL) throw e;
      rejected++;
    }
  }
  d.close();
  assert.ok(rejected > 400, `rejected ${rejected}`);
});

test('invoke and memory ioctls with bad indices, counts, offsets and pointers', () => {
  const d = KwasmDevice.open();
  const b = d.scratchBuf;
  const sink = NativeBuffer.alloc(65536);
  const fill = (size: number): void => { b.fill(0, 0, size); b.writeUInt32LE(1, 0); };
  // nothing loaded yet
  fill(INVOKE_STRUCT.size);
  assert.is(d.rawIoctl(KWASM_IOC.INVOKE, d.scratchAddr), -ERRNO.ENOENT);
  d.load({ image: B.image(B.RET42, B.ADD), memPages: 1 });
  assert.is(d.rawIoctl(KWASM_IOC.LOAD, d.scratchAddr), -ERRNO.EBUSY); // the last valid load struct again: one instance per file
  for (let i = 0; i < 1500; i++) {
    fill(INVOKE_STRUCT.size);
    if (rnd() % 4 === 0) b.writeUInt32LE(rnd() % 3, 0);
    if (rnd() % 8 === 0) b.writeUInt32LE(rnd(), 4);
    b.writeUInt32LE(pick([0, 1, 2, rnd()]), INVOKE_STRUCT.funcIndex);
    b.writeUInt32LE(pick([0, 2, 64, 65, rnd()]), INVOKE_STRUCT.nslots);
    b.writeBigUInt64LE(pick([d.scratchAddr + 512n, badPointer()]), INVOKE_STRUCT.slotsPtr);
    if (rnd() % 8 === 0) b.writeBigUInt64LE(interestingU64(), INVOKE_STRUCT.timeoutNs);
    if (rnd() % 8 === 0) b.writeUInt32LE(rnd(), INVOKE_STRUCT.memPages);
    const rc = d.rawIoctl(KWASM_IOC.INVOKE, rnd() % 8 ? d.scratchAddr : badPointer());
    if (!EXPECTED.has(rc)) assert.unreachable(`seed ${seed}: invoke = ${rc}`);
    // ADD with fewer than 2 slots reads above the wasm stack top: its guard page makes that a trap;
    // a timeout already over when the call starts (1 ns ...) traps "interrupted" before any wasm runs
    if (rc === 0 && b.readUInt32LE(INVOKE_STRUCT.status) !== Status.returned) {
      assert.is(b.readUInt32LE(INVOKE_STRUCT.status), Status.trap);
      const code = b.readUInt32LE(INVOKE_STRUCT.trapCode);
      if (!(code === TrapCode.memoryOutOfBounds || (code === TrapCode.interrupted && b.readBigUInt64LE(INVOKE_STRUCT.timeoutNs) !== 0n))) {
        assert.unreachable(`seed ${seed}: trap code ${code}`);
      }
    }

    fill(MEM_RW_STRUCT.size);
    b.writeBigUInt64LE(interestingU64(), MEM_RW_STRUCT.offset);
    b.writeBigUInt64LE(pick([0n, 1n, 4n, 65536n, interestingU64()]), MEM_RW_STRUCT.len);
    // reads may copy up to the whole 64 KiB memory out: only into the sink, which is big enough
    b.writeBigUInt64LE(pick([sink.addr, badPointer()]), MEM_RW_STRUCT.bufPtr);
    const rw = d.rawIoctl(pick([KWASM_IOC.MEM_READ, KWASM_IOC.MEM_WRITE]), d.scratchAddr);
    if (!EXPECTED.has(rw)) assert.unreachable(`seed ${seed}: mem rw = ${rw}`);
  }
  // an exact boundary: offset + len == size is fine, one more is not
  fill(MEM_RW_STRUCT.size);
  b.writeBigUInt64LE(65532n, MEM_RW_STRUCT.offset);
  b.writeBigUInt64LE(4n, MEM_RW_STRUCT.len);
  b.writeBigUInt64LE(d.scratchAddr + 1024n, MEM_RW_STRUCT.bufPtr);
  assert.is(d.rawIoctl(KWASM_IOC.MEM_READ, d.scratchAddr), 0);
  b.writeBigUInt64LE(5n, MEM_RW_STRUCT.len);
  assert.is(d.rawIoctl(KWASM_IOC.MEM_READ, d.scratchAddr), -ERRNO.EINVAL);
  // offset + len wrapping around 2^64
  b.writeBigUInt64LE(0xfffffffffffffffcn, MEM_RW_STRUCT.offset);
  b.writeBigUInt64LE(8n, MEM_RW_STRUCT.len);
  assert.is(d.rawIoctl(KWASM_IOC.MEM_READ, d.scratchAddr), -ERRNO.EINVAL);
  // the instance still works
  assert.is(d.invoke(1, [40n, 2n]).retInt, 42n);
  sink.free();
  d.close();
});

test('module descriptions: random counts, indices, kinds and lengths are rejected or loaded, never trusted', () => {
  const d = KwasmDevice.open();
  let loaded = 0, rejected = 0;
  const img = B.image(B.RET42, B.ADD);
  const codeLen = B.RET42.length + B.ADD.length;
  for (let i = 0; i < 400; i++) {
    const nf = rnd() % 6, nt = rnd() % 4, ng = rnd() % 4, ntab = rnd() % 3;
    const lens = Array.from({ length: ntab }, () => rnd() % 5);
    const ne = lens.reduce((a, b) => a + b, 0);
    const a8 = (x: number): number => Math.ceil(x / 8) * 8;
    const size = 32 + 16 * nf + a8(4 * nt) + 16 * ng + 8 * ntab + a8(4 * ne);
    const b = Buffer.alloc(size);
    [0x444d574b, nf, nt, ng, ntab, ne].forEach((v, k) => b.writeUInt32LE(v, 4 * k));
    let at = 32;
    for (let f = 0; f < nf; f++, at += 16) { b.writeUInt32LE(rnd() % (codeLen + 2), at); b.writeUInt32LE(rnd() % 4, at + 4); b.writeUInt32LE(rnd() % 7, at + 8); }
    at += a8(4 * nt);
    for (let g = 0; g < ng; g++, at += 16) { b.writeBigUInt64LE(interestingU64(), at); b.writeUInt32LE(rnd() % 4, at + 8); }
    for (const l of lens) { b.writeUInt32LE(l, at); at += 8; }
    for (let e = 0; e < ne; e++, at += 4) b.writeUInt32LE(rnd() % (nf + 3), at);
    // corruptions: a count word, a random word, the length
    let desc: Buffer = b;
    if (rnd() % 4 === 0) desc.writeUInt32LE(pick([0, 1, 0xffffffff, 1 << 20, (1 << 22) + 1, rnd()]) >>> 0, 4 * (1 + (rnd() % 5)));
    if (rnd() % 4 === 0 && size > 32) desc.writeUInt32LE(rnd() >>> 0, 4 * (rnd() % (size / 4)));
    if (rnd() % 8 === 0) desc = Buffer.concat([desc, Buffer.alloc(8)]);
    if (rnd() % 8 === 0) desc = desc.subarray(0, Math.max(0, desc.length - 8));
    try {
      d.load({ image: img, desc, memPages: 1 });
      assert.is(d.invoke(0).retInt & 0xffn, 42n); // only our own code runs; tables and globals are never used
      d.release();
      loaded++;
    } catch (e) {
      if ((e as { errno?: number }).errno !== ERRNO.EINVAL) throw e;
      rejected++;
    }
  }
  d.close();
  assert.ok(loaded > 10 && rejected > 50, `loaded ${loaded}, rejected ${rejected}`);
});

test('counts whose kernel arrays pass kmalloc\'s 4 MiB limit load (kvcalloc), with no WARN in dmesg', () => {
  const d = KwasmDevice.open();
  try {
    // 600,000 image functions: a 4.8 MiB function array (kcalloc WARNs past KMALLOC_MAX_SIZE)
    const functions = Array.from({ length: 600000 }, () => ({ offset: 0, size: B.RET42.length, typeIndex: 0 }));
    d.load({ image: encodeImage({ code: Uint8Array.from(B.RET42), functions }), memPages: 0 });
    assert.is(d.invoke(599999).retInt & 0xffn, 42n);
    d.release();
    // a layout-1 description with 200,000 empty element segments: a 4.8 MiB segment array
    const nsegs = 200000;
    const desc = Buffer.alloc(32 + 16 + 16 * nsegs);
    [0x444d574b, 1, 0, 0, 0, 0, nsegs, 1].forEach((v, k) => desc.writeUInt32LE(v, 4 * k));
    desc.writeUInt32LE(1 << 24, 32 + 12); // function 0's signature word: one result, in rax
    d.load({ image: B.image(B.RET42), desc, memPages: 1 });
    assert.is(d.invoke(0).retInt & 0xffn, 42n);
    d.release();
  } finally {
    d.close();
  }
});

test('in-kernel WASI ioctls (SET_FDS, GET_FDS, SET_ARGS): bad pointers, sizes, counts and entries are -EFAULT/-EINVAL', () => {
  const d = KwasmDevice.open();
  const b = d.scratchBuf;
  const E = FD_ENTRY_STRUCT, F = FDS_STRUCT, A = ARGS_STRUCT;
  const sink = NativeBuffer.alloc(MAX_KERNEL_FDS * E.size + 4096);
  const fill = (size: number): void => { b.fill(0, 0, size); b.writeUInt32LE(1, 0); };
  fill(F.size);
  assert.is(d.rawIoctl(KWASM_IOC.GET_FDS, d.scratchAddr), -ERRNO.ENOENT); // nothing loaded
  d.load({ image: B.image(B.RET42, B.ADD), memPages: 1 });
  const entry = (at: number, fd: number, kind: number = FdKindCode.file): void => {
    sink.buf.fill(0, at, at + E.size);
    sink.buf.writeUInt32LE(fd, at + E.fd);
    sink.buf.writeUInt32LE(fd + 10, at + E.hostFd);
    sink.buf.writeUInt32LE(kind, at + E.kind);
    sink.buf.writeUInt32LE(4, at + E.filetype);
    sink.buf.writeBigUInt64LE(BigInt(fd) * 7n, at + E.position);
  };
  let ok = 0;
  for (let i = 0; i < 1500; i++) {
    const n = pick([0, 1, 3, 1024, 1025, rnd() % 40, rnd()]) >>> 0;
    for (let k = 0; k < Math.min(n, 40); k++) entry(k * E.size, pick([k, k, k, 1023, 1024, rnd()]) >>> 0, pick([1, 2, 3, 4, 0, 5]));
    if (rnd() % 4 === 0) sink.buf.writeUInt32LE(rnd(), (rnd() % 40) * E.size + pick([E.filetype, E.fdflags, E.eflags, E.hostFd]));
    if (rnd() % 8 === 0) sink.buf.writeBigUInt64LE(pick([1n << 63n, 0xffffffffffffffffn]), (rnd() % 40) * E.size + E.position);
    fill(F.size);
    if (rnd() % 8 === 0) b.writeUInt32LE(rnd() % 3, F.version);
    if (rnd() % 8 === 0) b.writeUInt32LE(rnd(), pick([F.flags, F.reserved, F.served]));
    b.writeBigUInt64LE(rnd() % 4 ? sink.addr : badPointer(), F.entriesPtr);
    b.writeUInt32LE(n, F.count);
    const get = rnd() % 3 === 0;
    const rc = d.rawIoctl(get ? KWASM_IOC.GET_FDS : KWASM_IOC.SET_FDS, rnd() % 16 ? d.scratchAddr : badPointer());
    if (![0, -ERRNO.EFAULT, -ERRNO.EINVAL].includes(rc)) assert.unreachable(`seed ${seed}: ${get ? 'get' : 'set'} fds = ${rc}`);
    if (rc === 0) ok++;

    fill(A.size);
    const blob = Buffer.from(pick(['', 'a\0', 'a\0bc\0', 'no nul', '\0\0\0', 'x\0y']));
    sink.buf.set(blob, 0);
    if (rnd() % 8 === 0) b.writeUInt32LE(rnd(), A.flags);
    b.writeBigUInt64LE(pick([sink.addr, sink.addr, 0n, badPointer()]), A.argsPtr);
    b.writeUInt32LE(pick([blob.length, blob.length, 0, 1 << 20, (1 << 20) + 1, rnd()]) >>> 0, A.argsLen);
    b.writeUInt32LE(pick([blob.filter((x) => x === 0).length, 0, 1, 2, 3, rnd()]) >>> 0, A.argc);
    b.writeBigUInt64LE(pick([sink.addr, 0n, badPointer()]), A.envPtr);
    b.writeUInt32LE(pick([0, blob.length, rnd() % 64]), A.envLen);
    b.writeUInt32LE(pick([0, 1, 2, rnd() % 4]), A.envc);
    const ra = d.rawIoctl(KWASM_IOC.SET_ARGS, d.scratchAddr);
    if (![0, -ERRNO.EFAULT, -ERRNO.EINVAL].includes(ra)) assert.unreachable(`seed ${seed}: set args = ${ra}`);
  }
  assert.ok(ok > 50, `${ok} accepted`);
  // exact cases: a round trip, then each rule on its own
  const set = (entries: KernelFdEntry[]): number => {
    try { d.setFds(entries); return 0; } catch (e) { return -((e as { errno?: number }).errno ?? 0); }
  };
  const good: KernelFdEntry = { fd: 5, hostFd: 1, kind: FdKindCode.file, filetype: 4, fdflags: 1, eflags: 0, rightsBase: 0x1ffn, rightsInheriting: 3n, position: 99n };
  assert.is(set([good, { ...good, fd: 0, kind: FdKindCode.stream, position: 0n }]), 0);
  assert.equal(d.getFds().entries, [{ ...good, fd: 0, kind: FdKindCode.stream, position: 0n }, good]);
  assert.is(set([good, good]), -ERRNO.EINVAL, 'the same wasm fd twice');
  assert.is(set([{ ...good, fd: MAX_KERNEL_FDS }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, kind: 0 }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, kind: 5 }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, eflags: 2 }]), -ERRNO.EINVAL, 'an unknown entry flag');
  assert.is(set([{ ...good, kind: FdKindCode.socket, eflags: FdEntryFlag.CLOSE_HOST }]), 0);
  assert.is(set([{ ...good, filetype: 8 }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, fdflags: 32 }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, hostFd: 0x80000000 }]), -ERRNO.EINVAL);
  assert.is(set([{ ...good, position: 1n << 63n }]), -ERRNO.EINVAL);
  assert.is(set(Array.from({ length: MAX_KERNEL_FDS + 1 }, (_, i) => ({ ...good, fd: i % MAX_KERNEL_FDS }))), -ERRNO.EINVAL);
  assert.is(set(Array.from({ length: MAX_KERNEL_FDS }, (_, i) => ({ ...good, fd: i }))), 0, 'a full table');
  assert.is(d.getFds().entries.length, MAX_KERNEL_FDS);
  assert.is(set([]), 0);
  assert.equal(d.getFds().entries, []);
  const args = (a: Buffer[], e: Buffer[]): number => {
    try { d.setArgs(a, e); return 0; } catch (x) { return -((x as { errno?: number }).errno ?? 0); }
  };
  assert.is(args([Buffer.from('prog\0'), Buffer.from('x\0')], [Buffer.from('A=1\0')]), 0);
  assert.is(args([Buffer.from('prog')], []), -ERRNO.EINVAL, 'no final NUL');
  assert.is(args([Buffer.from('a\0b\0')], []), -ERRNO.EINVAL, 'two NULs for one string');
  assert.is(args([Buffer.alloc(MAX_ARGS_BYTES + 1)], []), -ERRNO.EINVAL, 'over the cap');
  assert.is(d.invoke(1, [40n, 2n]).retInt, 42n); // the instance still works
  sink.free();
  d.close();
});

test('the device is healthy after the fuzzing', () => {
  for (let i = 0; i < 50; i++) {
    const d = KwasmDevice.open();
    assert.is(d.version().version, 1);
    d.load({ image: B.image(B.RET42), memPages: 1 });
    assert.is(d.invoke(0).retInt & 0xffn, 42n);
    if (i % 2) d.release();
    d.close();
  }
  // a file closed with an instance still loaded frees it (the vmalloc leak check after the
  // script covers this), and a never-used file closes fine
  KwasmDevice.open().close();
  assert.is(LOAD_STRUCT.size, 88);
});

export default test;
