import { stripAnsi } from './color.js';

/** Render rows as an aligned plain-text table with a header row (kubectl style); coloured cells keep their alignment. */
export function table(header: string[], rows: string[][]): string {
  const width = (s: string) => stripAnsi(s).length;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[i]! - width(c))))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
