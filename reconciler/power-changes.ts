import { expandArgv } from '../power/placeholders.js';
import { effectivePower } from '../power/resolve.js';
import type { Site, Testbox, TestboxNote } from '../schema/types.js';
import type { Change } from './plan-types.js';

/**
 * Pure: the reboot step that follows writing a config for a *new* request, or undefined
 * when the box is `power: manual`, has no reboot command, or its placeholders cannot be
 * filled. Refreshing the config of a request already under way never reboots: the box may
 * be in the middle of writing its disk.
 */
export function rebootChange(site: Site, box: Testbox, note: TestboxNote | undefined): Change | undefined {
  const power = effectivePower(site, box);
  if (!power?.rebootCommand || !box.request) return undefined;
  let argv: string[];
  try {
    argv = expandArgv(power.rebootCommand, { name: box.name, ip: box.ip, request: box.request, labels: box.labels ?? {} });
  } catch {
    return undefined; // validation reports unfillable placeholders; never run half a command
  }
  return {
    op: 'reboot',
    box: box.name,
    action: box.action,
    request: box.request,
    argv,
    timeoutMs: power.timeoutSeconds * 1000,
    retries: power.retries,
    priorConditions: note && note.request === box.request ? note.conditions : [],
  };
}
