import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';

test('tbx demo: the README\'s first command runs the whole story and proves the restore bit for bit', async () => {
  const r = await runTbx(['demo']);
  const site = /Building a demo site in (\S+) \.\.\./.exec(r.stdout)?.[1];
  try {
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stdout, /bit-identical to the disk before it broke/);
    assert.match(r.stdout, /tb-linux-01 +10\.165\.98\.220 +restore +2026-11-25-restore-1 +Succeeded/);
    assert.match(r.stdout, /approved .* by Bob Reviewer <bob@lab\.example> .* PR #2/);
    assert.match(r.stdout, /tb-linux-01: restore Succeeded \(request 2026-11-25-restore-1\)/);
    const secs = Number(/Done in ([\d.]+) s/.exec(r.stdout)?.[1]);
    assert.ok(secs > 0, 'prints its duration');
  } finally {
    if (site) await rm(site, { recursive: true, force: true });
  }
});
