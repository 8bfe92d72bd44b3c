import { Option, type Command } from 'commander';
import { boxHistory } from '../../fleet/history.js';
import { readDesired } from '../../fleet/read-desired.js';
import { openFleet } from '../../fleet/source.js';
import { allStores } from '../../imaging/stores.js';
import { UsageError } from '../../lib/errors.js';
import { boxDir } from '../../share/layout.js';
import { JSON_OUT, OUTPUT, outputFormat, siteOptions, withSiteOptions } from '../options.js';
import { isDataFormat, renderData } from '../views/data.js';
import { renderHistoryText, type BoxHistoryView } from '../views/history-view.js';

/** `tbx history <box>`: who asked for what and when, who approved it, what happened, and the images that exist. */
export function register(program: Command): void {
  withSiteOptions(program.command('history').description("a box's requests from git (who asked, who approved, what the agent did) and its images"), { shares: false })
    .addOption(new Option('--backup <dir>', 'backup share root: also list the images that exist for the box').env('TBX_BACKUP_ROOT'))
    .argument('<box>', 'testbox name')
    .addOption(OUTPUT(['text', 'json', 'yaml']))
    .addOption(JSON_OUT())
    .addHelpText(
      'after',
      `
"approved" is the author of the merge commit that brought the request into the followed
branch (the reviewer who merged the pull request). Each attempt shows when the agent
started and finished, the result and the digest of every disk it read or wrote (sha256 for
gzip images, blake3-tree for chunked ones). Times are UTC. With --backup every image
generation on the share is listed: SIZE is the disk it was taken from, STORED the bytes the
backup added to the share (an unchanged disk adds almost nothing to the chunk store).

Examples:
  tbx history tb-linux-01 --fleet ssh://git.lab/fleet.git --backup /srv/testbox-backup
  tbx history tb-linux-01 --fleet . -o json | jq '.requests[-1].results'

Exit codes: 0 shown, 1 error (the box was never in the fleet, the fleet repo is unreachable).`,
    )
    .action(async (box: string, opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet']);
      const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
      const requests = await boxHistory(checkout.dir, box);
      const view: BoxHistoryView = { box, ip: null, requests, images: null };
      const desired = await readDesired(checkout.dir, checkout.revision);
      const current = desired.boxes.find((b) => b.name === box);
      if (!current && !requests.length) throw new UsageError(`no testbox ${box} in the fleet, now or in its history`);
      view.ip = current?.ip ?? null;
      if (typeof opts.backup === 'string' && opts.backup && current) {
        const dir = boxDir(String(opts.backup), current.ip);
        // Every generation, not just the newest per disk: history is about what can be restored.
        view.images = (await Promise.all(allStores().map((s) => (s.generations ? s.generations(dir) : s.list(dir))))).flat();
      }
      const format = outputFormat(opts);
      process.stdout.write(`${isDataFormat(format) ? renderData(view, format) : renderHistoryText(view)}\n`);
    });
}
