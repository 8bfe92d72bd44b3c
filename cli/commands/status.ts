import type { Command } from 'commander';
import { readDesired } from '../../fleet/read-desired.js';
import { openFleet } from '../../fleet/source.js';
import { allStores } from '../../imaging/stores.js';
import { ValidationError } from '../../lib/errors.js';
import { fleetStatus } from '../../reconciler/fleet-status.js';
import { JSON_OUT, siteOptions, withSiteOptions } from '../options.js';
import { renderStatusText } from '../views/status-view.js';

/** `tbx status`: one row per box with its request, phase, last backup and PXE config. */
export function register(program: Command): void {
  withSiteOptions(program.command('status').description('show every box: action and request, phase, last backup, active PXE config'))
    .addOption(JSON_OUT())
    .addHelpText('after', '\nExamples:\n  tbx status --fleet ssh://git.lab/fleet.git --backup /srv/testbox-backup --tftp /srv/testbox-tftp\n  tbx status --json | jq \'.[] | select(.phase == "Failed")\'')
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'backup']);
      const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
      const desired = await readDesired(checkout.dir, checkout.revision);
      if (!desired.site) throw new ValidationError(desired.diagnostics);
      const rows = await fleetStatus(desired, { backupRoot: site.backup, stores: allStores(), ...(site.tftp ? { tftpRoot: site.tftp } : {}) });
      process.stdout.write(`${opts.json ? JSON.stringify(rows, null, 2) : renderStatusText(rows)}\n`);
    });
}
