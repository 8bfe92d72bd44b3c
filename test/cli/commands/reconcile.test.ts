import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { tbxBin } from '../../../lib/package-root.js';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../../helpers/fleet-repo.js';
import { makeShares } from '../../helpers/shares.js';
import { tempDir } from '../../helpers/tmp.js';
import { hookServer } from '../../helpers/http.js';

const IP = '10.165.98.230';
const status = (phase: string, attempt: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: IP, request: 'r-1', action: 'backup', attempt, phase,
  startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:02:00Z', ...extra,
});

test('reconcile with a webhook and a metrics file -> one notification per new result, metrics follow the fleet', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite({ maxAttempts: 2 }), 'testboxes/tb-a.yaml': box('tb-a', IP, { action: 'backup', request: 'r-1' }), 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231') });
  const hook = await hookServer(t, [200]);
  const metricsFile = join(root, 'tbx.prom');
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_WEBHOOK_URL: hook.url, TBX_METRICS_FILE: metricsFile };
  const pass = async () => {
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 0, r.all);
  };
  await pass(); // baseline; writes the PXE config
  let prom = await readFile(metricsFile, 'utf8');
  assert.match(prom, /^tbx_boxes\{phase="Pending"\} 1$/m);
  assert.match(prom, /^tbx_boxes\{phase="Idle"\} 1$/m);
  assert.match(prom, /^tbx_last_pass_success 1$/m);
  assert.match(prom, /^tbx_last_pass_changes\{result="applied"\} 1$/m);
  assert.equal(hook.got.length, 0);

  await repo.commit({ 'status/tb-a.yaml': status('Failed', 1, { exitCode: 19, message: 'There was a problem backing up /dev/sda' }) }, 'tb-a: backup Failed');
  await pass();
  assert.equal(hook.got.length, 1);
  const failed = JSON.parse(hook.got[0]!.body) as Record<string, unknown>;
  assert.equal(failed.kind, 'TestboxEvent');
  assert.equal(failed.type, 'Failed');
  assert.equal(failed.reason, 'backup-failed');
  assert.equal(failed.box, 'tb-a');

  await repo.commit({ 'status/tb-a.yaml': status('Failed', 2, { exitCode: 19 }) }, 'tb-a: backup Failed again');
  await pass();
  assert.deepEqual(hook.got.slice(1).map((g) => (JSON.parse(g.body) as { type: string }).type), ['Failed', 'Stalled']);
  await pass();
  assert.equal(hook.got.length, 3, 'nothing new -> nothing sent');
  prom = await readFile(metricsFile, 'utf8');
  assert.match(prom, /^tbx_boxes\{phase="Stalled"\} 1$/m);
  assert.match(prom, /^tbx_failures_total\{reason="backup-failed"\} 2$/m);
  assert.match(prom, /^tbx_actions_total\{action="backup",result="Failed"\} 2$/m);
  assert.match(prom, /^tbx_action_duration_seconds_bucket\{action="backup",le="300"\} 2$/m);
  assert.match(prom, /^tbx_passes_total\{outcome="applied"\} 4$/m);

  const log = (await readFile(join(shares.backup, 'tbx-events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { op: string; box: string; result: string });
  assert.ok(log.some((e) => e.op === 'write-pxe' && e.box === 'tb-a' && e.result === 'applied'));
  assert.ok(log.some((e) => e.op === 'write-note' && e.box === 'tb-a'));
});

test('reconcile --watch --metrics-listen -> GET /metrics serves the last pass; SIGTERM ends it', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231') });
  const child = execa(process.execPath, [tbxBin(), 'reconcile', '--watch', '--interval', '60', '--metrics-listen', '127.0.0.1:0'], {
    env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_CONFIG: '', TBX_LOG_LEVEL: 'info', TBX_LOG_FORMAT: 'json' },
    reject: false,
  });
  t.after(() => void child.kill('SIGKILL'));
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port; stderr:\n${err}`)), 20_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /"port":(\d+).*serving \/metrics/.exec(err);
      if (m && /pass complete/.test(err)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  const deadline = Date.now() + 10_000;
  let body = '';
  while (Date.now() < deadline && !/tbx_boxes/.test(body)) {
    body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    if (!/tbx_boxes/.test(body)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(body, /^tbx_boxes\{phase="Idle"\} 1$/m);
  assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
  child.kill('SIGTERM');
  assert.equal((await child).exitCode, 0);
});
