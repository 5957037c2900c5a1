// capstone-wasm and keystone-wasm ship typings, but their package.json
// "exports" map has no "types" condition, so NodeNext resolution cannot see
// them. These ambient declarations restate the small part we use (checked
// against node_modules/*/dist/index.d.ts of capstone-wasm 1.0.3 and
// keystone-wasm 1.0.4).

declare module 'capstone-wasm' {
  export interface Insn {
    id: number;
    address: number | bigint;
    size: number;
    bytes: Uint8Array;
    mnemonic: string;
    opStr: string;
  }
  export class Capstone {
    constructor(arch: number, mode: number);
    disasm(data: number[] | Uint8Array, options?: { address?: number | bigint; count?: number }): Insn[];
    setOption(opt: number, value: number): number;
    close(): void;
  }
  export const Const: {
    readonly CS_ARCH_X86: number;
    readonly CS_MODE_64: number;
    readonly CS_OPT_SYNTAX: number;
    readonly CS_OPT_SYNTAX_INTEL: number;
  };
  export function loadCapstone(args?: Record<string, unknown>): Promise<void>;
}

declare module 'keystone-wasm' {
  export class Keystone {
    constructor(arch: number, mode: number);
    asm(data: string, options?: { address?: number | bigint }): Uint8Array;
    setOption(opt: number, value: number): number;
    errNo(): number;
    close(): void;
    static strError(errNo: number): string;
  }
  export const Const: {
    readonly KS_ARCH_X86: number;
    readonly KS_MODE_64: number;
    readonly KS_OPT_SYNTAX: number;
    readonly KS_OPT_SYNTAX_INTEL: number;
  };
  export function loadKeystone(args?: Record<string, unknown>): Promise<void>;
}
