import { TbxError } from '../lib/errors.js';

/**
 * The agent's exit codes: the seed's testbox-maintenance.sh codes, kept so that scripts and
 * admins reading old logs see the same numbers. 16 (unused by the seed) is tbx's stale-boot
 * refusal.
 */
export const EXIT = {
  ok: 0,
  noIp: 10,
  backupShare: 11,
  tftpShare: 12,
  noPxeConfig: 13,
  noAction: 14,
  badAction: 15,
  staleBoot: 16,
  noDisks: 17,
  imageExists: 18,
  backupFailed: 19,
  restoreFailed: 20,
  internal: 98,
  pxeRemoveFailed: 99,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A fatal step of the agent, with the seed's exit code. */
export class AgentFailure extends TbxError {
  readonly code: ExitCode;
  constructor(code: ExitCode, message: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}
