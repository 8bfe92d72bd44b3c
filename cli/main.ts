import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { describeError, TbxError, ValidationError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { redact } from '../lib/redact.js';
import * as agent from './commands/agent.js';
import * as bootimage from './commands/bootimage.js';
import * as completion from './commands/completion.js';
import * as demo from './commands/demo.js';
import * as doctor from './commands/doctor.js';
import * as events from './commands/events.js';
import * as history from './commands/history.js';
import * as init from './commands/init.js';
import * as image from './commands/image.js';
import * as plan from './commands/plan.js';
import * as reconcile from './commands/reconcile.js';
import * as report from './commands/report.js';
import * as request from './commands/request.js';
import * as status from './commands/status.js';
import * as validate from './commands/validate.js';
import { applyConfig, DEFAULT_CONFIG_PATH, readConfigFile } from './config-file.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatDiagnostics } from './views/diagnostics.js';

/** Build the `tbx` command tree. */
export function buildProgram(): Command {
  const program = new Command('tbx')
    .description('GitOps for testbox imaging: reviewed git changes become PXE configs, backups and restores')
    .version(version(), '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).env('TBX_LOG_LEVEL').default('info'))
    .addOption(new Option('--config <file>', 'config file (flags > environment > config file)').env('TBX_CONFIG').default(DEFAULT_CONFIG_PATH))
    .showHelpAfterError()
    .exitOverride();
  // Config file values fill what neither a flag nor an environment variable set.
  program.hook('preAction', async (_self, action) => {
    const path = String(program.opts().config ?? '');
    applyConfig(program, action, await readConfigFile(path || null), path);
  });
  let log: Logger | undefined;
  const logger = () => (log ??= createLogger({ level: program.opts().logLevel as string }));
  init.register(program);
  doctor.register(program);
  validate.register(program);
  plan.register(program, logger);
  reconcile.register(program, logger);
  request.register(program);
  agent.register(program);
  bootimage.register(program, logger);
  status.register(program);
  history.register(program);
  events.register(program);
  report.register(program);
  image.register(program, logger);
  demo.register(program);
  completion.register(program);
  program
    .command('man', { hidden: true })
    .description('write the man-page style docs (docs/tbx*.1.md) from the command tree')
    .requiredOption('--out <dir>', 'directory to write into')
    .action(async (opts: { out: string }) => {
      const { writeFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const { manPages } = await import('./man-pages.js');
      for (const p of manPages(program)) await writeFile(join(opts.out, p.file), p.text);
    });
  return program;
}

/** The single top-level catch: map every error to a message and an exit code (1, see docs/exit-codes.md). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.error;
    if (err instanceof ValidationError) {
      process.stderr.write(`${formatDiagnostics(err.diagnostics)}\n`);
      process.stderr.write(`tbx: ${err.message}\n`);
      return 1;
    }
    const hint = err instanceof TbxError && err.next === 'waiting' ? ' (transient: the next run may succeed)' : '';
    process.stderr.write(`tbx: error: ${redact(describeError(err))}${hint}\n`);
    if (!(err instanceof TbxError) && process.env.TBX_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
