/**
 * Provider registration: one line per built adapter. Each entry is a dynamic import,
 * so no provider SDK loads until that provider is first used.
 */
import type { ProviderModule } from './base.js';

export const PROVIDER_MODULES: Record<string, () => Promise<ProviderModule>> = {
  'google-vertex': async () => (await import('./google-vertex/index.js')).default,
  openrouter: async () => (await import('./openrouter/index.js')).default,
  fal: async () => (await import('./fal/index.js')).default,
  replicate: async () => (await import('./replicate/index.js')).default,
  huggingface: async () => (await import('./huggingface/index.js')).default,
  local: async () => (await import('./local/index.js')).default,
};
