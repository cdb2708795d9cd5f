/** The Hugging Face emulator: router, Hub mapping and result files on one loopback origin (server.ts). */
export { startHfEmulator, routeOf } from './server.js';
export { DEFAULT_MAPPINGS } from './hub.js';
export type { FalJobState, FaultRoute, HfEmulator, HfEmulatorOptions, HfFault, MappingEntry, RecordedRequest, SentMedia } from './types.js';
