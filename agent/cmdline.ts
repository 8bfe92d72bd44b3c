import { readFile } from 'node:fs/promises';
import { ACTIONS, type Action } from '../schema/types.js';
import { parseTestboxArgs } from '../pxe/marker.js';
import { AgentFailure, EXIT } from './exit-codes.js';
import { parseImagingArgs, type ImagingArgs } from './imaging-args.js';

/** What the kernel command line tells the agent. */
export interface BootArgs {
  tokens: string[];
  action: Exclude<Action, 'none'>;
  request?: string;
  name?: string;
  /** The address of a static `ip=<client>:...` argument, if any. */
  kernelIp?: string;
  /** tbx's imaging tokens (format, keep, free space, source). */
  imaging: ImagingArgs;
}

/** Read the kernel command line's tokens (seed step 6 reads /proc/cmdline). */
export async function readCmdline(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean);
}

/** The static ip= address on the command line, used to pick between several interfaces. */
export function kernelIpOf(tokens: string[]): string | undefined {
  const ip = tokens.find((t) => t.startsWith('ip='))?.slice(3).split(':')[0];
  return ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip : undefined;
}

/**
 * The action from `testbox-action-<action>` (seed step 6): missing is code 14, unknown is
 * code 15. Also returns tbx's `testbox-request=`, `testbox-name=` and imaging tokens.
 */
export function parseBootArgs(tokens: string[]): BootArgs {
  refuseDuplicates(tokens);
  const args = parseTestboxArgs(tokens);
  if (args.action === undefined) {
    throw new AgentFailure(EXIT.noAction, 'No action given.  Expected testbox-action-backup, testbox-action-backup-again, testbox-action-restore, testbox-action-refresh-info, or testbox-action-rescue on the kernel command line.');
  }
  if (!(ACTIONS as readonly string[]).includes(args.action) || args.action === 'none') {
    throw new AgentFailure(EXIT.badAction, `Invalid action 'testbox-action-${args.action}'`);
  }
  const kernelIp = kernelIpOf(tokens);
  return {
    tokens,
    action: args.action as Exclude<Action, 'none'>,
    ...(args.request ? { request: args.request } : {}),
    ...(args.name ? { name: args.name } : {}),
    ...(kernelIp ? { kernelIp } : {}),
    imaging: parseImagingArgs(tokens),
  };
}

/**
 * Each testbox-* token decides what lands on a disk, so one that appears twice (a hand-edited
 * config, or extraArgs that slipped past validation) is refused (code 15), never resolved by
 * taking the first or the last.
 */
function refuseDuplicates(tokens: string[]): void {
  const seen = new Map<string, string>();
  for (const t of tokens) {
    if (!t.startsWith('testbox-')) continue;
    const key = t.startsWith('testbox-action-') ? 'testbox-action-' : t.split('=', 1)[0]!;
    const first = seen.get(key);
    if (first !== undefined) throw new AgentFailure(EXIT.badAction, `Invalid kernel command line: '${first}' and '${t}' both set ${key}; refusing to guess which one the request meant`);
    seen.set(key, t);
  }
}
