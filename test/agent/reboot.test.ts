import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import { agentArgs, makeAgentBox, requestAction } from '../helpers/agent-box.js';
import { runTbx } from '../helpers/cli.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const IP = '10.0.0.10';
const HEX = '0A00000A';
const FIXTURE = join(packageRoot(), 'test', 'fixtures', 'record-reboot.mjs');

interface Case {
  name: string;
  action: 'backup' | 'rescue';
  arrange?: (c: { boxDir: string; cmdline: string }) => Promise<void>;
  code: number;
  /** undefined: the agent must not reboot at all. */
  reboot?: { configPresent: boolean; delayed?: boolean };
}

const cases: Case[] = [
  { name: 'success -> config removed first, then one reboot', action: 'backup', code: 0, reboot: { configPresent: false } },
  {
    name: 'failure -> config kept, reboot only after --fail-delay (the seed\'s retry at the next boot)',
    action: 'backup',
    arrange: async ({ boxDir }) => writeFile(join(boxDir, 'sda.gz'), 'an image already exists'),
    code: 18,
    reboot: { configPresent: true, delayed: true },
  },
  {
    name: 'stale boot -> config kept, one reboot to pick up the current config',
    action: 'backup',
    arrange: async ({ cmdline }) => writeFile(cmdline, (await readFile(cmdline, 'utf8')).replace('testbox-request=r1', 'testbox-request=r0')),
    code: 16,
    reboot: { configPresent: true },
  },
  { name: 'rescue -> no reboot, config kept: the admin is working on the box', action: 'rescue', code: 0 },
];

for (const c of cases) {
  test(c.name, async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    const boxDir = join(shares.backup, IP);
    await requestAction(box, shares, c.action, 'r1', 'gzip');
    await mkdir(boxDir, { recursive: true });
    await c.arrange?.({ boxDir, cmdline: box.cmdline });
    const log = join(root, 'reboots.jsonl');
    const started = Date.now();
    // The last --fail-delay wins over the helper's 0.
    const args = agentArgs(box, shares, ['--fail-delay', '2', '--reboot-command', process.execPath, FIXTURE, log, join(shares.cfg, HEX)]).filter((a) => a !== '--no-reboot');
    const r = await runTbx(args);
    assert.equal(r.exitCode, c.code, r.all);
    const reboots = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { at: number; configPresent: boolean });
    if (!c.reboot) {
      assert.deepEqual(reboots, [], 'no reboot');
      await readFile(join(shares.cfg, HEX));
      return;
    }
    assert.equal(reboots.length, 1, `exactly one reboot: ${JSON.stringify(reboots)}`);
    assert.equal(reboots[0]!.configPresent, c.reboot.configPresent, 'config present when the box rebooted');
    // A lower bound only: a slow machine can make the gap longer, never shorter.
    if (c.reboot.delayed) assert.ok(reboots[0]!.at - started >= 2000, `rebooted ${reboots[0]!.at - started} ms after start, before the 2 s fail delay`);
  });
}
