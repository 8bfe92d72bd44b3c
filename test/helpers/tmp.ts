import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp directory, removed when the test ends (kept if TBX_KEEP_TMP is set, for debugging). */
export async function tempDir(t: TestContext, prefix = 'tbx-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(async () => {
    if (!process.env.TBX_KEEP_TMP) await rm(dir, { recursive: true, force: true });
  });
  return dir;
}
