import assert from 'node:assert/strict';
import { access, mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { sha256Of } from '../../demo/disks.js';
import { makeAgentBox, requestAction, runAgent, type AgentBox } from '../helpers/agent-box.js';
import { makeShares, type Shares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';
import { hashTree } from '../helpers/tree.js';

const IP = '10.0.0.10';
const HEX = '0A00000A';
const exists = (p: string) => access(p).then(() => true, () => false);

interface Case {
  name: string;
  code: number;
  /** Prepare the world after a normal backup request was written; may return extra agent args. */
  arrange: (ctx: { shares: Shares; box: AgentBox; boxDir: string }) => Promise<string[] | void>;
  /** Message the agent must print (console and log). */
  says: RegExp;
  /** The box's PXE config stays in place (the seed keeps it so the action is retried). */
  keepsConfig?: boolean;
  /** A Failed status with this exit code is spooled. */
  reportsFailure?: boolean;
}

const cases: Case[] = [
  { name: 'no usable IP (127.0.0.1) -> 10', code: 10, arrange: async () => ['--ip', '127.0.0.1'], says: /Failed to get a good IP/ },
  { name: 'backup share not mounted (no marker) -> 11', code: 11, arrange: async ({ shares }) => void (await rm(join(shares.backup, 'testbox-backup'))), says: /Backup directory is not mounted/ },
  { name: 'TFTP share without pxelinux.0 -> 12', code: 12, arrange: async ({ shares }) => void (await rm(join(shares.tftp, 'pxelinux.0'))), says: /TFTP share not mounted/ },
  { name: 'no pxelinux.cfg/<HEXIP> (wrong IP?) -> 13', code: 13, arrange: async ({ shares }) => void (await rm(join(shares.cfg, HEX))), says: /No pxelinux.cfg file found .*wrong IP/ },
  {
    name: 'no testbox-action- on the kernel command line -> 14',
    code: 14,
    arrange: async ({ box }) => void (await writeFile(box.cmdline, 'BOOT_IMAGE=vmlinuz ro quiet\n')),
    says: /No action given/,
    keepsConfig: true,
  },
  {
    name: 'unknown action -> 15',
    code: 15,
    arrange: async ({ box }) => void (await writeFile(box.cmdline, 'BOOT_IMAGE=vmlinuz testbox-action-format-everything\n')),
    says: /Invalid action 'testbox-action-format-everything'/,
    keepsConfig: true,
  },
  {
    name: 'stale boot: kernel has an older request than the PXE file -> 16, nothing done',
    code: 16,
    arrange: async ({ box }) => void (await writeFile(box.cmdline, (await readFile(box.cmdline, 'utf8')).replace('testbox-request=r1', 'testbox-request=r0'))),
    says: /stale boot: .*request r0.* now asks for backup request r1/,
    keepsConfig: true,
  },
  { name: 'empty disk-devices.lst -> 17', code: 17, arrange: async ({ boxDir }) => void (await writeFile(join(boxDir, 'disk-devices.lst'), ' \n')), says: /No block devices found via disk-devices.lst/, keepsConfig: true, reportsFailure: true },
  { name: 'no sd/hd/nvme/vd disk in /sys/block -> 17', code: 17, arrange: async ({ box }) => void (await rm(join(box.sysBlock, 'sda'), { recursive: true })), says: /No block devices found via \/sys\/block/, keepsConfig: true, reportsFailure: true },
  { name: 'disk-devices.lst naming a path, not a device -> 17', code: 17, arrange: async ({ boxDir }) => void (await writeFile(join(boxDir, 'disk-devices.lst'), '../../etc/passwd\n')), says: /not whole-disk device names/, keepsConfig: true, reportsFailure: true },
  { name: 'backup when an image already exists -> 18, image untouched', code: 18, arrange: async ({ boxDir }) => void (await writeFile(join(boxDir, 'sda.gz'), 'precious')), says: /sda.gz already exists/, keepsConfig: true, reportsFailure: true },
  {
    name: 'short read from the disk -> 19, no image kept',
    code: 19,
    arrange: async ({ box }) => void (await writeFile(join(box.sysBlock, 'sda', 'size'), `${(16 * 1024 * 1024) / 512}\n`)),
    says: /problem backing up \/dev\/sda: .*short read/,
    keepsConfig: true,
    reportsFailure: true,
  },
  {
    name: 'status cannot be stored anywhere (spool path blocked, no git) -> 98, config kept',
    code: 98,
    arrange: async ({ boxDir }) => void (await mkdir(join(boxDir, 'status.yaml', 'blocker'), { recursive: true })),
    says: /could not be stored/,
    keepsConfig: true,
  },
  {
    name: 'PXE config cannot be removed (a symlink, not tbx\'s file) -> 99',
    code: 99,
    arrange: async ({ shares }) => {
      await rename(join(shares.cfg, HEX), join(shares.cfg, 'real-config'));
      await symlink('real-config', join(shares.cfg, HEX));
    },
    says: /failed to remove .*0A00000A/,
    keepsConfig: true,
  },
];

describe('tbx agent: every seed exit code', () => {
  for (const c of cases) {
    test(c.name, async (t) => {
      const root = await tempDir(t);
      const shares = await makeShares(root, { withDefault: true });
      const box = await makeAgentBox(root, 'tb-a', IP);
      const boxDir = join(shares.backup, IP);
      await mkdir(boxDir, { recursive: true });
      await requestAction(box, shares, 'backup', 'r1', 'gzip');
      const diskBefore = await sha256Of(box.disk('sda'));
      const extra = (await c.arrange({ shares, box, boxDir })) ?? [];
      const r = await runAgent(box, shares, extra);
      assert.equal(r.exitCode, c.code, r.all);
      assert.match(r.all, c.says);
      assert.match(r.all, /tbx agent: error: /);
      if (c.keepsConfig) assert.ok(await exists(join(shares.cfg, HEX)), 'config must stay so the action is retried');
      assert.equal(await sha256Of(box.disk('sda')), diskBefore, 'a backup never writes the disk');
      if (c.code === 18) assert.equal(await readFile(join(boxDir, 'sda.gz'), 'utf8'), 'precious');
      if (c.code === 19) assert.equal(await exists(join(boxDir, 'sda.gz')), false);
      if (c.reportsFailure) {
        const st = parse(await readFile(join(boxDir, 'status.yaml'), 'utf8'));
        assert.equal(st.phase, 'Failed');
        assert.equal(st.exitCode, c.code);
      }
      if (await exists(join(shares.backup, 'testbox-backup'))) {
        assert.match(await readFile(join(shares.backup, 'maintenance.log'), 'utf8').catch(() => ''), c.code >= 12 ? /: 10\.0\.0\.10: error: / : /.*/);
      }
    });
  }

  test('restore of a damaged image (checksum mismatch) -> 20 and not one byte written', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    await requestAction(box, shares, 'backup', 'r1', 'gzip');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const img = join(shares.backup, IP, 'sda.gz');
    const bytes = await readFile(img);
    bytes[bytes.length >> 1] ^= 0x01;
    await writeFile(img, bytes);
    await writeFile(box.disk('sda'), Buffer.alloc(8 * 1024 * 1024, 0x5a));
    const before = await sha256Of(box.disk('sda'));
    await requestAction(box, shares, 'restore', 'r2', 'gzip');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /damaged.*0 bytes written/);
    assert.equal(await sha256Of(box.disk('sda')), before);
  });

  test('restore with no image for any disk -> 20 (restoring nothing is not a success)', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    await requestAction(box, shares, 'restore', 'r1', 'gzip');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /nothing was restored/);
  });

  test('restore onto a disk smaller than the image -> 20, the image is left as it was', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP, { sda: 8 });
    await requestAction(box, shares, 'backup', 'r1', 'gzip');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const img = await readFile(join(shares.backup, IP, 'sda.gz'));
    await writeFile(join(box.sysBlock, 'sda', 'size'), `${(4 * 1024 * 1024) / 512}\n`);
    await requestAction(box, shares, 'restore', 'r2', 'gzip');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /\/dev\/sda has 4194304 bytes, fewer than the 8388608 of the disk sda\.gz was taken from/);
    assert.deepEqual(await readFile(join(shares.backup, IP, 'sda.gz')), img);
  });

  test('chunked: restore with a flipped bit in a chunk pack -> 20 and not one byte written', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    await requestAction(box, shares, 'backup', 'r1');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const packs = join(shares.backup, '.tbx-chunks', 'packs');
    const sub = (await readdir(packs))[0]!;
    const pack = join(packs, sub, (await readdir(join(packs, sub))).find((n) => n.endsWith('.pack'))!);
    const bytes = await readFile(pack);
    bytes[bytes.length >> 1] ^= 0x01;
    await writeFile(pack, bytes);
    await writeFile(box.disk('sda'), Buffer.alloc(8 * 1024 * 1024, 0x5a));
    const before = await sha256Of(box.disk('sda'));
    await requestAction(box, shares, 'restore', 'r2');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /0 bytes written/);
    assert.equal(await sha256Of(box.disk('sda')), before);
    assert.equal(parse(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8')).phase, 'Failed');
  });

  test('chunked: short read from the disk (it ends early or fails) -> 19, nothing committed, never Succeeded', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP, { sda: 8 });
    await requestAction(box, shares, 'backup', 'r1');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const held = await hashTree(join(shares.backup, IP, 'images'));
    // /sys says 16 MiB, the device delivers 8: as a disk whose second half cannot be read.
    await writeFile(join(box.sysBlock, 'sda', 'size'), `${(16 * 1024 * 1024) / 512}\n`);
    await requestAction(box, shares, 'backup-again', 'r2');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 19, r.all);
    assert.match(r.all, /short read from .*sda at byte 8388608 of 16777216: the disk ended early or could not be read there; nothing was committed/);
    assert.deepEqual(await hashTree(join(shares.backup, IP, 'images')), held, 'no new generation');
    assert.equal(parse(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8')).phase, 'Failed');
  });

  test('chunked: the newest generation index is damaged -> restore refuses (20, 0 bytes) instead of taking the older one; naming the older one restores it', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    const gen1 = await sha256Of(box.disk('sda'));
    await requestAction(box, shares, 'backup', 'r1');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    await writeFile(box.disk('sda'), Buffer.alloc(8 * 1024 * 1024, 0x33));
    await requestAction(box, shares, 'backup-again', 'r2');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const index = join(shares.backup, IP, 'images', 'sda', '00000002.tbxi');
    const bytes = await readFile(index);
    bytes[bytes.length >> 1] ^= 0x01;
    await writeFile(index, bytes);
    await writeFile(box.disk('sda'), Buffer.alloc(8 * 1024 * 1024, 0x5a));
    const before = await sha256Of(box.disk('sda'));
    await requestAction(box, shares, 'restore', 'r3');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /the newest image of it in .* is unreadable \(generation 2 \(images\/sda\/00000002\.tbxi\) is damaged: .*\); refusing to restore the older images\/sda\/00000001\.tbxi in its place\..*0 bytes written/);
    assert.equal(await sha256Of(box.disk('sda')), before, 'not one byte written');
    await requestAction(box, shares, 'restore', 'r4', 'chunked', { source: { ip: IP, generation: 1 } });
    const older = await runAgent(box, shares);
    assert.equal(older.exitCode, 0, older.all);
    assert.equal(await sha256Of(box.disk('sda')), gen1, 'generation 1, asked for by name');
  });

  test('chunked: restore onto a disk smaller than the image -> 20, disk and image left as they were', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP, { sda: 8 });
    await requestAction(box, shares, 'backup', 'r1');
    assert.equal((await runAgent(box, shares)).exitCode, 0);
    const images = async () => ({ box: await hashTree(join(shares.backup, IP, 'images')), store: await hashTree(join(shares.backup, '.tbx-chunks')) });
    const held = await images();
    assert.ok(Object.keys(held.box).length > 0 && Object.keys(held.store).length > 0, 'the backup wrote a chunked image');
    await writeFile(join(box.sysBlock, 'sda', 'size'), `${(4 * 1024 * 1024) / 512}\n`);
    const before = await sha256Of(box.disk('sda'));
    await requestAction(box, shares, 'restore', 'r2');
    const r = await runAgent(box, shares);
    assert.equal(r.exitCode, 20, r.all);
    assert.match(r.all, /4194304/);
    assert.equal(await sha256Of(box.disk('sda')), before);
    assert.deepEqual(await images(), held, 'the images are left as they were');
  });

  test('each failed attempt of the same request counts up', async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    await mkdir(join(shares.backup, IP), { recursive: true });
    await writeFile(join(shares.backup, IP, 'disk-devices.lst'), '');
    await requestAction(box, shares, 'backup', 'r1', 'gzip');
    for (const attempt of [1, 2, 3]) {
      assert.equal((await runAgent(box, shares)).exitCode, 17);
      assert.equal(parse(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8')).attempt, attempt);
    }
    await requestAction(box, shares, 'backup', 'r2', 'gzip');
    await runAgent(box, shares);
    assert.equal(parse(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8')).attempt, 1, 'a new request id starts over');
  });
});
