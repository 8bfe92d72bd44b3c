import type { Logger } from '../lib/logger.js';
import { redactSecrets } from '../lib/redact.js';
import { runInGroup } from './process-group.js';

/** How one power command ended, after its retries. */
export interface CommandOutcome {
  ok: boolean;
  /** Tries made (1 = first try worked or no retries). */
  tries: number;
  exitCode: number | null;
  /** Why the last try failed, in words: exit code, timeout, not found, or tbx stopping. */
  reason: string;
  /** The end of the last try's output, with secrets redacted (see {@link redactSecrets}). */
  tail: string;
  /** tbx was stopping (SIGINT/SIGTERM/SIGHUP): the command was killed or never started; not retried. */
  interrupted: boolean;
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
 * Run an argv (no shell) in its own process group with a time limit: a hung command is killed
 * at its timeout together with every child it started (see {@link runInGroup}). A failing
 * command is retried with growing delays. Every try is logged with its exit code and the end
 * of its output. The command inherits tbx's whole environment: that is how secrets reach it
 * (IPMI_PASSWORD for `ipmitool -E`, or a file it reads itself), never through the fleet repo.
 * The values of secret-named variables are masked in everything kept from its output.
 */
export async function runPowerCommand(argv: string[], options: RunOptions): Promise<CommandOutcome> {
  const backoff = options.backoffMs ?? ((n: number) => 1000 * 2 ** (n - 1));
  let last: CommandOutcome = { ok: false, tries: 0, exitCode: null, reason: 'not run', tail: '', interrupted: false };
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, backoff(attempt - 1)));
    const r = await runInGroup(argv, options.timeoutMs);
    const ok = r.exitCode === 0;
    const tail = redactSecrets(r.output).slice(-400).trim();
    last = { ok, tries: attempt, exitCode: r.exitCode, reason: ok ? 'exit code 0' : failure(r, options.timeoutMs), tail, interrupted: r.interruptedBy !== null };
    options.log[ok ? 'info' : 'warn']({ command: argv[0], try: attempt, exitCode: r.exitCode, timedOut: r.timedOut, outputTail: tail }, ok ? 'power command ran' : 'power command failed');
    if (ok || last.interrupted) return last;
  }
  return last;
}

function failure(r: Awaited<ReturnType<typeof runInGroup>>, timeoutMs: number): string {
  if (r.interruptedBy) return `interrupted: tbx is stopping (${r.interruptedBy})`;
  if (r.timedOut) return `timed out after ${timeoutMs / 1000} s (killed)`;
  if (r.startError) return redactSecrets(r.startError);
  return r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit code ${r.exitCode}`;
}
