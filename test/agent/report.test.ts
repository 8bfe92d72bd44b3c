import assert from 'node:assert/strict';
import { watch } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { makeAgentBox, requestAction, runAgent } from '../helpers/agent-box.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const exists = (p: string) => access(p).then(() => true, () => false);

describe('status reports', () => {
  test('ten agents push their statuses to one bare repo at the same moment -> all ten land', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const names = Array.from({ length: 10 }, (_, i) => `tb-${String(i).padStart(2, '0')}`);
    const files: Record<string, unknown> = { 'fleet.yaml': seedSite() };
    names.forEach((n, i) => (files[`testboxes/${n}.yaml`] = box(n, `10.0.1.${i + 1}`, { action: 'refresh-info', request: 'r1' })));
    const repo = await makeFleetRepo(root, files);
    const boxes = await Promise.all(names.map((n, i) => makeAgentBox(root, n, `10.0.1.${i + 1}`, { sda: 1 })));
    for (const b of boxes) await requestAction(b, shares, 'refresh-info', 'r1');
    const results = await Promise.all(boxes.map((b) => runAgent(b, shares, ['--fleet', repo.bare])));
    results.forEach((r, i) => assert.equal(r.exitCode, 0, `${names[i]}: ${r.all}`));
    const log = await repo.log();
    for (const n of names) assert.ok(log.includes(`${n}: refresh-info Succeeded (request r1)`), `${n} missing from git log:\n${log.join('\n')}`);
    await repo.pull();
    for (const n of names) assert.equal(parse(await readFile(join(repo.work, 'status', `${n}.yaml`), 'utf8')).phase, 'Succeeded');
  });

  test('the "still pushing" marker appears before the spooled status, so no pass forwards a status the agent is pushing', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'refresh-info', request: 'r1' }) });
    const b = await makeAgentBox(root, 'tb-a', '10.0.0.10', { sda: 1 });
    await requestAction(b, shares, 'refresh-info', 'r1');
    const dir = join(shares.backup, '10.0.0.10');
    await mkdir(dir, { recursive: true });
    // inotify reports a directory's changes in the order they happened
    const seen: string[] = [];
    const watcher = watch(dir, (_event, file) => {
      if ((file === 'status.yaml' || file === '.status-push.json') && seen.at(-1) !== file) seen.push(file);
    });
    t.after(() => watcher.close());
    const r = await runAgent(b, shares, ['--fleet', repo.bare]);
    assert.equal(r.exitCode, 0, r.all);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Running is only spooled; the final status: marker written, status spooled, pushed, marker removed.
    assert.deepEqual(seen.slice(-3), ['.status-push.json', 'status.yaml', '.status-push.json'], seen.join(' '));
    assert.equal(await exists(join(dir, '.status-push.json')), false, 'the marker goes once the push is done');
    assert.ok((await repo.log()).includes('tb-a: refresh-info Succeeded (request r1)'));
  });

  test('git unreachable -> status spooled, run completes; next reconcile forwards it into git', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
    const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state };
    assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
    const b = await makeAgentBox(root, 'tb-a', '10.0.0.10');
    // boot as the box would: the kernel line comes from the config the reconciler wrote
    const cfg = await readFile(join(shares.cfg, '0A00000A'), 'utf8');
    await writeFile(b.cmdline, `BOOT_IMAGE=x ${/^APPEND (.*)$/m.exec(cfg)![1]}\n`);
    const r = await runAgent(b, shares, ['--fleet', 'git://127.0.0.1:1/unreachable.git']);
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.all, /git unreachable .*stays spooled/);
    assert.equal(await exists(join(shares.cfg, '0A00000A')), false, 'the spooled status is durable, so the config goes');
    assert.equal(parse(await readFile(join(shares.backup, '10.0.0.10', 'status.yaml'), 'utf8')).phase, 'Succeeded');
    assert.ok(!(await repo.log()).some((l) => l.startsWith('tb-a:')), 'nothing reached git yet');

    const pass = await runTbx(['reconcile'], env);
    assert.equal(pass.exitCode, 0, pass.all);
    const log = await repo.log();
    assert.equal(log[0], 'tb-a: backup Succeeded (request r1) [forwarded]');
    // forwarded once: the next pass finds git up to date and has nothing to do
    assert.equal((await runTbx(['plan'], env)).exitCode, 0);
    assert.equal((await repo.log()).length, log.length);
  });
});
