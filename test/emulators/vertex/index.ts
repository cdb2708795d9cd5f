/**
 * Loopback emulator of Google Vertex AI (Gemini generateContent, Imagen and Lyria predict, Veo
 * predictLongRunning + fetchPredictOperation), with the STS token endpoint, GCE metadata server and
 * GCS JSON API that google-auth-library and @google-cloud/storage need — all on one 127.0.0.1 port.
 * See server.ts for the routes and each module for the wire shapes it follows.
 */
export { startVertexEmulator } from './server.js';
export type {
  FaultRoute, RecordedRequest, SentMedia, VeoOperation, VertexEmulator, VertexEmulatorOptions, VertexFault, WireFault,
} from './types.js';
export { TTS_MIME_TYPE, TTS_SAMPLE_RATE } from './generate-content.js';
export { IMAGEN_SIZES, LYRIA_CHANNELS, LYRIA_SAMPLE_RATE } from './predict.js';
export { crc32c, encodeJpeg, encodeMp4, encodePng, encodeWav, pcmTone } from '../media.js';
