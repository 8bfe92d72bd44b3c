import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { isActionable, readDesired } from '../../fleet/read-desired.js';
import { packageRoot } from '../../lib/package-root.js';
import { box, seedSite } from '../helpers/fleet-repo.js';
import { tempDir } from '../helpers/tmp.js';

async function fleetDir(root: string, files: Record<string, unknown>): Promise<string> {
  for (const [p, v] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), typeof v === 'string' ? v : stringify(v));
  }
  return root;
}

describe('readDesired', () => {
  test('the example fleet is valid, with schema defaults filled in', async () => {
    const d = await readDesired(join(packageRoot(), 'fleet', 'example'));
    assert.deepEqual(d.diagnostics, []);
    assert.deepEqual(d.boxes.map((b) => b.name), ['tb-linux-01', 'tb-linux-02', 'tb-win-01']);
    assert.equal(d.site?.policy.maxConcurrent, 10);
    assert.equal(d.site?.boot.nfsRoot, '/export/testbox-nfsroot');
    assert.equal(d.boxes[1]!.suspend, false);
  });

  test('defaults: action none, maxConcurrent 10, maxAttempts 3, eth0, nfsRoot', async (t) => {
    const dir = await fleetDir(await tempDir(t), { 'fleet.yaml': { apiVersion: 'tbx/v1', kind: 'Site', boot: { nfsServer: '10.0.0.1', ipConfig: 'dhcp' } }, 'testboxes/a.yaml': box('a', '10.0.0.5') });
    const d = await readDesired(dir);
    assert.deepEqual(d.diagnostics, []);
    assert.equal(d.boxes[0]!.action, 'none');
    assert.deepEqual(d.site!.policy, { maxConcurrent: 10, maxAttempts: 3, actionTimeout: '2h', timezone: 'UTC', keepGenerations: 3, imageFormat: 'chunked', skipFreeSpace: true });
    assert.equal(d.site!.boot.ethDevice, 'eth0');
    assert.equal(d.site!.boot.nfsRoot, '/export/testbox-nfsroot');
  });

  const cases: { name: string; files: Record<string, unknown>; file: string; line: number; match: RegExp }[] = [
    { name: 'YAML syntax error -> file, line and the parser reason', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: [10.0.0.5\n' }, file: 'testboxes/a.yaml', line: 5, match: /YAML .*\]/ },
    { name: 'wrong IP -> points at the ip line', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.300\n' }, file: 'testboxes/a.yaml', line: 4, match: /ip: .*IPv4/ },
    { name: 'unknown key -> points at the key', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.5\nacton: restore\n' }, file: 'testboxes/a.yaml', line: 5, match: /unknown key 'acton'/ },
    { name: 'restore without a request id -> says so', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.5\naction: restore\n' }, file: 'testboxes/a.yaml', line: 5, match: /missing 'request'/ },
    { name: 'name differs from the file name', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: b\nip: 10.0.0.5\n' }, file: 'testboxes/a.yaml', line: 3, match: /must equal the file name 'a'/ },
    { name: 'duplicate IP -> both files named', files: { 'testboxes/a.yaml': box('a', '10.0.0.5'), 'testboxes/b.yaml': box('b', '10.0.0.5') }, file: 'testboxes/b.yaml', line: 4, match: /duplicate ip 10.0.0.5: also used by testboxes\/a.yaml/ },
    { name: 'duplicate name (a copied file, name not changed) -> both files named', files: { 'testboxes/a.yaml': box('a', '10.0.0.5'), 'testboxes/b.yaml': box('a', '10.0.0.6') }, file: 'testboxes/b.yaml', line: 3, match: /duplicate name 'a': also in testboxes\/a.yaml/ },
    { name: 'duplicate key in a mapping -> YAML error', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.5\nip: 10.0.0.6\n' }, file: 'testboxes/a.yaml', line: 5, match: /unique|duplicate/i },
    { name: 'newline smuggled into a request id -> pattern error', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\nkind: Testbox\nname: a\nip: 10.0.0.5\naction: backup\nrequest: "r1\\nAPPEND evil"\n' }, file: 'testboxes/a.yaml', line: 6, match: /request/ },
    { name: 'box uses the NFS server address', files: { 'testboxes/a.yaml': box('a', '10.165.98.101') }, file: 'testboxes/a.yaml', line: 4, match: /boot.nfsServer/ },
    { name: 'partition instead of a disk -> refused', files: { 'testboxes/a.yaml': box('a', '10.0.0.5', { disks: ['sda1'] }) }, file: 'testboxes/a.yaml', line: 6, match: /disks\.0/ },
    { name: 'binary junk -> refused before parsing', files: { 'testboxes/a.yaml': 'apiVersion: tbx/v1\n\u0000\u0001' }, file: 'testboxes/a.yaml', line: 1, match: /binary/ },
    { name: 'a .yml file -> layout error, not silently ignored', files: { 'testboxes/a.yml': box('a', '10.0.0.5') }, file: 'testboxes/a.yml', line: 1, match: /only <name>.yaml/ },
    { name: 'extraArgs overriding the action -> error on that item (a request must not be rewritten for every box)', files: { 'fleet.yaml': 'apiVersion: tbx/v1\nkind: Site\nboot:\n  nfsServer: 10.165.98.101\n  ipConfig: dhcp\n  extraArgs:\n    - console=ttyS0\n    - testbox-action-restore\n' }, file: 'fleet.yaml', line: 8, match: /'testbox-action-restore' is not allowed: testbox-\* tokens are written by tbx/ },
    { name: 'extraArgs forcing restores past the identity gate -> error on that item', files: { 'fleet.yaml': 'apiVersion: tbx/v1\nkind: Site\nboot:\n  nfsServer: 10.165.98.101\n  ipConfig: dhcp\n  extraArgs:\n    - console=ttyS0\n    - testbox-force=1\n' }, file: 'fleet.yaml', line: 8, match: /'testbox-force=1' is not allowed/ },
    { name: 'extraArgs replacing the ip= tbx writes -> error on that item', files: { 'fleet.yaml': 'apiVersion: tbx/v1\nkind: Site\nboot:\n  nfsServer: 10.165.98.101\n  ipConfig: dhcp\n  extraArgs:\n    - console=ttyS0\n    - ip=dhcp\n' }, file: 'fleet.yaml', line: 8, match: /'ip=dhcp' is not allowed: tbx writes this token itself/ },
    { name: 'extraArgs with a password in a URL -> error, the password not echoed', files: { 'fleet.yaml': 'apiVersion: tbx/v1\nkind: Site\nboot:\n  nfsServer: 10.165.98.101\n  ipConfig: dhcp\n  extraArgs:\n    - console=ttyS0\n    - tbx.fleet=https://ci:hunter2@git.lab/fleet.git\n' }, file: 'fleet.yaml', line: 8, match: /'tbx.fleet=https:\/\/\*\*\*@git.lab\/fleet.git' carries a password or token; PXE files are readable/ },
    { name: 'wrong kind in testboxes/', files: { 'testboxes/a.yaml': { ...box('a', '10.0.0.5'), kind: 'Site' } }, file: 'testboxes/a.yaml', line: 2, match: /kind: must be "Testbox"/ },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const dir = await fleetDir(await tempDir(t), { 'fleet.yaml': seedSite(), ...c.files });
      const d = await readDesired(dir);
      assert.equal(isActionable(d), false);
      const hit = d.diagnostics.find((x) => x.file === c.file && c.match.test(x.message));
      assert.ok(hit, `no diagnostic matching ${c.match} for ${c.file}; got ${JSON.stringify(d.diagnostics)}`);
      assert.equal(hit.line, c.line, `line of ${JSON.stringify(hit)}`);
      assert.ok(!JSON.stringify(d.diagnostics).includes('hunter2'), 'no diagnostic repeats a password');
      assert.ok(hit.col >= 1);
    });
  }

  test('a maintenance window that is not a cron expression, or an unknown time zone -> error on fleet.yaml', async (t) => {
    const dir = await fleetDir(await tempDir(t), { 'fleet.yaml': { ...seedSite(), policy: { windows: ['* 22-23 * * 1-5', 'weeknights please'], timezone: 'Mars/Olympus' } } });
    const d = await readDesired(dir);
    assert.ok(d.diagnostics.some((x) => x.file === 'fleet.yaml' && /window 'weeknights please' must have five fields/.test(x.message)), JSON.stringify(d.diagnostics));
    assert.ok(d.diagnostics.some((x) => x.file === 'fleet.yaml' && /unknown time zone 'Mars\/Olympus'/.test(x.message)));
  });

  test('missing fleet.yaml -> error naming it', async (t) => {
    const dir = await fleetDir(await tempDir(t), { 'testboxes/a.yaml': box('a', '10.0.0.5') });
    const d = await readDesired(dir);
    assert.ok(d.diagnostics.some((x) => x.file === 'fleet.yaml' && /missing/.test(x.message)));
  });

  test('a symlinked box file is refused (it could read anything on the host)', async (t) => {
    const dir = await fleetDir(await tempDir(t), { 'fleet.yaml': seedSite(), 'elsewhere.yaml': box('a', '10.0.0.5') });
    await mkdir(join(dir, 'testboxes'));
    await symlink(join(dir, 'elsewhere.yaml'), join(dir, 'testboxes', 'a.yaml'));
    const d = await readDesired(dir);
    assert.ok(d.diagnostics.some((x) => x.file === 'testboxes/a.yaml' && /symlink/.test(x.message)));
  });

  test('a status for a box that left the fleet -> warning only, still actionable', async (t) => {
    const dir = await fleetDir(await tempDir(t), {
      'fleet.yaml': seedSite(),
      'status/gone.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'gone', ip: '10.0.0.9', request: 'r', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-01-01T00:00:00Z' },
    });
    const d = await readDesired(dir);
    assert.equal(isActionable(d), true);
    assert.equal(d.diagnostics[0]?.severity, 'warning');
  });
});
