import { redact } from './redact.js';

/**
 * The few named errors tbx raises. Each one says what happens next, in the manner of Flux:
 * - `stalled`: a human must act; retrying will not help (bad input, missing share marker).
 * - `waiting`: the next pass or attempt may succeed (git unreachable, lock busy).
 * The CLI's single top-level catch maps them to exit codes.
 */
export type Next = 'stalled' | 'waiting';

/** Base class: a message for humans, what happens next, and the original error as `cause`. */
export class TbxError extends Error {
  readonly next: Next;
  constructor(message: string, options: { next?: Next; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.next = options.next ?? 'stalled';
  }
}

/** One finding about an input file, positioned so editors and CI can point at it. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  /** Machine-readable rule name, e.g. `schema`, `yaml`, `duplicate-ip`. */
  rule: string;
  severity: 'error' | 'warning';
}

/** The desired state failed validation; nothing may be acted on. Carries every diagnostic. */
export class ValidationError extends TbxError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(`fleet is invalid: ${errors.length} error(s); nothing was changed`, { next: 'stalled' });
    this.diagnostics = diagnostics;
  }
}

/** A flag, environment variable or config file value is missing or wrong. */
export class UsageError extends TbxError {}

/** A share (TFTP or backup) is missing, unmounted or lacks its marker. */
export class ShareError extends TbxError {}

/** Talking to the fleet repository failed (clone, fetch, push). Usually transient. */
export class GitError extends TbxError {
  constructor(message: string, options: { next?: Next; cause?: unknown } = {}) {
    super(message, { next: 'waiting', ...options });
  }
}

/** Another reconcile pass holds the lock. */
export class LockBusyError extends TbxError {
  constructor(message: string, cause?: unknown) {
    super(message, { next: 'waiting', cause });
  }
}

/** A write was refused because it would leave the shares or follow a symlink. */
export class UnsafePathError extends TbxError {}

/**
 * Render an error and its cause chain as one line, for logs, terminals and status files.
 * Credentials in URLs are redacted: messages from git quote remote URLs.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    // Wrappers often quote their cause already; say each thing once.
    if (!parts.some((p) => p.includes(firstLine(msg)))) parts.push(msg);
    cur = cur instanceof Error ? (cur as Error & { cause?: unknown }).cause : undefined;
  }
  return redact(parts.join(': '));
}

/**
 * The line of an error message that says what went wrong: git's `fatal:`/`error:` line if
 * there is one (it prints progress and hints around it), else the first non-empty line.
 */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.find((l) => !/^(hint:|Cloning into)/.test(l)) ?? msg;
}
