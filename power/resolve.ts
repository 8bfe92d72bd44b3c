import type { Power, Site, Testbox } from '../schema/types.js';

/** The power settings in force for one box, with defaults applied. */
export interface EffectivePower {
  rebootCommand?: string[];
  checkCommand?: string[];
  check?: { tcp: number };
  timeoutSeconds: number;
  retries: number;
  comebackMinutes: number;
}

/** Defaults: a command (or one check try) may take a minute, a reboot command is tried up to three times, and a box has 15 minutes to come back. */
export const POWER_DEFAULTS = { timeoutSeconds: 60, retries: 2, comebackMinutes: 15 } as const;

/**
 * Merge the site's `power` with the box's override. `power: manual` on the box, or no
 * reboot command anywhere, means tbx never reboots the box (it waits for a natural reboot).
 * Returns undefined when the box is manual.
 */
export function effectivePower(site: Site, box: Testbox): EffectivePower | undefined {
  if (box.power === 'manual') return undefined;
  const merged: Power = { ...(site.power ?? {}), ...(box.power ?? {}) };
  // A box that sets its own check kind replaces the site's other kind, not adds to it.
  if (box.power && typeof box.power === 'object') {
    if (box.power.check && !box.power.checkCommand) delete merged.checkCommand;
    if (box.power.checkCommand && !box.power.check) delete merged.check;
  }
  return { ...POWER_DEFAULTS, ...merged };
}
