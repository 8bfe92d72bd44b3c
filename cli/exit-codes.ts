/**
 * Exit codes of every tbx command except `tbx agent` (which keeps the seed's codes).
 * Documented in docs/exit-codes.md; scripts and CI rely on them.
 */
export const EXIT_CODES = {
  /** Done; for `plan`: no changes pending. */
  ok: 0,
  /** An error: invalid fleet, unreachable share or repo, a failed change, a failed doctor check, a usage error. */
  error: 1,
  /** `tbx plan`: the plan has changes (Terraform's -detailed-exitcode). */
  changes: 2,
} as const;
