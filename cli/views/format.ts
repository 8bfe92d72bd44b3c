/* Small text formatters shared by the views. */

/** 2026-11-25T03:03:58Z -> "2026-11-25 03:03Z"; another zone is converted to UTC first. */
export function shortTime(iso: string): string {
  return utcTime(iso).replace(/:\d\dZ$/, 'Z');
}

/** Any ISO-8601 time, in any zone -> UTC to the second: `2026-11-25T12:00:00+02:00` -> "2026-11-25 10:00:00Z". */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** 1536 -> "1.5 KiB". */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/** 3725 -> "1h02m", 125 -> "2m05s", 9 -> "9s". */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d`;
}
