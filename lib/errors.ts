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

/** Talking to the fleet repository failed (clone, fetch, push); see {@link gitFailure}. */
export class GitError extends TbxError {
  constructor(message: string, options: { next?: Next; cause?: unknown } = {}) {
    super(message, { next: 'waiting', ...options });
  }
}

/** git failures no retry can fix, with what the admin should do. Anything else is treated as the network. */
const PERMANENT_GIT: { test: RegExp; hint: string }[] = [
  { test: /couldn't find remote ref|Remote branch \S+ not found/i, hint: 'that branch does not exist in the fleet repo; pass --branch (or TBX_BRANCH) with one that does' },
  { test: /repository '.*' (does not exist|not found)|does not appear to be a git repository|repository not exported/i, hint: 'there is no git repository at that address; check --fleet (or TBX_FLEET)' },
  { test: /Authentication failed|Permission denied \(|could not read (Username|Password)|returned error: 40[13]/i, hint: 'the fleet repo refused the credentials' },
  { test: /hook declined|protected branch/i, hint: 'the server refused the push (branch protection or a hook); let tbx push to this branch' },
];

/**
 * A {@link GitError} for `doing` (e.g. "cannot fetch fleet repo x") that failed with `err`:
 * `stalled`, with a hint, when git's message says retrying cannot help (no such branch or
 * repository, refused credentials or push), else `waiting` (a network problem).
 */
export function gitFailure(doing: string, err: unknown): GitError {
  const full = err instanceof Error ? err.message : String(err);
  const permanent = PERMANENT_GIT.find((p) => p.test.test(full));
  const text = `${doing}: ${redact(firstLine(err))}${permanent ? `; ${permanent.hint}` : ''}`;
  return new GitError(text, { cause: err, next: permanent ? 'stalled' : 'waiting' });
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
