/** Registers the tools: five generation tools, list_providers, and the three job tools. */
import type { McpServer } from '@modelcontextprotocol/server';
import type { ToolDeps } from './deps.js';
import { generateAudio } from './generate-audio.js';
import { generateImage } from './generate-image.js';
import { generateText } from './generate-text.js';
import { generateVideo } from './generate-video.js';
import { registerGenerationTool } from './generation-tool.js';
import { registerListProviders } from './list-providers.js';
import { registerGetJob } from './get-job.js';
import { registerCancelJob } from './cancel-job.js';
import { registerListJobs } from './list-jobs.js';
import { tts } from './tts.js';

export function registerTools(server: McpServer, deps: ToolDeps): void {
  const limits = { maxPromptChars: deps.config.maxPromptChars, providerIds: deps.registry.ids(), waitSeconds: deps.config.waitSeconds, maxCostUsd: deps.config.maxCostUsd };
  registerGenerationTool(server, deps, limits, generateText);
  registerGenerationTool(server, deps, limits, generateImage);
  registerGenerationTool(server, deps, limits, generateVideo);
  registerGenerationTool(server, deps, limits, generateAudio);
  registerGenerationTool(server, deps, limits, tts);
  registerListProviders(server, deps);
  registerGetJob(server, deps);
  registerCancelJob(server, deps);
  registerListJobs(server, deps);
}
