/**
 * Loopback emulator of fal's queue API (submit, status with queue position and logs, result,
 * cancel) that also serves the output files its results point at; see server.ts for the routes
 * and outputs.ts for the output shapes.
 */
export { startFalEmulator } from './server.js';
export { encodeMp3, familyOf } from './outputs.js';
export type { EmulatedRequest, FalEmulator, FalEmulatorOptions, FalFault, FalRoute, JobError, RecordedRequest, ServedFile } from './types.js';
