import { runFaults, type FaultPlan } from './run.js';

/**
 * Entry point of the faults suite inside its private mount namespace (torture/faults/run.ts
 * starts it under `unshare -m`): runs the plan given as JSON and exits with the failure count.
 */
const plan = JSON.parse(process.argv[2] ?? '{}') as FaultPlan;
const { failures } = await runFaults(plan);
process.exitCode = Math.min(failures, 100);
