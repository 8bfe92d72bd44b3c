import type { Command } from 'commander';
import { boxHistory } from '../../fleet/history.js';
import { openFleet } from '../../fleet/source.js';
import { JSON_OUT, siteOptions, withSiteOptions } from '../options.js';
import { renderHistoryText } from '../views/history-view.js';

/** `tbx history <box>`: who asked for what and when, who merged it, and the result, from git. */
export function register(program: Command): void {
  withSiteOptions(program.command('history').description("a box's requests from git: who asked, who merged, what happened"), { shares: false })
    .argument('<box>', 'testbox name')
    .addOption(JSON_OUT())
    .addHelpText('after', '\nExamples:\n  tbx history tb-linux-01 --fleet ssh://git.lab/fleet.git\n  tbx history tb-linux-01 --fleet . --json')
    .action(async (box: string, opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet']);
      const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
      const history = await boxHistory(checkout.dir, box);
      process.stdout.write(`${opts.json ? JSON.stringify(history, null, 2) : renderHistoryText(box, history)}\n`);
    });
}
