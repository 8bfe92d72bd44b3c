import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { Action } from '../schema/types.js';

/** What an admin asks for one or more boxes. */
export interface RequestSpec {
  action: Action;
  request: string;
  /** restore only: `<box>[@<generation>]` whose image to restore. */
  source?: string;
  /** restore only: override the disk identity gate (another serial, another box's image). */
  force?: boolean;
}

/**
 * A fresh request id: the UTC date, the action and four random hex digits, e.g.
 * `2026-11-25-restore-3f9a`. Readable in `git log`, unique enough for one lab.
 */
export function newRequestId(action: Action, now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 10)}-${action}-${randomBytes(2).toString('hex')}`;
}

/**
 * Set `action` and `request` in a box file's YAML text, keeping its comments, key order
 * and layout. Keys that were missing are added at the end. A request states all of itself:
 * `source` and `force` are set when asked for and removed otherwise, so a restore never
 * inherits a golden image or a force from an earlier request.
 */
export function editBoxFile(text: string, spec: RequestSpec): string {
  const doc = parseDocument(text);
  doc.set('action', spec.action);
  doc.set('request', spec.request);
  if (spec.source) doc.set('source', spec.source);
  else doc.delete('source');
  if (spec.force) doc.set('force', true);
  else doc.delete('force');
  return doc.toString();
}

/**
 * The commit message of a request: a subject for `git log --oneline`, the reason as the
 * body, and trailers tools can grep (`Tbx-Request`, `Tbx-Action`, one `Tbx-Box` per box).
 */
export function requestCommitMessage(boxes: string[], spec: RequestSpec, options: { reason?: string; selector?: string } = {}): string {
  const what = boxes.length === 1 ? `${boxes[0]}: ${spec.action}` : `${spec.action} ${boxes.length} boxes${options.selector ? ` with ${options.selector}` : `: ${boxes.join(', ')}`}`;
  let subject = `${what}${spec.source ? ` from ${spec.source}` : ''}${spec.force ? ' (force)' : ''} (request ${spec.request})`;
  if (subject.length > 100) subject = `${spec.action} ${boxes.length} boxes (request ${spec.request})`;
  const body = options.reason?.trim();
  const trailers = [
    `Tbx-Request: ${spec.request}`,
    `Tbx-Action: ${spec.action}`,
    ...(spec.source ? [`Tbx-Source: ${spec.source}`] : []),
    ...(spec.force ? ['Tbx-Force: true'] : []),
    ...boxes.map((b) => `Tbx-Box: ${b}`),
  ];
  return [subject, '', ...(body ? [body, ''] : []), trailers.join('\n'), ''].join('\n');
}
