import assert from 'node:assert/strict';
import { access, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { sha256Of } from '../../demo/disks.js';
import { makeAgentBox, requestAction, runAgent, type AgentBox } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const IP = '10.0.0.10';
const exists = (p: string) => access(p).then(() => true, () => false);

/** Move /sys/block/<dev> under a USB controller's device path and link it back, as sysfs does. */
async function putOnUsb(box: AgentBox, dev: string): Promise<void> {
  const real = join(box.root, 'sys', 'devices', 'pci0000:00', '0000:00:14.0', 'usb2', '2-1', '2-1:1.0', 'host6', 'target6:0:0', '6:0:0:0', 'block', dev);
  await mkdir(dirname(real), { recursive: true });
  await rename(join(box.sysBlock, dev), real);
  await symlink(real, join(box.sysBlock, dev));
}

test('found in /sys/block: a USB disk, a removable one and an SD card are never imaged unless listed; listed, they are', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const box = await makeAgentBox(root, 'tb-a', IP, { sda: 4, sdb: 4, sdc: 4, mmcblk0: 4 });
  await putOnUsb(box, 'sdb');
  await writeFile(join(box.sysBlock, 'sdc', 'removable'), '1\n');
  const boxDir = join(shares.backup, IP);

  await requestAction(box, shares, 'backup', 'r1', 'gzip');
  const r = await runAgent(box, shares);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all, /Ignoring \/sys\/block\/mmcblk0: SD\/eMMC card \(list it in disks: to include it\)/);
  assert.match(r.all, /Ignoring \/sys\/block\/sdb: USB disk \(list it in disks: to include it\)/);
  assert.match(r.all, /Ignoring \/sys\/block\/sdc: removable/);
  assert.match(r.all, /MY_BLOCK_DEVS=sda$/m);
  assert.deepEqual(await Promise.all(['sda', 'sdb', 'sdc', 'mmcblk0'].map((d) => exists(join(boxDir, `${d}.gz`)))), [true, false, false, false]);

  // Listed by the admin (disks: in the box file becomes disk-devices.lst): acted on.
  await writeFile(join(boxDir, 'disk-devices.lst'), 'sdb mmcblk0\n');
  await requestAction(box, shares, 'backup-again', 'r2', 'gzip');
  const again = await runAgent(box, shares);
  assert.equal(again.exitCode, 0, again.all);
  assert.match(again.all, /disk-devices.lst: MY_BLOCK_DEVS=sdb mmcblk0/);
  assert.ok(await exists(join(boxDir, 'sdb.gz')));
  assert.ok(await exists(join(boxDir, 'mmcblk0.gz')));
});

test('restore with no disks listed never writes a USB disk, even one whose name has an image', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const box = await makeAgentBox(root, 'tb-a', IP, { sda: 4, sdb: 4 });
  await requestAction(box, shares, 'backup', 'r1', 'gzip');
  assert.equal((await runAgent(box, shares)).exitCode, 0);
  // The box's second disk is now a USB stick plugged in by someone else.
  await putOnUsb(box, 'sdb');
  await writeFile(box.disk('sdb'), Buffer.alloc(4 << 20, 0x42));
  const stick = await sha256Of(box.disk('sdb'));
  await requestAction(box, shares, 'restore', 'r2', 'gzip');
  const r = await runAgent(box, shares);
  assert.equal(r.exitCode, 0, r.all);
  assert.equal(await sha256Of(box.disk('sdb')), stick, 'the USB disk is untouched');
});
