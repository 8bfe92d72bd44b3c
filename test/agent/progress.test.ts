import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { createProgressReporter } from '../../agent/progress.js';
import { makeDisk } from '../../demo/disks.js';
import { pxeBoot } from '../../demo/pxe-boot.js';
import { readProgress } from '../../share/progress-file.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (b: Buffer) => b.toString().split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
  return { log: pino({ level: 'info' }, stream), lines };
}

test('progress: throttled progress.json and log lines with rate and ETA, final record done', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, '10.0.0.5'));
  let clock = Date.parse('2026-11-25T10:00:00Z');
  const { log, lines } = capture();
  const rep = createProgressReporter({ backupRoot: root, ip: '10.0.0.5', name: 'tb-a', request: 'r1', action: 'backup', attempt: 1 }, log, { now: () => clock, fileEveryMs: 1000, logEveryMs: 10_000 });
  const d = rep.disk('sda', 1, 2);
  const total = 100 * 1024 * 1024;
  for (let s = 1; s <= 20; s++) {
    clock += 500;
    d.update(s * 2 * 1024 * 1024, total); // 4 MiB/s
  }
  await d.end();
  const mid = await readProgress(root, '10.0.0.5');
  assert.equal(mid?.state, 'running');
  assert.equal(mid?.bytesDone, 40 * 1024 * 1024);
  assert.equal(mid?.percent, 40);
  assert.equal(mid?.bytesPerSecond, 4 * 1024 * 1024);
  assert.equal(mid?.etaSeconds, 15);
  assert.equal(mid?.disk, 1);
  assert.equal(mid?.disks, 2);
  const progressLines = lines.filter((l) => l.msg === 'imaging progress');
  assert.equal(progressLines.length, 2, 'one periodic line after 10 s and one at the end of the disk');
  assert.equal(progressLines[0]!.percent, 40);
  await rep.finish('done');
  assert.equal((await readProgress(root, '10.0.0.5'))?.state, 'done');
});

test('agent backup through a PXE boot -> progress.json ends done with every byte of the disk', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230', { action: 'backup', request: 'b-1', disks: ['sda'] }) });
  const boxRoot = join(root, 'boxes', 'tb-a');
  await makeDisk(join(boxRoot, 'dev'), join(boxRoot, 'sys', 'block'), 'sda', 8 * 1024 * 1024, 'tb-a/sda');
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state };
  assert.equal((await runTbx(['reconcile'], env)).exitCode, 0);
  const boot = await pxeBoot({ name: 'tb-a', ip: '10.165.98.230', root: boxRoot }, { tftp: shares.tftp, backup: shares.backup, fleet: repo.bare, stateDir: shares.state });
  assert.equal(boot.exitCode, 0, boot.output);
  const rec = JSON.parse(await readFile(join(shares.backup, '10.165.98.230', 'progress.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(rec.state, 'done');
  assert.equal(rec.request, 'b-1');
  assert.equal(rec.device, 'sda');
  assert.equal(rec.bytesDone, 8 * 1024 * 1024);
  assert.equal(rec.percent, 100);
});

test('progress on a terminal -> a bar with the device, percentage, bytes and rate; none on a pipe', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, '10.0.0.6'));
  const { log } = capture();
  const draw = async (isTTY: boolean) => {
    const tty = Object.assign(new PassThrough(), { isTTY, columns: 120, cursorTo: (_x: number, _y?: number, cb?: () => void) => (cb?.(), true), clearLine: (_d: number, cb?: () => void) => (cb?.(), true), moveCursor: () => true });
    let text = '';
    tty.on('data', (b: Buffer) => (text += b.toString()));
    let clock = 0;
    const rep = createProgressReporter({ backupRoot: root, ip: '10.0.0.6', name: 'tb-b', request: 'r', action: 'restore', attempt: 1 }, log, { now: () => clock, tty: tty as unknown as NodeJS.WriteStream });
    const d = rep.disk('sdb', 1, 1);
    for (let i = 1; i <= 4; i++) {
      clock += 1000;
      d.update(i * 256 * 1024 * 1024, 1024 * 1024 * 1024);
    }
    await d.end();
    return text;
  };
  const bar = await draw(true);
  assert.match(bar, /sdb \[.*\] 100% \| 1\.0 GiB \/ 1\.0 GiB \| 256\.0 MiB\/s/);
  assert.equal(await draw(false), '');
});
