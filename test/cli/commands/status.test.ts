import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { tbxBin } from '../../../lib/package-root.js';
import type { ProgressRecord } from '../../../share/progress-file.js';
import { hexIp } from '../../../lib/hex-ip.js';
import { A_IP, B_IP, chunkedSite } from '../../helpers/chunked-site.js';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../../helpers/fleet-repo.js';
import { makeShares } from '../../helpers/shares.js';
import { tempDir } from '../../helpers/tmp.js';

const IP = '10.165.98.230';

function progress(percent: number): ProgressRecord {
  const total = 1000 * 1024 * 1024;
  return {
    apiVersion: 'tbx/v1', kind: 'TestboxProgress', name: 'tb-run', ip: IP, request: 'r-1', action: 'restore', attempt: 1, state: 'running',
    device: 'sda', disk: 1, disks: 1, bytesDone: (total * percent) / 100, bytesTotal: total, percent, bytesPerSecond: 50 * 1024 * 1024, etaSeconds: 12,
    startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
  };
}

async function site(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const repo = await makeFleetRepo(root, {
    'fleet.yaml': seedSite(),
    'testboxes/tb-run.yaml': box('tb-run', IP, { action: 'restore', request: 'r-1', labels: { rack: 'b3' } }),
    'testboxes/tb-idle.yaml': box('tb-idle', '10.165.98.231', { labels: { rack: 'c1' } }),
    'status/tb-run.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-run', ip: IP, request: 'r-1', action: 'restore', attempt: 1, phase: 'Running', startedAt: now, message: 'restore started' },
  });
  await mkdir(join(shares.backup, IP), { recursive: true });
  await writeFile(join(shares.backup, IP, 'progress.json'), JSON.stringify(progress(42)));
  return { env: { TBX_FLEET: repo.bare, TBX_BACKUP_ROOT: shares.backup, TBX_TFTP_ROOT: shares.tftp, TBX_STATE_DIR: shares.state }, shares };
}

test('status of a box being restored -> Running with its live percentage; wide adds rate, ETA and labels', async (t) => {
  const { env } = await site(t);
  const r = await runTbx(['status'], env);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /tb-run +10\.165\.98\.230 +restore +r-1 +Running 42%/);
  const wide = await runTbx(['status', '-o', 'wide'], env);
  assert.match(wide.stdout, /PROGRESS/);
  assert.match(wide.stdout, /sda 1\/1 42\.0% 420\.0 MiB\/1000\.0 MiB 50\.0 MiB\/s ETA 12s/);
  assert.match(wide.stdout, /rack=b3/);
});

test('status -o json and -o yaml -> the same rows; -l and --since filter them', async (t) => {
  const { env } = await site(t);
  const json = JSON.parse((await runTbx(['status', '-o', 'json'], env)).stdout) as { name: string; progress: { percent: number } | null }[];
  const yaml = parse((await runTbx(['status', '-o', 'yaml'], env)).stdout) as unknown;
  assert.deepEqual(yaml, json);
  assert.deepEqual(json.map((r) => r.name), ['tb-idle', 'tb-run']);
  assert.equal(json[1]!.progress?.percent, 42);
  const sel = JSON.parse((await runTbx(['status', '-o', 'json', '-l', 'rack=c1'], env)).stdout) as { name: string }[];
  assert.deepEqual(sel.map((r) => r.name), ['tb-idle']);
  const since = JSON.parse((await runTbx(['status', '-o', 'json', '--since', '1h'], env)).stdout) as { name: string }[];
  assert.deepEqual(since.map((r) => r.name), ['tb-run']);
  const bad = await runTbx(['status', '--since', 'yesterday'], env);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stderr, /--since: expected a duration/);
});

test('status colours phases only when asked: FORCE_COLOR paints, NO_COLOR wins, a pipe stays plain', async (t) => {
  const { env } = await site(t);
  assert.doesNotMatch((await runTbx(['status'], env)).stdout, /\u001b\[/);
  assert.match((await runTbx(['status'], { ...env, FORCE_COLOR: '1' })).stdout, /\u001b\[33mRunning\u001b\[39m/);
  assert.doesNotMatch((await runTbx(['status'], { ...env, FORCE_COLOR: '1', NO_COLOR: '1' })).stdout, /\u001b\[/);
});

test('status --watch -> prints again when progress moves, ends cleanly on SIGINT', async (t) => {
  const { env, shares } = await site(t);
  const child = execa(process.execPath, [tbxBin(), 'status', '--watch', '--interval', '0.3'], { env: { ...env, TBX_CONFIG: '', TBX_LOG_LEVEL: 'warn' }, reject: false });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got:\n${out}`)), 15_000);
      const check = () => {
        if (re.test(out)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      const onData = (b: Buffer) => {
        out += b.toString();
        check();
      };
      child.stdout!.on('data', onData);
      check();
    });
  await waitFor(/Running 42%/);
  await writeFile(join(shares.backup, IP, 'progress.json'), JSON.stringify(progress(77)));
  await waitFor(/Running 77%/);
  child.kill('SIGINT');
  const r = await child;
  assert.equal(r.exitCode, 0);
  assert.equal((out.match(/^# \d{4}-/gm) ?? []).length, 2, 'non-TTY output prints a block only when the view changed');
});

test('status with filters that match no box -> "No testboxes match" naming the filter, exit 0; an unknown box name -> exit 1', async (t) => {
  const { env } = await site(t);
  const sel = await runTbx(['status', '-l', 'rack=zz'], env);
  assert.equal(sel.exitCode, 0, sel.all);
  assert.equal(sel.stdout, 'No testboxes match -l rack=zz (2 in the fleet).');
  const since = await runTbx(['status', 'tb-idle', '--since', '1h'], env);
  assert.match(since.stdout, /^No testboxes match tb-idle, --since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(2 in the fleet\)\.$/);
  assert.equal((await runTbx(['status', '-l', 'rack=zz', '-o', 'json'], env)).stdout, '[]');
  const unknown = await runTbx(['status', 'nosuchbox'], env);
  assert.equal(unknown.exitCode, 1);
  assert.equal(unknown.stdout, '');
  assert.equal(unknown.stderr.trim(), 'tbx: error: no testbox nosuchbox in the fleet (boxes: tb-idle, tb-run)');
});

test('status of backed-up boxes -> LAST BACKUP, SIZE (the disk) and PXE columns; wide adds STORED; --json is -o json', async (t) => {
  const s = await chunkedSite(await tempDir(t));
  await s.repo.commit({ 'testboxes/tb-b.yaml': box('tb-b', B_IP, { disks: ['sda'], action: 'restore', request: 'r-1', source: 'tb-a', force: true }) }, 'tb-b: restore from tb-a');
  assert.equal((await runTbx(['reconcile'], s.env)).exitCode, 0);
  await writeFile(join(s.shares.cfg, hexIp(A_IP)), 'DEFAULT hand-made\n');
  const r = await runTbx(['status'], s.env);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /^NAME +IP +ACTION +REQUEST +PHASE +ATTEMPT +LAST BACKUP +SIZE +PXE +CONDITIONS$/m);
  const json = JSON.parse((await runTbx(['status', '-o', 'json'], s.env)).stdout) as { name: string; lastBackup: string; backupBytes: number; backupStoredBytes: number; pxe: string }[];
  const a = json.find((x) => x.name === 'tb-a')!;
  assert.equal(a.backupBytes, s.diskBytes, 'SIZE is the disk, not the bytes a backup-again added');
  assert.equal(a.backupStoredBytes, s.second.storedBytes);
  assert.match(r.stdout, new RegExp(`^tb-a +${A_IP.replace(/\./g, '\\.')} +backup-again +b-2 +Succeeded +1 +${a.lastBackup.slice(0, 16).replace('T', ' ')}Z +4\\.0 MiB +foreign +-$`, 'm'));
  assert.match(r.stdout, new RegExp(`^tb-b +${B_IP.replace(/\./g, '\\.')} +restore +r-1 +Pending +- +- +- +active +-$`, 'm'));
  assert.match((await runTbx(['status', '-o', 'wide'], s.env)).stdout, new RegExp(`^tb-a .* 4\\.0 MiB +foreign +- +${s.second.storedBytes} B +- `, 'm'));
  assert.deepEqual(JSON.parse((await runTbx(['status', '--json'], s.env)).stdout), json, 'the hidden --json alias is -o json');
  const noTftp = await runTbx(['status'], { ...s.env, TBX_TFTP_ROOT: '' });
  assert.match(noTftp.stdout, /^tb-a .* 4\.0 MiB +unknown +-$/m);
  assert.match(noTftp.stdout, /^PXE unknown: no --tftp given \(or TBX_TFTP_ROOT\)/m);
  assert.doesNotMatch(r.stdout, /PXE unknown/);
});
