import { execa } from 'execa';
import type { Logger } from '../lib/logger.js';
import { redact } from '../lib/redact.js';

/** How one power command ended, after its retries. */
export interface CommandOutcome {
  ok: boolean;
  /** Tries made (1 = first try worked or no retries). */
  tries: number;
  exitCode: number | null;
  /** Why the last try failed, in words: exit code, timeout, or not found. */
  reason: string;
  /** The end of the last try's output, with secrets redacted. */
  tail: string;
}

/** Options for {@link runPowerCommand}. */
export interface RunOptions {
  timeoutMs: number;
  retries: number;
  log: Logger;
  /** Delay before retry n (1-based); default 1 s, 2 s, 4 s ... Tests shorten it. */
  backoffMs?: (n: number) => number;
}

/**
 * Run an argv (no shell) with a time limit; a hung command is killed at its timeout. A
 * failing command is retried with growing delays. Every try is logged with its exit code
 * and the end of its output. Secrets must come from the environment or files the command
 * reads itself: tbx passes its environment through and never logs it.
 */
export async function runPowerCommand(argv: string[], options: RunOptions): Promise<CommandOutcome> {
  const backoff = options.backoffMs ?? ((n: number) => 1000 * 2 ** (n - 1));
  let last: CommandOutcome = { ok: false, tries: 0, exitCode: null, reason: 'not run', tail: '' };
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, backoff(attempt - 1)));
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true, timeout: options.timeoutMs, killSignal: 'SIGKILL', stdin: 'ignore' });
    const tail = redact((r.all ?? '').slice(-400)).trim();
    const reason = r.timedOut ? `timed out after ${options.timeoutMs / 1000} s (killed)` : r.exitCode === undefined ? redact(r.shortMessage ?? 'could not start') : `exit code ${r.exitCode}`;
    last = { ok: !r.failed, tries: attempt, exitCode: r.exitCode ?? null, reason: r.failed ? reason : 'exit code 0', tail };
    options.log[r.failed ? 'warn' : 'info']({ command: argv[0], try: attempt, exitCode: r.exitCode ?? null, timedOut: r.timedOut, outputTail: tail }, r.failed ? 'power command failed' : 'power command ran');
    if (!r.failed) return last;
  }
  return last;
}
