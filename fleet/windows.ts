import { CronExpressionParser } from 'cron-parser';

/** Whether new actions may start now, and if not, when they may. */
export interface WindowState {
  open: boolean;
  /** The next minute a window matches (ISO-8601), when closed. */
  nextOpen?: string;
}

/**
 * Pure: is `now` inside one of the cron-style allow `windows` (read in `timezone`)? With no
 * windows configured the site is always open. Each window is a five-field cron expression
 * whose matching minutes are allowed, e.g. `* 22-23,0-5 * * 1-5` for weeknights.
 */
export function windowState(windows: string[] | undefined, timezone: string, now: string): WindowState {
  if (!windows?.length) return { open: true };
  const at = new Date(now);
  const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
  let next: Date | undefined;
  for (const w of windows) {
    const expr = CronExpressionParser.parse(w, { tz: timezone, currentDate: new Date(minute.getTime() - 1) });
    if (expr.includesDate(minute)) return { open: true };
    const n = expr.next().toDate();
    if (!next || n < next) next = n;
  }
  return { open: false, ...(next ? { nextOpen: next.toISOString().replace(/\.\d+Z$/, 'Z') } : {}) };
}

/** A window expression's problem, or undefined when it parses (for validation). */
export function windowProblem(expr: string, timezone: string): string | undefined {
  if (expr.trim().split(/\s+/).length !== 5) return `window '${expr}' must have five fields: minute hour day month weekday`;
  try {
    CronExpressionParser.parse(expr, { tz: timezone });
    return undefined;
  } catch (err) {
    return `window '${expr}': ${(err as Error).message}`;
  }
}

/** `2h` -> milliseconds (s, m, h, d). */
export function durationMs(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
