import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRestoreIdentity } from '../../agent/identity-gate.js';
import type { DiskTarget, ImageSummary } from '../../imaging/store.js';

const MiB = 1 << 20;
const disk = (extra: Partial<DiskTarget> = {}): DiskTarget => ({ device: 'sda', path: '/dev/sda', size: 8 * MiB, model: 'DISK', serial: 'S1', ...extra });
const image = (origin: ImageSummary['origin'] | undefined, logicalBytes: number | null = 8 * MiB): ImageSummary => ({
  device: 'sda',
  format: 'chunked',
  ref: 'images/sda/1',
  createdAt: null,
  storedBytes: 1,
  logicalBytes,
  sha256: null,
  ...(origin ? { origin } : {}),
});
const here = { ip: '10.0.0.1', force: false };
const forced = { ip: '10.0.0.1', force: true };

test('same box, same serial, same size -> restore', () => {
  assert.deepEqual(checkRestoreIdentity(disk(), image({ size: 8 * MiB, serial: 'S1', ip: '10.0.0.1' }), here), { ok: true, notes: [] });
});

test('a larger disk is fine; a smaller one is refused, even with force', () => {
  assert.equal(checkRestoreIdentity(disk({ size: 16 * MiB }), image({ size: 8 * MiB, serial: 'S1', ip: '10.0.0.1' }), here).ok, true);
  for (const box of [here, forced]) {
    const v = checkRestoreIdentity(disk({ size: 4 * MiB }), image({ size: 8 * MiB, serial: 'S1', ip: '10.0.0.1' }), box);
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /4194304 bytes, fewer than the 8388608 .*does not override/);
  }
  // a seed image without a sidecar: the store's recorded size is used when there is one
  assert.equal(checkRestoreIdentity(disk({ size: 4 * MiB }), image(undefined, 8 * MiB), forced).ok, false);
});

test('another serial -> refused unless force: true, which is noted', () => {
  const img = image({ size: 8 * MiB, serial: 'OLD', model: 'OLDDISK', ip: '10.0.0.1' });
  const v = checkRestoreIdentity(disk(), img, here);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /has serial S1 \(DISK\), but images\/sda\/1 was taken from serial OLD \(OLDDISK\).*force: true/);
  const f = checkRestoreIdentity(disk(), img, forced);
  assert.equal(f.ok, true);
  assert.match((f as { notes: string[] }).notes.join('\n'), /restoring anyway because the request says force: true/);
});

test("another box's image -> refused unless force: true", () => {
  const img = image({ size: 8 * MiB, serial: 'S9', ip: '10.0.0.9', name: 'tb-golden' });
  const v = checkRestoreIdentity(disk(), img, here);
  assert.equal(v.ok, false);
  assert.match((v as { reason: string }).reason, /taken from another box \(tb-golden, 10\.0\.0\.9\)/);
  assert.equal(checkRestoreIdentity(disk(), img, forced).ok, true);
});

test('nothing recorded (seed image) or no serial on the disk -> restore, saying what could not be checked', () => {
  const seed = checkRestoreIdentity(disk(), image(undefined, null), here);
  assert.equal(seed.ok, true);
  assert.match((seed as { notes: string[] }).notes[0]!, /records no disk identity/);
  const noSerial = checkRestoreIdentity(disk({ serial: undefined }), image({ size: 8 * MiB, serial: 'S1', ip: '10.0.0.1' }), here);
  assert.match((noSerial as { notes: string[] }).notes[0]!, /reports no serial/);
});
