/** One McpServer per MCP session: the six tools, artifact resources and logging. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { registerTools } from '../tools/index.js';
import type { Core } from '../tools/deps.js';
import { PACKAGE } from '../util/package.js';
import { registerArtifactResources } from './resources.js';

const INSTRUCTIONS =
  'Generation tools for text, images, video, music and speech, routed to whichever provider is ready ' +
  '(call list_providers to see which, and what is missing). Generated files come back as resource links ' +
  '(artifact:// URIs with a file path); read one with resources/read only when you need its bytes.';

export function createServer(core: Core): McpServer {
  const server = new McpServer(
    { name: PACKAGE.name, version: PACKAGE.version, title: 'AI generation providers' },
    { capabilities: { logging: {}, tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );

  // The client's chosen log level for this session (logging/setLevel).
  const severity = LoggingLevelSchema.options;
  let clientLevel: LoggingLevel = 'info';
  server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    clientLevel = request.params.level;
    return {};
  });

  registerTools(server, {
    ...core,
    wantsClientLog: (level) => severity.indexOf(level) >= severity.indexOf(clientLevel),
  });
  registerArtifactResources(server, core.store);
  return server;
}
