/** A text painter: each method wraps text in an ANSI colour, or returns it unchanged when colour is off. */
export interface Paint {
  enabled: boolean;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/**
 * Colour only on a terminal: `stream` must be a TTY, `NO_COLOR` (any non-empty value)
 * turns it off, `TERM=dumb` too; `FORCE_COLOR` (non-empty, not 0) turns it on anywhere.
 */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** A painter for `stream` (default stdout) under the colour rules of {@link colorEnabled}. */
export function painter(enabled = colorEnabled()): Paint {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { enabled, green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), blue: wrap(34, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** Colour a phase or outcome the way kubectl users expect: green good, red bad, yellow in flight. */
export function paintPhase(p: Paint, phase: string): string {
  if (/^(Succeeded|done|noop)$/.test(phase)) return p.green(phase);
  if (/^(Failed|Stalled|blocked)/.test(phase)) return p.red(phase);
  if (/^(Running|Pending|Rescue|queued|create|update|delete|keep)/.test(phase)) return p.yellow(phase);
  return phase;
}

/** Text without ANSI escape sequences (for width calculations). */
export function stripAnsi(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
