import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';
import { hashTree } from '../helpers/tree.js';

const TOKEN = 'S3cretT0ken-do-not-log';

/** Serve a bare repo over git's dumb HTTP protocol, behind Basic auth for ci:<TOKEN>. */
async function serveRepo(bare: string): Promise<{ server: Server; port: number }> {
  await execa('git', ['-C', bare, 'update-server-info']);
  const want = `Basic ${Buffer.from(`ci:${TOKEN}`).toString('base64')}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== want) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fleet"' }).end();
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    readFile(join(bare, path)).then(
      (body) => res.writeHead(200).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

test('a fleet URL with a password: the pass works, and the password reaches no log, PXE file, event, metric or world-readable clone', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }) });
  const shares = await makeShares(root, { withDefault: true });
  const { server, port } = await serveRepo(repo.bare);
  t.after(() => new Promise((r) => server.close(r)));
  const metrics = join(root, 'tbx.prom');
  const env = { TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_LEVEL: 'debug', TBX_METRICS_FILE: metrics };

  const ok = await runTbx(['reconcile', '--fleet', `http://ci:${TOKEN}@127.0.0.1:${port}/`], env);
  assert.equal(ok.exitCode, 0, ok.all);
  assert.ok((await readdir(shares.cfg)).includes('0A00000A'), 'the pass read the fleet over HTTP');
  const bad = await runTbx(['plan', '--fleet', `http://ci:wrong-${TOKEN}@127.0.0.1:${port}/`], { ...env, TBX_STATE_DIR: join(root, 'state2') });
  assert.equal(bad.exitCode, 1, bad.all);
  assert.match(bad.stderr, /cannot fetch fleet repo http:\/\/\*\*\*@127\.0\.0\.1:\d+\/: .*the fleet repo refused the credentials/);

  const written = { ...(await hashTree(shares.tftp)), ...(await hashTree(shares.backup)) };
  const texts = [ok.all, bad.all, await readFile(metrics, 'utf8'), ...(await Promise.all(Object.keys(written).map((f) => readFile(join(f.startsWith('pxelinux') ? shares.tftp : shares.backup, f), 'utf8').catch(() => ''))))];
  for (const text of texts) assert.ok(!text.includes(TOKEN), `the password leaked into: ${text.slice(0, 200)}`);
  // git keeps the remote URL in the clone's config: only its owner may read the clone.
  for (const dir of (await readdir(shares.state)).filter((d) => d.startsWith('fleet-') && !d.endsWith('.lock'))) {
    assert.equal((await stat(join(shares.state, dir))).mode & 0o077, 0, `${dir} is readable by other users`);
  }
});
