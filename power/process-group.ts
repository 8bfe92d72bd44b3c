import { execa } from 'execa';

/** How one run of a command in its own process group ended. */
export interface GroupRun {
  /** The exit code; null when a signal ended it or it never started. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** The time limit ran out and the whole group was killed. */
  timedOut: boolean;
  /** tbx is stopping (this signal arrived): the group was killed, or the command never started. */
  interruptedBy: NodeJS.Signals | null;
  /** Why the program could not be started (not found, not executable). */
  startError: string | null;
  /** stdout and stderr, interleaved as they came. Not redacted: callers scrub before showing it. */
  output: string;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const groups = new Set<number>();
let stopping: NodeJS.Signals | null = null;
let exitHook = false;

/**
 * Run an argv (no shell) as the leader of a new process group and wait for it, at most
 * `timeoutMs`. At the time limit the whole group is killed with SIGKILL, so a child the
 * command left running (`sleep 20 &`) cannot hold its pipes open and keep the pass (and its
 * lock) waiting. When the command itself exits, whatever it left in its group is killed too:
 * the command is the process named, not its leftovers. If tbx receives SIGINT, SIGTERM or
 * SIGHUP meanwhile, every running group is killed; when nothing else handles the signal, tbx
 * then dies of it as it would have anyway. Never throws for the command's failures.
 */
export async function runInGroup(argv: string[], timeoutMs: number): Promise<GroupRun> {
  if (stopping) return { exitCode: null, signal: null, timedOut: false, interruptedBy: stopping, startError: null, output: '' };
  // detached: setsid(), so the child leads a new group whose id is its pid.
  const child = execa(argv[0]!, argv.slice(1), { reject: false, all: true, stdin: 'ignore', detached: true, cleanup: false });
  const pgid = child.pid;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (pgid !== undefined) {
    watchSignals();
    groups.add(pgid);
    timer = setTimeout(() => {
      timedOut = true;
      killGroup(pgid);
    }, timeoutMs);
    child.once('exit', () => killGroup(pgid));
  }
  try {
    const r = await child;
    // A process that ran ends with an exit code or a signal; neither means it never started.
    const started = r.exitCode !== undefined || r.signal !== undefined;
    return {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut,
      interruptedBy: stopping && r.failed && !timedOut ? stopping : null,
      startError: started ? null : (r.shortMessage ?? 'could not start').split('\n')[0]!,
      output: typeof r.all === 'string' ? r.all : '',
    };
  } finally {
    clearTimeout(timer);
    if (pgid !== undefined) groups.delete(pgid);
    if (!groups.size) unwatchSignals();
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: nothing is left in the group.
  }
}

function onStop(signal: NodeJS.Signals): void {
  stopping = signal;
  for (const g of groups) killGroup(g);
  unwatchSignals();
  // A one-shot `tbx reconcile` has no handler of its own: die of the signal, as before.
  // `--watch` has one: it finishes the pass (whose commands now end at once) and stops.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function watchSignals(): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const g of groups) killGroup(g);
    });
  }
  if (groups.size) return;
  // First in line: a caller's process.once() handler removes itself when the signal is
  // emitted, and onStop must still see it to know that someone else handles the signal.
  for (const s of STOP_SIGNALS) process.prependListener(s, onStop);
}

function unwatchSignals(): void {
  for (const s of STOP_SIGNALS) process.removeListener(s, onStop);
}
