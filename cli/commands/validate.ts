import type { Command } from 'commander';
import { Option } from 'commander';
import { isActionable, readDesired } from '../../fleet/read-desired.js';
import { formatDiagnostics, formatGithub } from '../views/diagnostics.js';

/** `tbx validate [DIR]`: the fleet repo's PR check. Exit 0 when valid, 1 otherwise. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a fleet checkout: schemas and cross-file rules (the PR check)')
    .argument('[dir]', 'fleet checkout', process.env.TBX_FLEET ?? '.')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .addHelpText('after', '\nExamples:\n  tbx validate .\n  tbx validate --format github fleet/   # annotations in a GitHub Actions job\n\nExit codes: 0 valid, 1 invalid or unreadable.')
    .action(async (dir: string, opts: { format: string }) => {
      const desired = await readDesired(dir);
      const ok = isActionable(desired);
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ valid: ok, boxes: desired.boxes.length, diagnostics: desired.diagnostics }, null, 2)}\n`);
      } else if (opts.format === 'github') {
        if (desired.diagnostics.length) process.stdout.write(`${formatGithub(desired.diagnostics)}\n`);
      } else {
        if (desired.diagnostics.length) process.stdout.write(`${formatDiagnostics(desired.diagnostics)}\n`);
        const errors = desired.diagnostics.filter((d) => d.severity === 'error').length;
        process.stdout.write(ok ? `fleet is valid: ${desired.boxes.length} testbox(es), ${desired.statuses.size} status file(s)\n` : `fleet is invalid: ${errors} error(s)\n`);
      }
      process.exitCode = ok ? 0 : 1;
    });
}
