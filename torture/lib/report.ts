import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { table } from '../../cli/views/table.js';
import { packageRoot } from '../../lib/package-root.js';

/** Print a titled table and save the raw figures as JSON under torture/results/ (git-ignored). */
export async function report(name: string, title: string, header: string[], rows: string[][], figures: unknown): Promise<void> {
  process.stdout.write(`\n== ${title}\n${table(header, rows)}\n`);
  const dir = join(packageRoot(), 'torture', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** Run `fn` over `items` with at most `n` at a time, keeping order of results. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, worker: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async (_, worker) => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, worker);
      }
    }),
  );
  return out;
}
