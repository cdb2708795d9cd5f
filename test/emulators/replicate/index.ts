/**
 * Loopback emulator of Replicate's predictions API (create by model or version, sync mode,
 * get, cancel, output files served from the same origin), with fault injection. See server.ts
 * for the routes and models.ts for the hosted models and their outputs.
 */
export { startReplicateEmulator } from './server.js';
export type { EmulatedPrediction, FaultRoute, RecordedRequest, ReplicateEmulator, ReplicateEmulatorOptions, ReplicateFault, ServedFile } from './types.js';
export { HOSTED, IMAGE_SIDE, MUSIC_SAMPLE_RATE, TTS_SAMPLE_RATE, WEBP_1X1 } from './models.js';
