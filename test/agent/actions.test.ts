import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { breakDisk, sha256Of } from '../../demo/disks.js';
import { makeAgentBox, requestAction, runAgent } from '../helpers/agent-box.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const IP = '10.0.0.10';
const HEX = '0A00000A';
const exists = (p: string) => access(p).then(() => true, () => false);

async function setup(t: Parameters<typeof tempDir>[0], disks: Record<string, number> = { sda: 8 }) {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const b = await makeAgentBox(root, 'tb-a', IP, disks);
  return { root, shares, box: b, boxDir: join(shares.backup, IP) };
}

async function gunzipSha(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path).pipe(createGunzip())) h.update(c as Buffer);
  return h.digest('hex');
}

async function spooled(backup: string) {
  return parse(await readFile(join(backup, IP, 'status.yaml'), 'utf8')) as Record<string, unknown>;
}

describe('tbx agent: actions', () => {
  test('backup -> <dev>.gz of the raw disk + .sha256, status Succeeded, config removed, seed logs written', async (t) => {
    const { shares, box: b, boxDir } = await setup(t, { sda: 8, sdb: 4 });
    await requestAction(b, shares, 'backup', 'r1', 'gzip');
    const r = await runAgent(b, shares);
    assert.equal(r.exitCode, 0, r.all);
    for (const d of ['sda', 'sdb']) {
      assert.equal(await gunzipSha(join(boxDir, `${d}.gz`)), await sha256Of(b.disk(d)), `${d}.gz holds the raw disk`);
      const side = await readFile(join(boxDir, `${d}.gz.sha256`), 'utf8');
      assert.match(side, new RegExp(`^[0-9a-f]{64}  ${d}\\.gz\\n$`));
      execFileSync('sha256sum', ['-c', `${d}.gz.sha256`], { cwd: boxDir }); // coreutils can check it
    }
    assert.equal(await exists(join(shares.cfg, HEX)), false, 'config removed');
    const st = await spooled(shares.backup);
    assert.equal(st.phase, 'Succeeded');
    assert.equal(st.request, 'r1');
    assert.deepEqual((st.disks as { device: string; sha256: string }[]).map((d) => d.device), ['sda', 'sdb']);
    assert.equal((st.disks as { sha256: string }[])[0]!.sha256, await sha256Of(b.disk('sda')));
    // the seed's three logs, in its formats
    const boxLog = await readFile(join(boxDir, 'maintenance.log'), 'utf8');
    assert.match(boxLog, /^================ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00: 10\.0\.0\.10: tb-a starts a new session ================$/m);
    assert.match(boxLog, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00: 10\.0\.0\.10: info: Successfully backed up \/dev\/sda/m);
    const global = await readFile(join(shares.backup, 'maintenance.log'), 'utf8');
    assert.match(global, /: 10\.0\.0\.10: tb-a says hi\.$/m);
    assert.match(global, /: 10\.0\.0\.10: info: Executing 'backup'\.$/m);
    assert.match(await readFile(join(boxDir, 'maintenance-output.log'), 'utf8'), /removed .*0A00000A/);
    const info = await readFile(join(boxDir, 'testbox-info.txt'), 'utf8');
    assert.match(info, /^IP: 10\.0\.0\.10\nHEX-IP: 0A00000A\nHostname: tb-a\n/);
    for (const banner of ['cat /proc/cpuinfo', 'lspci -vvv', 'biosdecode', 'dmidecode', 'fdisk -l', 'dmesg']) assert.match(info, new RegExp(`\\*\\*\\*\\* ${banner.replace(/[-/]/g, '\\$&')} \\*\\*\\*\\*`));
    assert.ok(await exists(join(boxDir, 'testbox-info.zip')));
    assert.equal(await readFile(join(boxDir, HEX), 'utf8'), `${IP}\n`, 'hex finder file holds the dotted IP');
  });

  test('backup-again -> new image, previous kept as .old', async (t) => {
    const { shares, box: b, boxDir } = await setup(t);
    await requestAction(b, shares, 'backup', 'r1', 'gzip');
    assert.equal((await runAgent(b, shares)).exitCode, 0);
    const first = await readFile(join(boxDir, 'sda.gz'));
    await breakDisk(b.disk('sda'), 3);
    await requestAction(b, shares, 'backup-again', 'r2', 'gzip');
    const r = await runAgent(b, shares);
    assert.equal(r.exitCode, 0, r.all);
    assert.deepEqual(await readFile(join(boxDir, 'sda.gz.old')), first);
    assert.equal(await gunzipSha(join(boxDir, 'sda.gz')), await sha256Of(b.disk('sda')));
  });

  test('restore -> disk bit-identical to the backup, config removed', async (t) => {
    const { shares, box: b } = await setup(t);
    const original = await sha256Of(b.disk('sda'));
    await requestAction(b, shares, 'backup', 'r1', 'gzip');
    assert.equal((await runAgent(b, shares)).exitCode, 0);
    await breakDisk(b.disk('sda'), 5);
    assert.notEqual(await sha256Of(b.disk('sda')), original);
    await requestAction(b, shares, 'restore', 'r2', 'gzip');
    const r = await runAgent(b, shares);
    assert.equal(r.exitCode, 0, r.all);
    assert.equal(await sha256Of(b.disk('sda')), original);
    assert.equal((await spooled(shares.backup)).phase, 'Succeeded');
    assert.equal(await exists(join(shares.cfg, HEX)), false);
  });

  for (const name of ['sda.gz', 'sda.raw.gz']) {
    test(`restore of an image made by the seed's own pipeline (dd bs=256K | gzip -c > ${name}) -> bit for bit`, async (t) => {
      const { shares, box: b, boxDir } = await setup(t);
      const original = await sha256Of(b.disk('sda'));
      await mkdir(boxDir, { recursive: true });
      execFileSync('bash', ['-c', `dd if="$1" bs=256K status=none | gzip -c > "$2"`, '_', b.disk('sda'), join(boxDir, name)]);
      await breakDisk(b.disk('sda'), 7);
      await requestAction(b, shares, 'restore', 'r1', 'gzip');
      const r = await runAgent(b, shares);
      assert.equal(r.exitCode, 0, r.all);
      assert.equal(await sha256Of(b.disk('sda')), original);
      assert.match(r.all, /no \.sha256/, 'says the seed image had no checksum');
    });
  }

  test('refresh-info -> info files rewritten, no image touched, config removed', async (t) => {
    const { shares, box: b, boxDir } = await setup(t);
    await requestAction(b, shares, 'refresh-info', 'i1', 'gzip');
    const r = await runAgent(b, shares);
    assert.equal(r.exitCode, 0, r.all);
    assert.ok(await exists(join(boxDir, 'testbox-info.txt')));
    assert.deepEqual((await readdir(boxDir)).filter((f) => f.endsWith('.gz')), []);
    assert.equal(await exists(join(shares.cfg, HEX)), false);
  });

  test('rescue -> status Rescue, exit 0, config kept (the admin sets action: none)', async (t) => {
    const { shares, box: b } = await setup(t);
    await requestAction(b, shares, 'rescue', 's1', 'gzip');
    const r = await runAgent(b, shares);
    assert.equal(r.exitCode, 0, r.all);
    assert.equal((await spooled(shares.backup)).phase, 'Rescue');
    assert.ok(await exists(join(shares.cfg, HEX)));
    assert.match(r.all, /Admin must set action: none/);
  });

  test('status is committed to the fleet repo with a readable subject', async (t) => {
    const { root, shares, box: b } = await setup(t);
    const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', IP, { action: 'backup', request: 'r1' }) });
    await requestAction(b, shares, 'backup', 'r1', 'gzip');
    const r = await runAgent(b, shares, ['--fleet', repo.bare]);
    assert.equal(r.exitCode, 0, r.all);
    assert.equal((await repo.log())[0], 'tb-a: backup Succeeded (request r1)');
    await repo.pull();
    const st = parse(await readFile(join(repo.work, 'status', 'tb-a.yaml'), 'utf8'));
    assert.equal(st.phase, 'Succeeded');
  });
});
