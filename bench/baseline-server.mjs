// Optional row of the start-up benchmark (npm run bench -- --v1): the v1 SDK's McpServer
// (@modelcontextprotocol/sdk, what server-everything is built on) with one trivial tool over
// stdio, and nothing else. The main reference is bench/bare-v2-server.mjs.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'baseline', version: '0.0.0' });
server.registerTool('echo', { description: 'Echo', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
await server.connect(new StdioServerTransport());
