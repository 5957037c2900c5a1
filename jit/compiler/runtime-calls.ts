// The runtime builtins compiled code reaches through the host-call protocol. Their one definition
// is abi/calling-convention.ts (the kernel module's header is generated from it); these are the
// short names the compiler and both loaders use.
import { BUILTIN_HOSTCALL, BUILTIN_HOSTCALL_BASE } from '../../abi/calling-convention.js';

export const RT_BASE = BUILTIN_HOSTCALL_BASE;
export const RT = BUILTIN_HOSTCALL;
export const RT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(RT).map(([k, v]) => [v, k]));
