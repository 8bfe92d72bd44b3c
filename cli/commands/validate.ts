import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { isActionable, readDesired } from '../../fleet/read-desired.js';
import { UsageError } from '../../lib/errors.js';
import { formatDiagnostics, formatGithub } from '../views/diagnostics.js';

/** `tbx validate [DIR]`: the fleet repo's PR check. Exit 0 when valid, 1 otherwise. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a fleet checkout: schemas and cross-file rules (the PR check)')
    // Not $TBX_FLEET: on a reconciler host that names a bare repo or a URL, not a directory.
    .argument('[dir]', 'fleet checkout (default: the current directory, like terraform validate)', '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .addHelpText(
      'after',
      `
With --format github the annotations name files relative to the workspace ($GITHUB_WORKSPACE,
else the current directory), so 'tbx validate --format github fleet/' annotates
fleet/testboxes/<box>.yaml.

Examples:
  tbx validate
  tbx validate --format github fleet/   # annotations in a GitHub Actions job
  tbx validate --format json ~/fleet | jq '.diagnostics[]'

Exit codes: 0 valid (warnings allowed), 1 invalid, not a fleet checkout, or unreadable.`,
    )
    .action(async (dir: string, opts: { format: string }) => {
      await assertFleetCheckout(dir);
      const desired = await readDesired(dir);
      const ok = isActionable(desired);
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ valid: ok, boxes: desired.boxes.length, diagnostics: desired.diagnostics }, null, 2)}\n`);
      } else if (opts.format === 'github') {
        if (desired.diagnostics.length) process.stdout.write(`${formatGithub(desired.diagnostics, workspacePrefix(dir))}\n`);
      } else {
        if (desired.diagnostics.length) process.stdout.write(`${formatDiagnostics(desired.diagnostics)}\n`);
        const errors = desired.diagnostics.filter((d) => d.severity === 'error').length;
        process.stdout.write(ok ? `fleet is valid: ${desired.boxes.length} testbox(es), ${desired.statuses.size} status file(s)\n` : `fleet is invalid: ${errors} error(s)\n`);
      }
      process.exitCode = ok ? 0 : 1;
    });
}

/** `dir` must be a directory holding fleet.yaml; otherwise a usage error that says which. */
async function assertFleetCheckout(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new UsageError(`no such directory: ${dir}`);
  if (!st.isDirectory()) throw new UsageError(`not a directory: ${dir}`);
  if (!(await stat(join(dir, 'fleet.yaml')).catch(() => undefined))) throw new UsageError(`not a fleet checkout (no fleet.yaml): ${dir}`);
}

/**
 * What to put before a fleet file's path so GitHub finds it: `dir` relative to the workspace
 * (`fleet/`), or nothing when `dir` is the workspace or lies outside it.
 */
function workspacePrefix(dir: string): string {
  const rel = relative(resolve(process.env.GITHUB_WORKSPACE || process.cwd()), resolve(dir));
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return '';
  return `${rel.split(sep).join('/')}/`;
}
