import { TbxError } from '../lib/errors.js';

/** Building the maintenance image failed: a missing host tool or package, or a step that exited non-zero. */
export class BootImageError extends TbxError {}
