import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { codeowners, exampleBox, fleetReadme, fleetYaml, generatedDirReadme, githubWorkflow, gitlabCi, vscodeSettings, type FleetSeed } from './fleet-templates.js';

/** Options of {@link initFleet}. */
export interface InitFleetOptions extends FleetSeed {
  dir: string;
  /** The example box: name and IP. */
  exampleName: string;
  exampleIp: string;
}

/**
 * Create a new fleet repo in `dir`: fleet.yaml, an example box, the JSON Schemas under
 * `.tbx/schema/` with editor associations, PR checks for GitHub Actions and GitLab CI, an
 * example CODEOWNERS and a README; `git init` when `dir` is not a repo yet. Refuses a
 * directory that already holds a fleet.yaml. Nothing is committed: review, then commit.
 * Returns the files written, repo-relative.
 */
export async function initFleet(o: InitFleetOptions): Promise<string[]> {
  await mkdir(o.dir, { recursive: true });
  if (await stat(join(o.dir, 'fleet.yaml')).then(() => true, () => false)) throw new UsageError(`${o.dir} already holds a fleet.yaml; tbx init fleet only creates new fleets`);
  const files: Record<string, string> = {
    'fleet.yaml': fleetYaml(o),
    [`testboxes/${o.exampleName}.yaml`]: exampleBox(o.exampleName, o.exampleIp),
    'status/README.md': generatedDirReadme('Statuses (TestboxStatus, from the agents)'),
    'notes/README.md': generatedDirReadme('Notes (TestboxNote, from the reconciler)'),
    '.vscode/settings.json': vscodeSettings(),
    '.github/workflows/tbx.yaml': githubWorkflow(),
    '.gitlab-ci.yml': gitlabCi(),
    CODEOWNERS: codeowners(),
    'README.md': fleetReadme(),
  };
  const written: string[] = [];
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(o.dir, rel, '..'), { recursive: true });
    await writeFile(join(o.dir, rel), content, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new UsageError(`${join(o.dir, rel)} already exists; not overwriting it`);
      throw err;
    });
    written.push(rel);
  }
  const schemaDir = join(packageRoot(), 'schema');
  await mkdir(join(o.dir, '.tbx', 'schema'), { recursive: true });
  for (const name of (await readdir(schemaDir)).filter((n) => n.endsWith('.schema.json')).sort()) {
    await copyFile(join(schemaDir, name), join(o.dir, '.tbx', 'schema', name));
    written.push(`.tbx/schema/${name}`);
  }
  if (!(await stat(join(o.dir, '.git')).then(() => true, () => false))) {
    await execa('git', ['init', '--quiet', '--initial-branch=main', o.dir]);
  }
  return written.sort();
}
