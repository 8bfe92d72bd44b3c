import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Result } from 'execa';
import { mergeBranch } from './pull-request.js';
import { git, PEOPLE } from './site.js';
import type { SimBox } from './pxe-boot.js';
import type { DemoSite } from './site.js';
import type { Say } from './story.js';

/** What the day-2 walk-through borrows from the story: its `tbx` runner and simulated boots. */
export interface StoryTools {
  tbx(args: string[], expectCodes?: number[], extraEnv?: Record<string, string>): Promise<Result>;
  boot(box: SimBox): Promise<void>;
}

/**
 * Day 2 on the demo site, the way the admins, reviewers and on-call people live with it:
 * set up and check the site, request a backup-again for rack b3 without editing YAML,
 * review the plan as a PR comment, watch it happen (status, metrics, webhook
 * notifications to a loopback receiver) and audit it (events, history, HTML report).
 */
export async function runDay2(site: DemoSite, say: Say, { tbx, boot }: StoryTools): Promise<void> {
  const hooks: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      const e = JSON.parse(body) as { type: string; text: string };
      hooks.push(`webhook <- ${e.type}: ${e.text}`);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tbx`;
  const metrics = join(site.root, 'metrics', 'tbx.prom');
  await mkdir(join(site.root, 'metrics'), { recursive: true });
  const observe = { TBX_METRICS_FILE: metrics, TBX_WEBHOOK_URL: hookUrl };
  try {
    say('\n==> 6. Day 2: set up and check the site');
    await tbx(['init', 'site', '--tftp', site.tftp, '--backup', site.backup]);
    await tbx(['doctor']);

    say('\n==> 7. Request: Alice asks for fresh images of rack b3 without editing YAML');
    // Her checkout carries her identity, as any admin's does.
    await git(site.admin, ['config', 'user.name', PEOPLE.alice.name]);
    await git(site.admin, ['config', 'user.email', PEOPLE.alice.email]);
    const req = await tbx(['request', '-l', 'rack=b3', 'backup-again', '--reason', 'Fresh images before the firmware update of rack b3.', '--push', '-C', site.admin]);
    const branch = /on branch (\S+)/.exec(String(req.stdout))![1]!;
    await tbx(['reconcile'], [0], observe); // the reconciler runs all day; this pass only records the baseline

    say('\n==> 8. Review: the pull request check comments the plan; Bob reads it and merges');
    await mergeBranch(site.admin, { number: 3, branch, title: 'Fresh images of rack b3 before the firmware update' });
    await tbx(['plan', '--format', 'markdown'], [2]);

    say('\n==> 9. Watch it happen');
    await tbx(['reconcile'], [0], observe);
    await tbx(['status', '-o', 'wide']);
    for (const b of site.boxes) await boot(b);
    await tbx(['reconcile'], [0], observe);
    for (const h of hooks) say(`  ${h}`);
    say(`$ grep -E '^tbx_(boxes|imaged_bytes_total|actions_total)' ${metrics}`);
    say(indent((await readFile(metrics, 'utf8')).split('\n').filter((l) => /^tbx_(boxes|imaged_bytes_total|actions_total)/.test(l)).join('\n')));
    await tbx(['status', '-l', 'rack=b3']);

    say('\n==> 10. Audit it afterwards');
    await tbx(['events', '--since', '1h', 'tb-linux-02']);
    await tbx(['history', 'tb-linux-02']);
    await tbx(['report', '--out', join(site.root, 'report')]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** Give the demo's TFTP root the maintenance kernel and initrd files doctor looks for (placeholders). */
export async function placeMaintenanceBoot(tftp: string): Promise<void> {
  await mkdir(join(tftp, 'maintenance-boot'), { recursive: true });
  await writeFile(join(tftp, 'maintenance-boot', 'vmlinuz'), 'demo placeholder: the maintenance kernel goes here\n');
  await writeFile(join(tftp, 'maintenance-boot', 'initrd.img'), 'demo placeholder: the maintenance initrd goes here\n');
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}
