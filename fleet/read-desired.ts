import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../lib/errors.js';
import type { Kind, Site, Testbox, TestboxNote, TestboxStatus } from '../schema/types.js';
import { checkFleet } from './cross-check.js';
import { parseFleetFile, type ParsedFile } from './parse-file.js';

/** The desired state of a fleet at one revision, as read from a checkout. */
export interface Desired {
  /** Commit the files were read at, when known (null for a dirty working tree). */
  revision: string | null;
  site: Site | undefined;
  /** Valid testboxes, sorted by name. */
  boxes: Testbox[];
  /** Agent-reported statuses by box name. */
  statuses: Map<string, TestboxStatus>;
  /** Reconciler notes by box name. */
  notes: Map<string, TestboxNote>;
  /** Every finding; any `error` makes the whole revision unusable. */
  diagnostics: Diagnostic[];
}

/** True when the revision may be acted on: no diagnostic of severity error. */
export function isActionable(d: Pick<Desired, 'diagnostics'>): boolean {
  return !d.diagnostics.some((x) => x.severity === 'error');
}

/** Directories of a fleet repo and the kind each one holds. */
const DIRS: { dir: string; kind: Kind }[] = [
  { dir: 'testboxes', kind: 'Testbox' },
  { dir: 'status', kind: 'TestboxStatus' },
  { dir: 'notes', kind: 'TestboxNote' },
];

/**
 * Read and validate every file of the fleet checkout in `dir`: `fleet.yaml`,
 * `testboxes/*.yaml`, `status/*.yaml` and `notes/*.yaml`, then the cross-file rules.
 * Never throws for bad content: problems come back as diagnostics.
 */
export async function readDesired(dir: string, revision: string | null = null): Promise<Desired> {
  const diagnostics: Diagnostic[] = [];
  const site = await readOne<Site>(dir, 'fleet.yaml', 'Site', diagnostics);
  const parsed: Record<Kind, ParsedFile<unknown>[]> = { Site: [], Testbox: [], TestboxStatus: [], TestboxNote: [] };
  for (const { dir: sub, kind } of DIRS) {
    for (const name of await listYaml(dir, sub, diagnostics)) {
      const file = `${sub}/${name}`;
      const bytes = await readRegular(dir, file, diagnostics);
      if (!bytes) continue;
      const p = parseFleetFile<unknown>(file, bytes, kind);
      diagnostics.push(...p.diagnostics);
      parsed[kind].push(p);
    }
  }
  const checked = checkFleet({
    site,
    boxes: parsed.Testbox as ParsedFile<Testbox>[],
    statuses: parsed.TestboxStatus as ParsedFile<TestboxStatus>[],
    notes: parsed.TestboxNote as ParsedFile<TestboxNote>[],
  });
  diagnostics.push(...checked.diagnostics);
  return {
    revision,
    site: site?.value,
    boxes: checked.boxes,
    statuses: checked.statuses,
    notes: checked.notes,
    diagnostics: sortDiagnostics(diagnostics),
  };
}

async function readOne<T>(dir: string, file: string, kind: Kind, out: Diagnostic[]): Promise<ParsedFile<T> | undefined> {
  const bytes = await readRegular(dir, file, out, `missing: every fleet repo has ${file} at its top level (kind: ${kind})`);
  if (!bytes) return undefined;
  const p = parseFleetFile<T>(file, bytes, kind);
  out.push(...p.diagnostics);
  return p;
}

/** Read a regular file of the repo; symlinks and other types are refused with a diagnostic. */
async function readRegular(dir: string, file: string, out: Diagnostic[], missing?: string): Promise<Uint8Array | undefined> {
  const full = join(dir, file);
  const st = await lstat(full).catch(() => undefined);
  const err = (message: string, rule: string) => out.push({ file, line: 1, col: 1, message, rule, severity: 'error' });
  if (!st) {
    if (missing) err(missing, 'missing');
    return undefined;
  }
  if (st.isSymbolicLink()) return void err('symlinks are not allowed in a fleet repo', 'symlink');
  if (!st.isFile()) return void err('expected a regular file', 'file-type');
  return readFile(full);
}

/** Names of `*.yaml` files in `sub`; anything else that looks like content is an error. */
async function listYaml(dir: string, sub: string, out: Diagnostic[]): Promise<string[]> {
  const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || /^readme(\.md|\.txt)?$/i.test(e.name)) continue;
    if (e.name.endsWith('.yaml')) names.push(e.name);
    else out.push({ file: `${sub}/${e.name}`, line: 1, col: 1, message: `unexpected ${e.isDirectory() ? 'directory' : 'file'} in ${sub}/: only <name>.yaml files belong here`, rule: 'layout', severity: 'error' });
  }
  return names.sort();
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}
