import { homedir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../lib/errors.js';

/** `--fleet`, `--tftp`, `--backup`, each with its environment variable. */
export const FLEET = () => new Option('--fleet <repo>', 'fleet repo: a git URL, a bare repo or a checkout').env('TBX_FLEET');
export const TFTP = () => new Option('--tftp <dir>', 'TFTP root (holds pxelinux.0 and pxelinux.cfg/)').env('TBX_TFTP_ROOT');
export const BACKUP = () => new Option('--backup <dir>', 'backup share root (holds the testbox-backup marker)').env('TBX_BACKUP_ROOT');
export const STATE = () => new Option('--state-dir <dir>', "where tbx keeps its clones of the fleet repo").env('TBX_STATE_DIR');
export const BRANCH = () => new Option('--branch <name>', 'fleet branch to follow (default: the remote default branch)').env('TBX_BRANCH');
export const JSON_OUT = () => new Option('--json', 'same as -o json (kept for scripts that use it)');

/** `-o, --output <format>`, kubectl's output flag; `choices` are what the command offers, the first is the default. */
export const OUTPUT = (choices: [string, ...string[]]) => new Option('-o, --output <format>', 'output format').choices(choices).default(choices[0]);

/** The output format a command was asked for: `--json` (the older flag, an alias) or `-o`. */
export function outputFormat(opts: Record<string, unknown>): string {
  return opts.json === true ? 'json' : String(opts.output);
}
export const PROTECTED = () => new Option('--protected-branch <name>', 'act only on revisions reachable from this branch').env('TBX_PROTECTED_BRANCH');
export const SIGNERS = () => new Option('--allowed-signers <file>', 'require desired-state commits signed by a key in this SSH allowed-signers file').env('TBX_ALLOWED_SIGNERS');
export const SIGNED_SINCE = () => new Option('--signed-since <commit>', 'with --allowed-signers: trust history before this commit').env('TBX_SIGNED_SINCE');

/** Add the who-may-ask options (reconcile and plan). */
export function withTrustOptions(cmd: Command): Command {
  return cmd.addOption(PROTECTED()).addOption(SIGNERS()).addOption(SIGNED_SINCE());
}

/** The trust policy from those options. */
export function trustOptions(opts: Record<string, unknown>): { protectedBranch?: string; allowedSigners?: string; signedSince?: string } {
  const pick = (k: string) => (typeof opts[k] === 'string' && opts[k] ? { [k]: opts[k] as string } : {});
  return { ...pick('protectedBranch'), ...pick('allowedSigners'), ...pick('signedSince') };
}

/** Add the options every fleet-reading command shares. */
export function withSiteOptions(cmd: Command, { shares = true }: { shares?: boolean } = {}): Command {
  cmd.addOption(FLEET()).addOption(STATE()).addOption(BRANCH());
  if (shares) cmd.addOption(TFTP()).addOption(BACKUP());
  return cmd;
}

/** Resolved site paths. */
export interface SiteOptions {
  fleet: string;
  tftp: string;
  backup: string;
  stateDir: string;
  branch?: string;
}

/** Read the site options of a command, failing with a usage error that names the flag and variable. */
export function siteOptions(opts: Record<string, unknown>, need: ('fleet' | 'tftp' | 'backup')[]): SiteOptions {
  const names = { fleet: ['--fleet', 'TBX_FLEET'], tftp: ['--tftp', 'TBX_TFTP_ROOT'], backup: ['--backup', 'TBX_BACKUP_ROOT'] } as const;
  for (const k of need) {
    if (typeof opts[k] !== 'string' || !opts[k]) throw new UsageError(`missing ${names[k][0]} (or set ${names[k][1]})`);
  }
  return {
    fleet: String(opts.fleet ?? ''),
    tftp: String(opts.tftp ?? ''),
    backup: String(opts.backup ?? ''),
    stateDir: typeof opts.stateDir === 'string' ? opts.stateDir : defaultStateDir(),
    ...(typeof opts.branch === 'string' ? { branch: opts.branch } : {}),
  };
}

/** /var/lib/tbx for root, else $XDG_STATE_HOME/tbx (or ~/.local/state/tbx). */
export function defaultStateDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/tbx';
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'tbx');
}
