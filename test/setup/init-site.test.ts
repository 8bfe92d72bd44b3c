import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('init site on empty dirs -> Debian\'s PXELINUX files, modules, a local-boot default and the marker; again -> nothing changes', async (t) => {
  const root = await tempDir(t);
  const [tftp, backup] = [join(root, 'tftp'), join(root, 'backup')];
  const first = await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  assert.equal(first.exitCode, 0, first.all);
  assert.match(first.stdout, /created +pxelinux\.0 +from \/usr\/lib\/PXELINUX\/pxelinux\.0/);
  assert.match(first.stdout, /created +bios\/ +\d+ of \d+ files/);
  assert.match(first.stdout, /created +efi64\/ /);
  assert.match(first.stdout, /created +testbox-backup/);
  assert.deepEqual(await readFile(join(tftp, 'pxelinux.0')), await readFile('/usr/lib/PXELINUX/pxelinux.0'));
  assert.deepEqual(await readFile(join(tftp, 'ldlinux.c32')), await readFile('/usr/lib/syslinux/modules/bios/ldlinux.c32'));
  assert.deepEqual(await readFile(join(tftp, 'ldlinux.e64')), await readFile('/usr/lib/syslinux/modules/efi64/ldlinux.e64'));
  assert.deepEqual(await readFile(join(tftp, 'bios', 'menu.c32')), await readFile('/usr/lib/syslinux/modules/bios/menu.c32'));
  assert.match(await readFile(join(tftp, 'pxelinux.cfg', 'default'), 'utf8'), /^# managed-by: tbx default\nPATH bios\nDEFAULT local-boot\nLABEL local-boot\nLOCALBOOT 0\n$/);
  const again = await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  assert.equal(again.exitCode, 0);
  assert.match(again.stdout, /^0 change\(s\), \d+ unchanged\.$/m);
});

test('init site with the seed\'s hand-written default -> kept; with a default that boots something else -> refused, exit 1', async (t) => {
  const root = await tempDir(t);
  const [tftp, backup] = [join(root, 'tftp'), join(root, 'backup')];
  await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  const seedDefault = 'PATH bios\nDEFAULT local-boot\nLABEL local-boot\nLOCALBOOT\n';
  await writeFile(join(tftp, 'pxelinux.cfg', 'default'), seedDefault);
  const kept = await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  assert.equal(kept.exitCode, 0);
  assert.match(kept.stdout, /kept +pxelinux\.cfg\/default +not written by tbx; it boots the local disk/);
  const installer = 'DEFAULT install\nLABEL install\nKERNEL debian-installer/linux\n';
  await writeFile(join(tftp, 'pxelinux.cfg', 'default'), installer);
  const refused = await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  assert.equal(refused.exitCode, 1);
  assert.match(refused.stdout, /refused +pxelinux\.cfg\/default/);
  assert.equal(await readFile(join(tftp, 'pxelinux.cfg', 'default'), 'utf8'), installer);
});

test('init site --dry-run -> reports the changes, writes nothing', async (t) => {
  const root = await tempDir(t);
  const r = await runTbx(['init', 'site', '--tftp', join(root, 'tftp'), '--backup', join(root, 'backup'), '--dry-run']);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /change\(s\) would be made/);
  await assert.rejects(readFile(join(root, 'tftp', 'pxelinux.0')));
});
