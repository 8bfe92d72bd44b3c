import type { Diagnostic } from '../lib/errors.js';
import type { Condition, TestboxNote, TestboxStatus } from '../schema/types.js';

/**
 * One file-level step of a plan. Apply carries out exactly these and nothing else.
 * `expect` is the fingerprint the file had when observed (null: it must not exist);
 * if the file changed since, apply skips the step and leaves it for the next pass.
 */
export type Change =
  | { op: 'write-pxe'; box: string; hex: string; content: string; expect: string | null }
  | { op: 'delete-pxe'; box: string; hex: string; expect: string }
  | { op: 'write-default'; content: string }
  /** Remove a temp file a killed pass left in pxelinux.cfg/ (never served: PXELINUX asks for exact names). */
  | { op: 'remove-leftover'; name: string }
  | { op: 'write-disk-list'; box: string; ip: string; content: string }
  | { op: 'delete-disk-list'; box: string; ip: string }
  | { op: 'forward-status'; box: string; status: TestboxStatus }
  | { op: 'write-note'; box: string; action: string; note: TestboxNote }
  /** Run the box's reboot command; only if this pass's write of its config was applied. */
  | { op: 'reboot'; box: string; action: string; request: string; argv: string[]; timeoutMs: number; retries: number; priorConditions: Condition[] };

/**
 * What the plan decided for a box. For display and exit codes only: decisions are the
 * `changes`. `create`/`update`/`delete` touch the box's PXE file; the rest leave it.
 */
export type Outcome =
  | 'create'
  | 'update'
  | 'delete'
  | 'keep'
  | 'done'
  | 'noop'
  | 'blocked'
  | 'queued'
  | 'held'
  | 'stalled'
  | 'suspended';

/** The plan for one box (or for an orphaned config whose box left the fleet). */
export interface BoxPlan {
  name: string;
  ip: string;
  hex: string;
  action: string;
  request: string | null;
  outcome: Outcome;
  /** Why, in words for humans. Never used for decisions. */
  reason: string;
  /** The phase of the current request's newest status, if any. */
  phase: string | null;
  attempt: number | null;
  changes: Change[];
}

/** A pass's plan: a value that can be printed, serialized and then applied. */
export interface Plan {
  revision: string | null;
  boxes: BoxPlan[];
  /** Site-level changes (pxelinux.cfg/default). */
  siteChanges: Change[];
  /** Hex-IP files tbx did not write; reported, never touched. */
  unmanaged: { hex: string; ip: string; box: string | null }[];
  diagnostics: Diagnostic[];
  maxConcurrent: number;
  /** Boxes whose request Succeeded and whose comeback check has not passed yet (poll again soon). */
  awaitingComeback: string[];
}

/** Every change of a plan, site changes first, then per box in plan order. */
export function allChanges(plan: Plan): Change[] {
  return [...plan.siteChanges, ...plan.boxes.flatMap((b) => b.changes)];
}
