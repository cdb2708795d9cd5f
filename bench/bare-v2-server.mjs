// Bare v2 reference for the start-up benchmark: the v2 SDK's McpServer with one trivial tool,
// served over stdio by serveStdio (which answers both a 2025-era initialize and a 2026-era
// opening), and nothing else. mcp-providers is measured against this in the same run.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'bare-v2', version: '0.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'echo',
    { description: 'Echo the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
});
