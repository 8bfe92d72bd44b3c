import { UsageError } from '../lib/errors.js';

/** One requirement of a label selector. */
export type Requirement =
  | { key: string; op: 'eq' | 'ne'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'absent' };

/**
 * Parse a kubectl-style label selector: comma-separated `k=v`, `k==v`, `k!=v`, `k`, `!k`,
 * `k in (a,b)`, `k notin (a,b)`. All requirements must hold. Throws a {@link UsageError}.
 */
export function parseSelector(text: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const key = '[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?';
  const value = '[A-Za-z0-9._:/@+-]*';
  return parts.map((raw) => {
    const p = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^(${key})\\s*(==|=|!=)\\s*(${value})$`).exec(p))) return { key: m[1]!, op: m[3] === '!=' ? 'ne' : 'eq', value: m[4]! };
    if ((m = new RegExp(`^(${key})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(p))) {
      const values = m[4]!.split(',').map((v) => v.trim()).filter(Boolean);
      return { key: m[1]!, op: m[3] as 'in' | 'notin', values };
    }
    if ((m = new RegExp(`^(!?)\\s*(${key})$`).exec(p))) return { key: m[2]!, op: m[1] ? 'absent' : 'exists' };
    throw new UsageError(`bad label selector ${JSON.stringify(raw)} in ${JSON.stringify(text)}: expected key=value, key!=value, key, !key or key in (a,b)`);
  });
}

/** True when `labels` satisfy every requirement. */
export function matchesSelector(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'ne':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'absent':
        return !has;
    }
  });
}
