/** Who a PXE file belongs to, read from tbx's first-line marker. */
export interface PxeOwner {
  box: string;
  request: string;
  action?: string;
}

/** First line of `pxelinux.cfg/default` when tbx wrote it. */
export const DEFAULT_MARKER = '# managed-by: tbx default';

const MARKER = /^# managed-by: tbx box=([a-z0-9][-a-z0-9]*) request=(\S+)(?: action=([a-z-]+))?[ \t]*$/;

/** The marker line tbx puts first in every box config it writes. */
export function markerLine(box: string, request: string, action: string): string {
  return `# managed-by: tbx box=${box} request=${request} action=${action}`;
}

/**
 * The owner of a PXE file, or undefined when tbx did not write it. Only a marker on the
 * very first line counts, so a hand-written file that merely mentions tbx stays foreign.
 */
export function parseOwner(content: string): PxeOwner | undefined {
  const first = content.split('\n', 1)[0] ?? '';
  const m = MARKER.exec(first);
  if (!m) return undefined;
  return { box: m[1]!, request: m[2]!, ...(m[3] ? { action: m[3] } : {}) };
}

/** True when `content` is a `default` file tbx wrote. */
export function isOwnDefault(content: string): boolean {
  return (content.split('\n', 1)[0] ?? '').trimEnd() === DEFAULT_MARKER;
}

/**
 * The `testbox-*` tokens of a config's APPEND line (what the box's kernel will see):
 * the action, request id and box name. Undefined fields were not present.
 */
export function parseAppend(content: string): { action?: string; request?: string; name?: string } {
  const line = content.split('\n').find((l) => /^\s*APPEND\s/i.test(l));
  return line ? parseTestboxArgs(line.trim().split(/\s+/).slice(1)) : {};
}

/** Read `testbox-action-<a>`, `testbox-request=<id>` and `testbox-name=<n>` from kernel arguments. */
export function parseTestboxArgs(tokens: string[]): { action?: string; request?: string; name?: string } {
  const out: { action?: string; request?: string; name?: string } = {};
  for (const t of tokens) {
    if (t.startsWith('testbox-action-')) out.action = t.slice('testbox-action-'.length);
    else if (t.startsWith('testbox-request=')) out.request = t.slice('testbox-request='.length);
    else if (t.startsWith('testbox-name=')) out.name = t.slice('testbox-name='.length);
  }
  return out;
}
