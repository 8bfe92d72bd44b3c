import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { hexIp } from '../../lib/hex-ip.js';
import { observe } from '../../reconciler/observe.js';
import { tempDir } from '../helpers/tmp.js';

test('configs removed by agents while the pass reads the TFTP tree -> seen or not, never an error', async (t) => {
  const root = await tempDir(t);
  const cfg = join(root, 'tftp', 'pxelinux.cfg');
  await mkdir(cfg, { recursive: true });
  const ips = Array.from({ length: 3000 }, (_, i) => `10.2.${i >> 8}.${(i & 255) || 1}`).filter((ip, i, all) => all.indexOf(ip) === i);
  for (const ip of ips) await writeFile(join(cfg, hexIp(ip)), `# managed-by: tbx box=b request=r action=backup\nAPPEND testbox-action-backup\n`);
  // Agents finishing at the same moment: their configs vanish while observe lists and reads.
  const names = await readdir(cfg);
  const deleting = (async () => {
    for (const n of names.reverse()) await rm(join(cfg, n), { force: true });
  })();
  const seen = await observe([], { tftpRoot: join(root, 'tftp'), backupRoot: join(root, 'backup'), stores: [] });
  await deleting;
  assert.ok(seen.pxe.size <= ips.length);
  for (const p of seen.pxe.values()) assert.equal(p.owner?.box, 'b', 'every config seen was read whole');
});
