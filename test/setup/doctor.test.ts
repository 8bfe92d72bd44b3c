import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { tempDir } from '../helpers/tmp.js';

interface Check { name: string; status: string; detail: string; fix?: string }

test('doctor on a prepared site -> every check passes; a missing kernel and marker fail with a fix', async (t) => {
  const root = await tempDir(t);
  const [tftp, backup] = [join(root, 'tftp'), join(root, 'backup')];
  assert.equal((await runTbx(['init', 'site', '--tftp', tftp, '--backup', backup])).exitCode, 0);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230') });
  // The shares as NFS mounts, the way /proc/self/mountinfo shows them on a reconciler host.
  const mountinfo = join(root, 'mountinfo');
  await writeFile(mountinfo, `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n80 22 0:50 / ${tftp} rw,relatime - nfs4 10.42.1.1:/export/testbox-tftp rw\n81 22 0:51 / ${backup} rw,relatime - nfs4 10.42.1.1:/export/testbox-backup rw\n`);
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: tftp, TBX_BACKUP_ROOT: backup, TBX_STATE_DIR: join(root, 'state') };
  const run = async () => {
    const r = await runTbx(['doctor', '--json', '--mountinfo', mountinfo, '--min-free', '0'], env);
    return { code: r.exitCode, checks: JSON.parse(r.stdout) as Check[], all: r.all };
  };
  let r = await run();
  assert.equal(r.code, 1);
  const kernel = r.checks.find((c) => c.name === 'maintenance kernel')!;
  assert.equal(kernel.status, 'fail');
  assert.match(kernel.fix!, /copy the maintenance image's kernel to .*maintenance-boot\/vmlinuz/);
  await mkdir(join(tftp, 'maintenance-boot'));
  await writeFile(join(tftp, 'maintenance-boot', 'vmlinuz'), 'kernel');
  await writeFile(join(tftp, 'maintenance-boot', 'initrd.img'), 'initrd');
  r = await run();
  assert.equal(r.code, 0, JSON.stringify(r.checks.filter((c) => c.status !== 'ok'), null, 2));
  assert.deepEqual(r.checks.filter((c) => c.status !== 'ok'), []);
  assert.match(r.checks.find((c) => c.name === 'TFTP share mounted')!.detail, /nfs4 from 10\.42\.1\.1:\/export\/testbox-tftp/);
  assert.ok(r.checks.some((c) => c.name === 'fleet repo pushable' && c.status === 'ok'));
  assert.ok(r.checks.some((c) => c.name === 'clock' && c.status === 'ok'));
  await rm(join(backup, 'testbox-backup'));
  await rm(join(tftp, 'ldlinux.c32'));
  await rm(join(tftp, 'bios', 'ldlinux.c32'));
  const text = await runTbx(['doctor', '--mountinfo', mountinfo, '--min-free', '0'], env);
  assert.equal(text.exitCode, 1);
  assert.match(text.stdout, /^✗ backup share marker: .*testbox-backup is missing/m);
  assert.match(text.stdout, /^✗ ldlinux\.c32: missing/m);
  assert.match(text.stdout, /^ {4}fix: apt-get install pxelinux syslinux-common, then 'tbx init site/m);
  assert.match(text.stdout, /^\d+ ok, 0 warning\(s\), 2 failed$/m);
});
