import type { Diagnostic } from '../../lib/errors.js';

/** `file:line:col: error: message [rule]`, one per line: the format editors and CI understand. */
export function formatDiagnostics(diags: Diagnostic[]): string {
  return diags.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message} [${d.rule}]`).join('\n');
}

/** GitHub Actions workflow commands: annotations on the right file and line. */
export function formatGithub(diags: Diagnostic[], prefix = ''): string {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escProp = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return diags
    .map((d) => `::${d.severity === 'error' ? 'error' : 'warning'} file=${escProp(prefix + d.file)},line=${d.line},col=${d.col},title=${escProp(`tbx ${d.rule}`)}::${esc(d.message)}`)
    .join('\n');
}
