import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../lib/errors.js';
import { validateKind } from '../schema/validate.js';
import type { Kind } from '../schema/types.js';

/** Files larger than this are refused before parsing: a box file is a few hundred bytes. */
export const MAX_FILE_BYTES = 256 * 1024;

/** A parsed, schema-checked fleet file; `value` is undefined when it is unusable. */
export interface ParsedFile<T> {
  file: string;
  value: T | undefined;
  /** The document as parsed, even when it failed the schema (for cross-file checks); undefined on YAML errors. */
  raw: Record<string, unknown> | undefined;
  diagnostics: Diagnostic[];
  /** Line and column of a top-level key, or of the item a path names, for cross-file diagnostics. */
  position(key: string | (string | number)[]): { line: number; col: number };
}

/**
 * Parse one YAML file of the fleet repo and validate it as `kind`, with schema defaults
 * filled in. Every problem becomes a diagnostic with the file, line and column.
 * `file` is the repo-relative path used in messages.
 */
export function parseFleetFile<T>(file: string, bytes: Uint8Array, kind: Kind): ParsedFile<T> {
  const diag = (line: number, col: number, message: string, rule: string): Diagnostic => ({ file, line, col, message, rule, severity: 'error' });
  const none = { file, value: undefined, raw: undefined, position: () => ({ line: 1, col: 1 }) };
  if (bytes.length > MAX_FILE_BYTES) return { ...none, diagnostics: [diag(1, 1, `file is ${bytes.length} bytes; the limit is ${MAX_FILE_BYTES}`, 'size')] };
  if (bytes.includes(0)) return { ...none, diagnostics: [diag(1, 1, 'binary content (NUL byte); expected YAML text', 'encoding')] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ...none, diagnostics: [diag(1, 1, 'not valid UTF-8 text', 'encoding')] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  const position = (key: string | (string | number)[]) => locateKey(doc, typeof key === 'string' ? [key] : key, at);
  if (doc.errors.length > 0) {
    return {
      file,
      value: undefined,
      raw: undefined,
      position,
      diagnostics: doc.errors.map((e) => {
        const p = at(e.pos[0]);
        return diag(p.line, p.col, `YAML ${e.message.split('\n')[0]}`, 'yaml');
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 16 });
  } catch (err) {
    // Unresolved aliases and alias bombs surface only when the document is built.
    return { ...none, position, diagnostics: [diag(1, 1, `YAML ${(err as Error).message}`, 'yaml')] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ...none, position, diagnostics: [diag(1, 1, `expected a mapping with apiVersion and kind, found ${value === null ? 'an empty document' : Array.isArray(value) ? 'a list' : typeof value}`, 'schema')] };
  }
  const issues = validateKind(kind, value);
  const diagnostics = issues.map((i) => {
    const p = i.atKey ? locateKey(doc, i.path, at) : locateValue(doc, i.path, at);
    return diag(p.line, p.col, i.message, 'schema');
  });
  return { file, value: diagnostics.length ? undefined : (value as T), raw: value as Record<string, unknown>, diagnostics, position };
}

type At = (offset: number) => { line: number; col: number };

/** Position of the value at `path`, or of its nearest existing ancestor. */
function locateValue(doc: Document, path: (string | number)[], at: At): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return at(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** Position of the key that ends `path` (for unknown keys), falling back to the value. */
function locateKey(doc: Document, path: (string | number)[], at: At): { line: number; col: number } {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const last = path[path.length - 1];
  if (isMap(parent)) {
    for (const item of parent.items) {
      if (isPair(item) && isScalar(item.key) && item.key.value === last && item.key.range) return at(item.key.range[0]);
    }
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as Node | undefined;
    if (item?.range) return at(item.range[0]);
  }
  return locateValue(doc, path, at);
}
