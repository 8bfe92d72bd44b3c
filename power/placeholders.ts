import { hexIp } from '../lib/hex-ip.js';

/** What a command's placeholders are filled from. */
export interface PlaceholderValues {
  name: string;
  ip: string;
  request: string;
  labels: Record<string, string>;
}

const PLACEHOLDER = /\{([a-z]+(?:\.[A-Za-z0-9._-]+)?)\}/g;

/**
 * Fill `{name}`, `{ip}`, `{hexip}`, `{request}` and `{labels.<key>}` in each argument.
 * Each argument stays one argv element whatever the values contain (spaces, quotes): no
 * shell ever sees them. Throws on an unknown placeholder or a missing label.
 */
export function expandArgv(argv: string[], v: PlaceholderValues): string[] {
  return argv.map((arg) =>
    arg.replace(PLACEHOLDER, (_, key: string) => {
      if (key === 'name') return v.name;
      if (key === 'ip') return v.ip;
      if (key === 'hexip') return hexIp(v.ip);
      if (key === 'request') return v.request;
      if (key.startsWith('labels.')) {
        const value = v.labels[key.slice('labels.'.length)];
        if (value === undefined) throw new RangeError(`placeholder {${key}}: the box has no label '${key.slice(7)}'`);
        return value;
      }
      throw new RangeError(`unknown placeholder {${key}}; use {name}, {ip}, {hexip}, {request} or {labels.<key>}`);
    }),
  );
}

/** The placeholders an argv uses that cannot be filled for a box (for validation). */
export function unfillable(argv: string[], labels: Record<string, string>): string[] {
  const bad: string[] = [];
  for (const arg of argv) {
    for (const m of arg.matchAll(PLACEHOLDER)) {
      const key = m[1]!;
      if (['name', 'ip', 'hexip', 'request'].includes(key)) continue;
      if (key.startsWith('labels.') && labels[key.slice(7)] !== undefined) continue;
      bad.push(`{${key}}`);
    }
  }
  return bad;
}
