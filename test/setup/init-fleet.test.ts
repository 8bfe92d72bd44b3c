import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { runTbx } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('init fleet -> a git repo that validates, with schemas, PR checks for GitHub and GitLab, CODEOWNERS', async (t) => {
  const dir = join(await tempDir(t), 'fleet');
  const r = await runTbx(['init', 'fleet', dir, '--nfs-server', '10.42.1.1', '--gateway', '10.42.1.254', '--netmask', '255.255.255.0', '--example', 'tb-one=10.42.1.20']);
  assert.equal(r.exitCode, 0, r.all);
  assert.ok((await stat(join(dir, '.git'))).isDirectory());
  const v = await runTbx(['validate', dir]);
  assert.equal(v.exitCode, 0, v.all);
  assert.match(v.stdout, /fleet is valid: 1 testbox/);
  assert.match(await readFile(join(dir, 'testboxes', 'tb-one.yaml'), 'utf8'), /^# yaml-language-server: \$schema=\.\.\/\.tbx\/schema\/testbox\.schema\.json$/m);
  assert.ok((await stat(join(dir, '.tbx', 'schema', 'testbox.schema.json'))).isFile());
  const vscode = JSON.parse(await readFile(join(dir, '.vscode', 'settings.json'), 'utf8')) as { 'yaml.schemas': Record<string, string> };
  assert.equal(vscode['yaml.schemas']['./.tbx/schema/testbox.schema.json'], 'testboxes/*.yaml');
  const gh = parse(await readFile(join(dir, '.github', 'workflows', 'tbx.yaml'), 'utf8')) as { jobs: Record<string, { steps: { run?: string }[]; 'runs-on': unknown }> };
  assert.ok(gh.jobs.validate!.steps.some((s) => s.run === 'tbx validate --format github .'));
  assert.ok(gh.jobs.plan!.steps.some((s) => /tbx plan --fleet \. --format markdown/.test(s.run ?? '')));
  assert.deepEqual(gh.jobs.plan!['runs-on'], ['self-hosted', 'tbx-site']);
  const gl = parse(await readFile(join(dir, '.gitlab-ci.yml'), 'utf8')) as Record<string, { script?: string[] }>;
  assert.ok(gl['tbx-validate']!.script!.includes('tbx validate .'));
  assert.ok(gl['tbx-plan']!.script!.some((s) => /tbx plan --fleet \. --format markdown/.test(s)));
  assert.match(await readFile(join(dir, 'CODEOWNERS'), 'utf8'), /^\/testboxes\/ +@lab\/testbox-admins$/m);
  const again = await runTbx(['init', 'fleet', dir]);
  assert.equal(again.exitCode, 1);
  assert.match(again.stderr, /already holds a fleet\.yaml/);
});

/** Run a CI step's shell script as the runner would (sh), with a stand-in `npm` that records its arguments. */
async function runStep(t: Parameters<typeof tempDir>[0], script: string, tbxPackage: string) {
  const bin = await tempDir(t);
  await writeFile(join(bin, 'npm'), `#!/bin/sh\necho "$@" > "${join(bin, 'npm-args')}"\n`, { mode: 0o755 });
  const r = await execa('sh', ['-c', script], { reject: false, all: true, env: { PATH: `${bin}:${process.env.PATH}`, TBX_PACKAGE: tbxPackage } });
  const npmArgs = await readFile(join(bin, 'npm-args'), 'utf8').catch(() => null);
  return { exitCode: r.exitCode, all: r.all ?? '', npmArgs };
}

test('generated CI without TBX_PACKAGE -> the install step fails saying what to set, and never installs the bare name tbx', async (t) => {
  const dir = join(await tempDir(t), 'fleet');
  assert.equal((await runTbx(['init', 'fleet', dir])).exitCode, 0);
  const ghText = await readFile(join(dir, '.github', 'workflows', 'tbx.yaml'), 'utf8');
  const glText = await readFile(join(dir, '.gitlab-ci.yml'), 'utf8');
  for (const text of [ghText, glText]) {
    assert.match(text, /^# TBX_PACKAGE \(required\): the npm install spec of your tbx copy/m, 'the variable is documented in the file');
    assert.doesNotMatch(text, /\|\| 'tbx'|:-tbx/, 'no fallback to the npm name tbx');
  }
  const gh = parse(ghText) as { jobs: { validate: { steps: { name?: string; run?: string; env?: Record<string, string> }[] } } };
  const install = gh.jobs.validate.steps.find((s) => /^npm install/m.test(s.run ?? ''))!;
  assert.equal(install.env?.TBX_PACKAGE, '${{ vars.TBX_PACKAGE }}');
  const gl = parse(glText) as Record<string, { script?: string[] }>;
  const glScript = gl['tbx-validate']!.script!;
  const glInstall = glScript.slice(0, glScript.findIndex((l) => /^npm install/.test(l)) + 1).join('\n');
  for (const script of [install.run!, glInstall]) {
    const unset = await runStep(t, script, '');
    assert.equal(unset.exitCode, 1, unset.all);
    assert.match(unset.all, /TBX_PACKAGE is not set: set it to the npm install spec of your tbx copy/);
    assert.equal(unset.npmArgs, null, 'npm was not run');
    const set = await runStep(t, script, 'https://git.lab/tools/tbx.tar.gz');
    assert.equal(set.exitCode, 0, set.all);
    assert.equal(set.npmArgs, 'install --global https://git.lab/tools/tbx.tar.gz\n', `${script}\n${set.all}`);
  }
  assert.match(ghText, /::error title=TBX_PACKAGE::/, 'GitHub shows the message as an error annotation');
});
