// Hand-written x86-64 machine code for the ring-0 mechanism tests, wrapped as abi/ code images.
// Each blob follows the ABI (abi/calling-convention.ts): parameter i at [rsp + 8 + 8*i] on entry,
// result in rax / xmm0, r14 = memory base, r15 = vmctx, trap stubs at [r15 + trapStubs + 8*code].
import { encodeImage } from '../../../abi/image.js';
import { VMCTX } from '../../../abi/vmctx.js';
import { TrapCode } from '../../../abi/traps.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** One image whose functions are the given blobs, laid out back to back. */
export function image(...funcs: number[][]): Uint8Array {
  const code: number[] = [];
  const functions = funcs.map((f) => {
    const offset = code.length;
    code.push(...f);
    return { offset, size: f.length, typeIndex: 0 };
  });
  return encodeImage({ code: Uint8Array.from(code), functions });
}

export const RET42 = [0xb8, ...le32(42), 0xc3]; // mov eax, 42; ret
/** rax = arg0 + arg1 */
export const ADD = [0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x03, 0x44, 0x24, 0x10, 0xc3];
/** eax = u32 load at memory[arg0]: mov rax,[rsp+8]; mov eax,[r14+rax]; ret (load at offset 5) */
export const LOAD32 = [0x48, 0x8b, 0x44, 0x24, 0x08, 0x41, 0x8b, 0x04, 0x06, 0xc3];
export const LOAD32_PC = 5;
/** ud2 */
export const UD2 = [0x0f, 0x0b];
/** xor ecx,ecx; xor edx,edx; mov eax,1; div ecx (at offset 9); ret */
export const DIV0 = [0x31, 0xc9, 0x31, 0xd2, 0xb8, ...le32(1), 0xf7, 0xf1, 0xc3];
/** call [r15 + trapStubs + 8*unreachable]: the compiled-code trap path (7 bytes) */
export const STUB_UNREACHABLE = [0x41, 0xff, 0x97, ...le32(VMCTX.trapStubs + 8 * TrapCode.unreachable)];
/** mov rax, imm64 (1.5); movq xmm0, rax; ret */
export const F64_1_5 = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x66, 0x48, 0x0f, 0x6e, 0xc0, 0xc3];
/** sets MXCSR to round-down and all-exceptions-unmasked-ish garbage: sub rsp,8; mov dword [rsp], 0x3f80; ldmxcsr [rsp]; add rsp,8; ret */
export const CLOBBER_MXCSR = [0x48, 0x83, 0xec, 0x08, 0xc7, 0x04, 0x24, ...le32(0x3f80), 0x0f, 0xae, 0x14, 0x24, 0x48, 0x83, 0xc4, 0x08, 0xc3];
/** eax = MXCSR: sub rsp,8; stmxcsr [rsp]; mov eax,[rsp]; add rsp,8; ret */
export const READ_MXCSR = [0x48, 0x83, 0xec, 0x08, 0x0f, 0xae, 0x1c, 0x24, 0x8b, 0x04, 0x24, 0x48, 0x83, 0xc4, 0x08, 0xc3];
/** pcmpeqd xmm0..xmm15 (all ones) and return: the kernel must keep the caller's SSE state */
export const CLOBBER_XMM = [
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((r) => [0x66, 0x0f, 0x76, 0xc0 | (r << 3) | r]),
  ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((r) => [0x66, 0x45, 0x0f, 0x76, 0xc0 | (r << 3) | r]),
  0xc3,
];
/**
 * Unbounded recursion with the ABI's prologue stack check:
 *   f: lea rax,[rsp-64]; cmp rax,[r15+stackLimit]; jae ok; call [r15+trapStubs+8*stackOverflow]
 *   ok: call f; ret
 */
export const RECURSE = [
  0x48, 0x8d, 0x44, 0x24, 0xc0,
  0x49, 0x3b, 0x47, VMCTX.stackLimit,
  0x73, 0x07,
  0x41, 0xff, 0x97, ...le32(VMCTX.trapStubs + 8 * TrapCode.stackOverflow),
  0xe8, ...le32(-23),
  0xc3,
];
/** lea rax,[rip-7] (its own address); mov byte [rax], 0xc3 (at offset 7); ret */
export const SELF_WRITE = [0x48, 0x8d, 0x05, ...le32(-7), 0xc6, 0x00, 0xc3, 0xc3];
export const SELF_WRITE_PC = 7;
/**
 * An infinite loop with the ABI's loop-header interrupt check:
 *   top: cmp rsp,[r15+stackLimit]; jae body; call [r15+trapStubs+8*stackOverflow]; body: jmp top
 */
export const SPIN = [
  0x49, 0x3b, 0x67, VMCTX.stackLimit,
  0x73, 0x07,
  0x41, 0xff, 0x97, ...le32(VMCTX.trapStubs + 8 * TrapCode.stackOverflow),
  0xeb, 0xf1,
];
/** a host call (import 0, no slots): mov eax, 0; xor ecx, ecx; call [r15 + hostCallStub] */
export const HOST_CALL = [0xb8, ...le32(0), 0x31, 0xc9, 0x41, 0xff, 0x97, ...le32(VMCTX.hostCallStub), 0xc3];
/**
 * rax = n(n+1)/2 + n for n = arg0 (>= 1), looping with the loop-header check and jumping back to
 * it after the stub ("the stub may return"); n also kept in xmm3 across the loop, so a yield that
 * lost a GPR or an XMM register shows in the result:
 *   mov rcx,[rsp+8]; xor eax,eax; movq xmm3,rcx
 *   top: cmp rsp,[r15+stackLimit]; jae body; call [r15+trapStubs+8*stackOverflow]
 *   body: add rax,rcx; dec rcx; jnz top; movq rdx,xmm3; add rax,rdx; ret
 */
export const COUNT = [
  0x48, 0x8b, 0x4c, 0x24, 0x08, 0x31, 0xc0, 0x66, 0x48, 0x0f, 0x6e, 0xd9,
  0x49, 0x3b, 0x67, VMCTX.stackLimit,
  0x73, 0x07,
  0x41, 0xff, 0x97, ...le32(VMCTX.trapStubs + 8 * TrapCode.stackOverflow),
  0x48, 0x01, 0xc8, 0x48, 0xff, 0xc9, 0x75, 0xeb,
  0x66, 0x48, 0x0f, 0x7e, 0xda, 0x48, 0x01, 0xd0, 0xc3,
];
