// Control frames of the single pass and the merge convention.
//
// Merge convention (simple and correct first): at every control-flow join, every value of the
// operand stack lives in its canonical frame slot (STACK kind), and no register is live. So:
//  - entering block/loop/if spills the whole value stack (values below the new frame's base then
//    stay in their slots for the whole block: inner code cannot touch them);
//  - a branch moves the label's n values into the slots [target.base, target.base + n) and jumps;
//  - after `end` the n results are STACK entries at those heights;
//  - except the common single result of a block/if without params (`resultInReg`): every edge
//    into the end moves it into rax (xmm0 for floats) instead, and after `end` it is a REG entry
//    there, so `if (result i32) ... end` costs no store/load pair. Values below the frame's base
//    are in slots then, and everything between is dropped at the target, so rax is free to take.
// Straight-line code between joins keeps values in registers and constants folded; compares feed
// br_if/if/select through EFLAGS (the COND kind) instead of materialising a boolean.
import type { Label } from '../../backend-x64/index.js';
import type { CacheSnapshot } from './local-cache.js';

export const enum FrameKind { Func = 0, Block = 1, Loop = 2, If = 3 }

export interface ControlFrame {
  kind: FrameKind;
  /** value-stack height below this frame's params */
  base: number;
  params: Uint8Array;
  results: Uint8Array;
  /** branch target: loop header or end of block/if */
  label: Label;
  /** `if`: where the false branch starts (bound at `else`, or at `end` without else) */
  elseLabel: Label;
  /** `if` with params: bottom-of-frame slot index where the params were saved for the else arm */
  paramSave: number;
  hasElse: boolean;
  /** some branch targets `label` (block/if end), so the code after `end` is reachable */
  endReachable: boolean;
  /** the frame was opened inside unreachable code: nothing of it is compiled */
  dead: boolean;
  /** the code after this `if` header reached the else arm or end reachably (then arm) */
  thenFellThrough: boolean;
  /** block/if with no params and one result: the merge value travels in register 0 of its class */
  resultInReg: boolean;
  /** this frame or an enclosing one (below the function's) is a loop: set once at the push,
   *  so br_if asks in O(1) (ruby nests blocks 17 deep on average, up to ~600) */
  inLoop: boolean;
  /**
   * Loop: the locals cached at the header (every back edge puts them back in these registers,
   * so the body starts with them cached on every iteration). If: the cache at the condition,
   * which the else arm (or the missing else edge) starts from. Unused for blocks.
   */
  entryCache: CacheSnapshot;
  /**
   * Block/if end: the pairs cached alike on every edge recorded so far (all forward branches
   * precede the end in a single pass), kept cached after the join; not `valid` before an edge.
   */
  joinCache: CacheSnapshot;
}

/** Types a branch to this frame carries. */
export function labelTypes(f: ControlFrame): Uint8Array {
  return f.kind === FrameKind.Loop ? f.params : f.results;
}
