/**
 * Parse a `--since` value into a point in time: a duration back from `now` (`90s`, `30m`,
 * `2h`, `7d`, `2w`) or an absolute ISO-8601 date or timestamp (`2026-11-24`,
 * `2026-11-24T10:00:00Z`). Throws a RangeError for anything else.
 */
export function parseSince(text: string, now: Date = new Date()): Date {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(m[1]) * unit * 1000);
  }
  if (/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(text.trim())) {
    const d = new Date(text.trim());
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new RangeError(`expected a duration like 30m, 2h, 7d or a date like 2026-11-24, got ${JSON.stringify(text)}`);
}
