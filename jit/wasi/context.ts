// What every host function receives: the guest memory of this call and the
// WASI instance state.

import type { FdTable } from './fd-table.js';
import type { GuestMemory } from './memory.js';
import type { Deadline } from './wait.js';

export interface WasiState {
  /** argv, each UTF-8 encoded and NUL-terminated. */
  readonly args: Uint8Array[];
  /** "NAME=VALUE" strings, UTF-8 encoded and NUL-terminated. */
  readonly env: Uint8Array[];
  readonly fds: FdTable;
  /** When blocking calls must give up (wait.ts); unarmed unless the embedder sets one. */
  readonly deadline: Deadline;
}

export interface CallContext {
  readonly mem: GuestMemory;
  readonly state: WasiState;
}
