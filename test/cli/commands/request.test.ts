import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite, type FleetRepo } from '../../helpers/fleet-repo.js';
import { git } from '../../helpers/git.js';
import { tempDir } from '../../helpers/tmp.js';

async function fleet(t: Parameters<typeof tempDir>[0]): Promise<FleetRepo> {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, {
    'fleet.yaml': seedSite(),
    'testboxes/tb-a.yaml': '# keep this comment\n' + 'apiVersion: tbx/v1\nkind: Testbox\nname: tb-a\nip: 10.165.98.220\naction: none\nlabels:\n  rack: b3\n',
    'testboxes/tb-b.yaml': box('tb-b', '10.165.98.221', { labels: { rack: 'b3' } }),
    'testboxes/tb-c.yaml': box('tb-c', '10.165.98.222', { labels: { rack: 'c1' } }),
  });
  await git(repo.work, ['config', 'user.name', 'Ada Admin']);
  await git(repo.work, ['config', 'user.email', 'ada@lab.test']);
  return repo;
}

test('request restore for one box -> a branch with a fresh request id, the reason in the body, checkout untouched', async (t) => {
  const repo = await fleet(t);
  const headBefore = await git(repo.work, ['rev-parse', 'HEAD']);
  const r = await runTbx(['request', 'tb-a', 'restore', '--reason', 'kernel panic test broke the root fs', '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  const branch = /on branch (\S+)/.exec(r.stdout)?.[1];
  assert.match(branch ?? '', /^tbx\/\d{4}-\d\d-\d\d-restore-[0-9a-f]{4}$/);
  assert.equal(await git(repo.work, ['rev-parse', 'HEAD']), headBefore);
  assert.equal(await git(repo.work, ['status', '--porcelain']), '');
  const text = await git(repo.work, ['show', `${branch}:testboxes/tb-a.yaml`]);
  assert.match(text, /^# keep this comment/);
  const doc = parse(text) as { action: string; request: string };
  assert.equal(doc.action, 'restore');
  assert.equal(`tbx/${doc.request}`, branch);
  const msg = await git(repo.work, ['log', '-1', '--format=%B', branch!]);
  assert.match(msg, new RegExp(`^tb-a: restore \\(request ${doc.request}\\)\n\nkernel panic test broke the root fs\n\nTbx-Request: ${doc.request}\nTbx-Action: restore\nTbx-Box: tb-a`));
  assert.equal(await git(repo.work, ['log', '-1', '--format=%an <%ae>', branch!]), 'Ada Admin <ada@lab.test>');
  assert.match(r.stdout, /git -C .* push -u origin tbx\//);
});

test('request with a selector and --push -> every matching box on one pushed branch', async (t) => {
  const repo = await fleet(t);
  const r = await runTbx(['request', '-l', 'rack=b3', 'backup', '--request-id', 'rb3-1', '--push', '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /tb-a .* none -> backup/);
  assert.match(r.stdout, /tb-b .* none -> backup/);
  assert.doesNotMatch(r.stdout, /tb-c/);
  const files = await git(repo.bare, ['diff', '--name-only', 'main', 'tbx/rb3-1']);
  assert.deepEqual(files.split('\n'), ['testboxes/tb-a.yaml', 'testboxes/tb-b.yaml']);
  assert.equal(await git(repo.bare, ['log', '-1', '--format=%s', 'tbx/rb3-1']), 'backup 2 boxes with rack=b3 (request rb3-1)');
});

test('request for an unknown box or action -> exit 1, nothing created', async (t) => {
  const repo = await fleet(t);
  const a = await runTbx(['request', 'tb-zz', 'restore', '-C', repo.work]);
  assert.equal(a.exitCode, 1);
  assert.match(a.stderr, /no testboxes\/tb-zz\.yaml.*known boxes: tb-a, tb-b, tb-c/);
  const b = await runTbx(['request', 'tb-a', 'reinstall', '-C', repo.work]);
  assert.equal(b.exitCode, 1);
  assert.match(b.stderr, /unknown action 'reinstall'/);
  assert.equal(await git(repo.work, ['branch', '--list', 'tbx/*']), '');
});

test('request none -> ends a request; the file validates', async (t) => {
  const repo = await fleet(t);
  const r = await runTbx(['request', 'tb-c', 'none', '--request-id', 'end-1', '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  const doc = parse(await git(repo.work, ['show', 'tbx/end-1:testboxes/tb-c.yaml'])) as { action: string };
  assert.equal(doc.action, 'none');
  assert.equal((await readFile(join(repo.work, 'testboxes', 'tb-c.yaml'), 'utf8')).includes('end-1'), false);
});

test('request restore --source --force -> both in the file and the trailers; a later plain request drops them', async (t) => {
  const repo = await fleet(t);
  const r = await runTbx(['request', 'tb-a', 'restore', '--source', 'tb-c@2', '--force', '--request-id', 'gold-1', '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  const doc = parse(await git(repo.work, ['show', 'tbx/gold-1:testboxes/tb-a.yaml'])) as Record<string, unknown>;
  assert.deepEqual([doc.action, doc.source, doc.force], ['restore', 'tb-c@2', true]);
  const msg = await git(repo.work, ['log', '-1', '--format=%B', 'tbx/gold-1']);
  assert.match(msg, /^tb-a: restore from tb-c@2 \(force\) \(request gold-1\)\n/);
  assert.match(msg, /Tbx-Source: tb-c@2\nTbx-Force: true\n/);

  const again = await runTbx(['request', 'tb-a', 'restore', '--request-id', 'own-1', '--base', 'tbx/gold-1', '-C', repo.work]);
  assert.equal(again.exitCode, 0, again.all);
  const plain = parse(await git(repo.work, ['show', 'tbx/own-1:testboxes/tb-a.yaml'])) as Record<string, unknown>;
  assert.deepEqual([plain.action, plain.source, plain.force], ['restore', undefined, undefined], 'a new request never inherits a golden image or force');

  const wrong = await runTbx(['request', 'tb-a', 'backup', '--force', '-C', repo.work]);
  assert.equal(wrong.exitCode, 1);
  assert.match(wrong.stderr, /--source and --force only apply to restore, not backup/);
});

test('request restore --source another box without --force -> committed, with a warning in NOTE and on stderr that the plan will block it', async (t) => {
  const repo = await fleet(t);
  const r = await runTbx(['request', 'tb-a', 'restore', '--source', 'tb-b@1', '--request-id', 'r-1', '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /^tb-a +10\.165\.98\.220 +none -> restore +restores tb-b's image: without --force the plan blocks it \(the identity gate refuses another box's image unless force: true\)$/m);
  assert.equal(r.stderr, "tbx: warning: tb-a: restores tb-b's image: without --force the plan blocks it (the identity gate refuses another box's image unless force: true)");
  assert.equal((parse(await git(repo.work, ['show', 'tbx/r-1:testboxes/tb-a.yaml'])) as { source: string }).source, 'tb-b@1');
  const forced = await runTbx(['request', 'tb-a', 'restore', '--source', 'tb-b', '--force', '-C', repo.work]);
  assert.equal(forced.stderr, '');
  const own = await runTbx(['request', 'tb-a', 'restore', '--source', 'tb-a@1', '-C', repo.work]);
  assert.equal(own.stderr, '', 'an older generation of the box itself needs no force');
  const unknown = await runTbx(['request', 'tb-a', 'restore', '--source', 'tb-zz', '-C', repo.work]);
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.stderr, /--source tb-zz: no testboxes\/tb-zz\.yaml in the checkout/);
});

test('request backup for a box that already has an image (--backup given) -> "an image exists: backup will be blocked; use backup-again"', async (t) => {
  const repo = await fleet(t);
  const backup = join(repo.work, '..', 'backup');
  await mkdir(join(backup, '10.165.98.221'), { recursive: true });
  await writeFile(join(backup, '10.165.98.221', 'sda.gz'), Buffer.alloc(64));
  const r = await runTbx(['request', 'tb-a', 'tb-b', 'backup', '--backup', backup, '-C', repo.work]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /^tb-a +10\.165\.98\.220 +none -> backup$/m);
  assert.match(r.stdout, /^tb-b +10\.165\.98\.221 +none -> backup +an image exists: backup will be blocked; use backup-again$/m);
  assert.equal(r.stderr, 'tbx: warning: tb-b: an image exists: backup will be blocked; use backup-again');
  const again = await runTbx(['request', 'tb-b', 'backup-again', '-C', repo.work], { TBX_BACKUP_ROOT: backup });
  assert.equal(again.stderr, '');
});
