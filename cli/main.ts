import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { describeError, TbxError, ValidationError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { redact } from '../lib/redact.js';
import { applyConfig, DEFAULT_CONFIG_PATH, readConfigFile } from './config-file.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatDiagnostics } from './views/diagnostics.js';

type Register = (program: Command, logger: () => Logger) => void;

/**
 * Every command module, by the top-level command names it registers. Modules are imported
 * only when needed: a run of `tbx status` loads the status command, not the imaging engine,
 * the report renderer or esbuild. Order is the order of `tbx --help`.
 */
const COMMANDS: ReadonlyArray<{ names: string[]; load: () => Promise<{ register: Register }> }> = [
  { names: ['init'], load: () => import('./commands/init.js') },
  { names: ['doctor'], load: () => import('./commands/doctor.js') },
  { names: ['validate'], load: () => import('./commands/validate.js') },
  { names: ['plan'], load: () => import('./commands/plan.js') },
  { names: ['reconcile'], load: () => import('./commands/reconcile.js') },
  { names: ['request'], load: () => import('./commands/request.js') },
  { names: ['agent'], load: () => import('./commands/agent.js') },
  { names: ['bootimage'], load: () => import('./commands/bootimage.js') },
  { names: ['status'], load: () => import('./commands/status.js') },
  { names: ['history'], load: () => import('./commands/history.js') },
  { names: ['events'], load: () => import('./commands/events.js') },
  { names: ['report'], load: () => import('./commands/report.js') },
  { names: ['image', 'verify'], load: () => import('./commands/image.js') },
  { names: ['demo'], load: () => import('./commands/demo.js') },
  { names: ['completion'], load: () => import('./commands/completion.js') },
];

/** What `tbx --help` says after the command list: the day-to-day commands and where the exit codes are. */
const ROOT_HELP = `
Examples:
  tbx validate                                   # in a fleet checkout: the PR check
  tbx request tb-linux-01 restore --reason "broken root fs" --push
  tbx plan --format markdown > plan.md           # what the merge will do, as a PR comment
  tbx reconcile --watch                          # on the storage server (or a systemd timer)
  tbx status -o wide                             # every box: phase, progress, last backup, PXE
  tbx events --since 2h && tbx history tb-linux-01

Site paths come from --fleet/--tftp/--backup, TBX_FLEET/TBX_TFTP_ROOT/TBX_BACKUP_ROOT or
/etc/tbx/config.yaml (in that order). Tables are for people; -o json and -o yaml for scripts.

Exit codes: 0 ok, 1 error, 2 tbx plan has changes pending; tbx agent keeps the seed's codes
(10-20, 98, 99). See docs/exit-codes.md, and 'tbx <command> --help' for each command.`;

/** Global options that take a value (to find the command word after them). */
const VALUE_OPTIONS = new Set(['--log-level', '--config']);

/** The command word of `argv` (`node tbx <globals> <command> ...`), if any. */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Build the `tbx` command tree. With `argv`, only the module of its command is loaded when
 * that is a known command; help, completion, man pages and unknown words load them all (they
 * list or suggest every command).
 */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('tbx')
    .description('GitOps for testbox imaging: reviewed git changes become PXE configs, backups and restores')
    .version(version(), '-V, --version')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']).env('TBX_LOG_LEVEL').default('info'))
    .addOption(new Option('--config <file>', 'config file (flags > environment > config file)').env('TBX_CONFIG').default(DEFAULT_CONFIG_PATH))
    .addHelpText('after', ROOT_HELP)
    .showHelpAfterError()
    .exitOverride();
  // Config file values fill what neither a flag nor an environment variable set.
  program.hook('preAction', async (_self, action) => {
    const path = String(program.opts().config ?? '');
    applyConfig(program, action, await readConfigFile(path || null), path);
  });
  let log: Logger | undefined;
  const logger = () => (log ??= createLogger({ level: program.opts().logLevel as string }));
  const word = argv ? commandWord(argv) : undefined;
  // completion scripts and help list every command, so they load them all.
  const only = word && word !== 'completion' && argv && !argv.includes('--help') && !argv.includes('-h') ? COMMANDS.find((c) => c.names.includes(word)) : undefined;
  const wantVersion = argv && !word && (argv.includes('-V') || argv.includes('--version'));
  if (!wantVersion) {
    const modules = await Promise.all((only ? [only] : COMMANDS).map((c) => c.load()));
    for (const m of modules) m.register(program, logger);
  }
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
  const program = await buildProgram(argv);
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
