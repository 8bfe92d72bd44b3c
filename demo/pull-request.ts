import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { git, PEOPLE } from './site.js';

/** A reviewed change, as a forge would merge it. */
export interface PullRequest {
  number: number;
  branch: string;
  title: string;
  body: string;
  /** Box name -> fields to set in testboxes/<name>.yaml. */
  edits: Record<string, Record<string, unknown>>;
}

/**
 * Open and merge a pull request in the admin's checkout: Alice commits the edits on a
 * branch, Bob merges it with a merge commit ("Merge pull request #N ..."), and the result is
 * pushed to the fleet's remote. Edits keep the files' comments and layout.
 */
export async function mergePullRequest(checkout: string, pr: PullRequest): Promise<void> {
  await git(checkout, ['checkout', '--quiet', '-b', pr.branch, 'main']);
  for (const [box, fields] of Object.entries(pr.edits)) {
    const file = join(checkout, 'testboxes', `${box}.yaml`);
    const doc = parseDocument(await readFile(file, 'utf8'));
    for (const [k, v] of Object.entries(fields)) doc.set(k, v);
    await writeFile(file, doc.toString());
  }
  await git(checkout, ['commit', '--quiet', '-a', '-m', `${pr.title}\n\n${pr.body}`], PEOPLE.alice);
  await git(checkout, ['checkout', '--quiet', 'main']);
  await git(checkout, ['pull', '--quiet', '--ff-only', 'origin', 'main'], PEOPLE.bob);
  await git(checkout, ['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${pr.number} from lab/${pr.branch}\n\n${pr.title}`, pr.branch], PEOPLE.bob);
  await git(checkout, ['push', '--quiet', 'origin', 'main'], PEOPLE.bob);
}

/** Merge a branch someone already pushed (e.g. by `tbx request --push`) as pull request `number`, as Bob. */
export async function mergeBranch(checkout: string, pr: { number: number; branch: string; title: string }): Promise<void> {
  await git(checkout, ['fetch', '--quiet', 'origin'], PEOPLE.bob);
  await git(checkout, ['checkout', '--quiet', 'main']);
  await git(checkout, ['pull', '--quiet', '--ff-only', 'origin', 'main'], PEOPLE.bob);
  await git(checkout, ['merge', '--quiet', '--no-ff', '-m', `Merge pull request #${pr.number} from lab/${pr.branch}\n\n${pr.title}`, `origin/${pr.branch}`], PEOPLE.bob);
  await git(checkout, ['push', '--quiet', 'origin', 'main'], PEOPLE.bob);
}
