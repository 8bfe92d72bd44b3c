import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readDesired } from '../../fleet/read-desired.js';
import { openFleet } from '../../fleet/source.js';
import { allStores } from '../../imaging/stores.js';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { UsageError, ValidationError } from '../../lib/errors.js';
import { redact } from '../../lib/redact.js';
import { buildFleetReport } from '../../report/fleet-report.js';
import { renderReportHtml } from '../../report/render-html.js';
import { siteOptions, withSiteOptions } from '../options.js';

/** `tbx report --out dir/`: a static HTML fleet report any web server can serve. */
export function register(program: Command): void {
  withSiteOptions(program.command('report').description('write a static HTML fleet report (index.html + report.json) for any web server'))
    .requiredOption('--out <dir>', 'directory to write index.html and report.json into')
    .addHelpText(
      'after',
      `
The page is self-contained (no scripts, styles or fonts from elsewhere) and works from a
file:// URL. Run it from cron after each reconcile to keep it fresh.

Examples:
  tbx report --out /var/www/html/tbx/
  tbx report --fleet . --backup /mnt/testbox-backup --out /tmp/report && xdg-open /tmp/report/index.html

Exit codes: 0 written, 1 error (an invalid fleet, an unreachable fleet repo or share, --out not writable).`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'backup']);
      if (!opts.out) throw new UsageError('missing --out <dir>');
      const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
      const desired = await readDesired(checkout.dir, checkout.revision);
      if (!desired.site) throw new ValidationError(desired.diagnostics);
      const report = await buildFleetReport(desired, { fleet: redact(site.fleet), checkoutDir: checkout.dir, backupRoot: site.backup, ...(site.tftp ? { tftpRoot: site.tftp } : {}), stores: allStores(), now: new Date() });
      const out = String(opts.out);
      await mkdir(out, { recursive: true });
      await writeFileAtomic(join(out, 'index.html'), renderReportHtml(report));
      await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`Wrote ${join(out, 'index.html')} (${report.boxes.length} box(es)) and report.json\n`);
    });
}
