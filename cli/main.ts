import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError, TbxError, ValidationError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { redact } from '../lib/redact.js';
import * as agent from './commands/agent.js';
import * as demo from './commands/demo.js';
import * as history from './commands/history.js';
import * as image from './commands/image.js';
import * as plan from './commands/plan.js';
import * as reconcile from './commands/reconcile.js';
import * as status from './commands/status.js';
import * as validate from './commands/validate.js';
import { formatDiagnostics } from './views/diagnostics.js';

/** Build the `tbx` command tree. */
export function buildProgram(): Command {
  const program = new Command('tbx')
    .description('GitOps for testbox imaging: reviewed git changes become PXE configs, backups and restores')
    .version(version(), '-V, --version')
    .option('--log-level <level>', 'trace, debug, info, warn, error', process.env.TBX_LOG_LEVEL ?? 'info')
    .showHelpAfterError()
    .exitOverride();
  let log: Logger | undefined;
  const logger = () => (log ??= createLogger({ level: program.opts().logLevel as string }));
  validate.register(program);
  plan.register(program, logger);
  reconcile.register(program, logger);
  agent.register(program);
  status.register(program);
  history.register(program);
  image.register(program, logger);
  demo.register(program);
  return program;
}

/** The single top-level catch: map every error to a message and an exit code (1). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
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
