import type { TestboxNote, TestboxStatus } from '../schema/types.js';

/**
 * Commit message for a status: a subject that reads well in `git log --oneline`
 * (`tb-linux-01: restore Succeeded (request 2026-11-24-a)`), details in the body, and
 * trailers tools can grep.
 */
export function statusCommitMessage(status: TestboxStatus, options: { forwarded?: boolean } = {}): string {
  const subject = `${status.name}: ${status.action} ${status.phase} (request ${status.request})${options.forwarded ? ' [forwarded]' : ''}`;
  const body: string[] = [];
  if (status.message) body.push(status.message);
  for (const d of status.disks ?? []) body.push(`${d.device}: ${d.bytes} bytes in ${d.seconds.toFixed(1)} s, ${d.sha256 ? `sha256 ${d.sha256}` : `digest ${d.digest}${d.generation ? `, generation ${d.generation}` : ''}`}`);
  if (options.forwarded) body.push('The agent could not reach git; the reconciler forwarded the status it had spooled on the backup share.');
  const trailers = [`Tbx-Box: ${status.name}`, `Tbx-Request: ${status.request}`, `Tbx-Action: ${status.action}`, `Tbx-Phase: ${status.phase}`, `Tbx-Attempt: ${status.attempt}`];
  if (options.forwarded) trailers.push('Tbx-Forwarded-By: reconciler');
  return [subject, '', ...(body.length ? [body.join('\n'), ''] : []), trailers.join('\n')].join('\n');
}

/** Commit message for a reconciler note, named after its newest condition. */
export function noteCommitMessage(note: TestboxNote, action: string): string {
  const c = note.conditions[note.conditions.length - 1];
  const subject = `${note.name}: ${action} ${c?.type ?? 'Noted'} (request ${note.request})`;
  return [subject, '', c ? `${c.reason}: ${c.message}` : '', '', `Tbx-Box: ${note.name}`, `Tbx-Request: ${note.request}`, `Tbx-Condition: ${c?.type ?? ''}`].join('\n');
}
