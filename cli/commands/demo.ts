import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createSite } from '../../demo/site.js';
import { runStory } from '../../demo/story.js';

/** `tbx demo`: the whole story on a throwaway site in a temp dir; no servers, no real disks. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('run the tbx story on a throwaway site in a temp dir (no servers, no real disks)')
    .addHelpText(
      'after',
      '\nBuilds a bare fleet repo from fleet/example/, a TFTP root, a backup share and file-backed disks,\nthen backs up every box, breaks a disk, merges a restore request and restores it bit for bit.\nDay 2 follows on the same site: init site, doctor, request, plan --format markdown, reconcile with\nmetrics and a webhook, status, events, history and report.\n\nExamples:\n  tbx demo\n  tbx demo > demo.log    # the README\'s Day 2 section is pasted from such a run',
    )
    .action(async () => {
      const started = Date.now();
      const root = await mkdtemp(join(tmpdir(), 'tbx-demo-'));
      const say = (t: string) => process.stdout.write(`${t}\n`);
      say(`Building a demo site in ${root} ...`);
      const site = await createSite(root);
      await runStory(site, say);
      say(`\n==> Done in ${((Date.now() - started) / 1000).toFixed(1)} s. The site is still there to explore:`);
      say(`  fleet repo (bare)   ${site.bare}\n  admin checkout      ${site.admin}\n  TFTP root           ${site.tftp}\n  backup share        ${site.backup}\n  box disks           ${join(root, 'boxes')}`);
      say(`  try: TBX_FLEET=${site.bare} TBX_TFTP_ROOT=${site.tftp} TBX_BACKUP_ROOT=${site.backup} TBX_STATE_DIR=${site.state} npx tbx status`);
    });
}
