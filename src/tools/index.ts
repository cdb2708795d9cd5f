/** Registers the six tools. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from './deps.js';
import { registerGenerateAudio } from './generate-audio.js';
import { registerGenerateImage } from './generate-image.js';
import { registerGenerateText } from './generate-text.js';
import { registerGenerateVideo } from './generate-video.js';
import { registerListProviders } from './list-providers.js';
import { registerTts } from './tts.js';

export const TOOL_NAMES = ['generate_text', 'generate_image', 'generate_video', 'generate_audio', 'tts', 'list_providers'] as const;

export function registerTools(server: McpServer, deps: ToolDeps): void {
  const limits = { maxPromptChars: deps.config.maxPromptChars, providerIds: deps.registry.ids() };
  registerGenerateText(server, deps, limits);
  registerGenerateImage(server, deps, limits);
  registerGenerateVideo(server, deps, limits);
  registerGenerateAudio(server, deps, limits);
  registerTts(server, deps, limits);
  registerListProviders(server, deps);
}
