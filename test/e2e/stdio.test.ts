/** End-to-end over stdio: the built server, driven by the MCP SDK's own Client, with no credentials. */
import { LoggingMessageNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRiffWave, sha256 } from '../helpers/wav.js';
import { stdioClient, testEnv, type StdioSession } from '../helpers/server-process.js';
import { GENERATION_TOOLS, TOOL_NAMES } from '../helpers/tool-names.js';

const SECRET = 'sk-or-v1-e2e-secret-value-0123456789';
let s: StdioSession;

beforeAll(async () => {
  // A key is set (for a provider whose endpoint is unreachable) to prove its value never shows up.
  s = await stdioClient(testEnv({ OPENROUTER_API_KEY: SECRET, OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1', MCP_PROVIDERS_MAX_ATTEMPTS: '1' }));
});
afterAll(async () => {
  await s?.close();
});


describe('tools/list', () => {
  it('lists exactly the nine tools, each described, every field described, generation tools with an outputSchema', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      const props = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>;
      expect(Object.keys(props).length, tool.name).toBeGreaterThan(0);
      for (const [field, schema] of Object.entries(props)) expect(schema.description, `${tool.name}.${field}`).toBeTruthy();
      expect(tool.outputSchema, tool.name).toBeDefined();
      if (GENERATION_TOOLS.includes(tool.name)) {
        expect(Object.keys(tool.outputSchema!.properties ?? {})).toEqual(
          expect.arrayContaining(['provider', 'model', 'artifacts', 'telemetry', 'usage', 'warnings', 'text']),
        );
      }
    }
  });
});

describe('offline tts with no credentials', () => {
  it('returns a WAV resource_link whose bytes resources/read returns and resources/list lists', async () => {
    const res = (await s.client.callTool({ name: 'tts', arguments: { text: 'Hello from the offline speech provider.' } })) as CallToolResult;
    expect(res.isError).toBeFalsy();
    const sc = res.structuredContent as { provider: string; model: string; artifacts: { uri: string; sha256: string; size: number; mimeType: string; path: string }[]; telemetry: { attempts: number } };
    expect(sc.provider).toBe('local');
    expect(sc.model).toBe('espeak-ng');
    expect(sc.telemetry.attempts).toBe(1);
    const [art] = sc.artifacts;
    expect(art.mimeType).toBe('audio/wav');
    expect(art.size).toBeGreaterThan(10_000);
    expect(art.path).toMatch(/\.wav$/);
    const link = res.content.find((c) => c.type === 'resource_link');
    expect(link).toMatchObject({ type: 'resource_link', uri: art.uri, mimeType: 'audio/wav' });

    const read = await s.client.readResource({ uri: art.uri });
    const blob = Buffer.from((read.contents[0] as { blob: string }).blob, 'base64');
    expect(isRiffWave(blob)).toBe(true);
    expect(blob.length).toBe(art.size);
    expect(sha256(blob)).toBe(art.sha256);

    const list = await s.client.listResources();
    expect(list.resources.map((r) => r.uri)).toContain(art.uri);
    const templates = await s.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('artifact://{id}');
  });

  it('an unknown artifact URI is a clean error', async () => {
    await expect(s.client.readResource({ uri: 'artifact://000000000000000000000' })).rejects.toThrow(/not found/i);
    await expect(s.client.readResource({ uri: 'artifact://../../etc/passwd' })).rejects.toThrow();
  });
});

describe('list_providers', () => {
  it('shows all six with usable, implemented and missing variable names, and no secret value', async () => {
    const res = (await s.client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
    const providers = (res.structuredContent as { providers: Record<string, unknown>[] }).providers;
    expect(providers.map((p) => p.id)).toEqual(['google-vertex', 'openrouter', 'fal', 'replicate', 'huggingface', 'local']);
    const byId = Object.fromEntries(providers.map((p) => [p.id, p]));
    expect(byId.local).toMatchObject({ usable: true, implemented: true, missing: [] });
    expect(byId.openrouter).toMatchObject({ usable: true, implemented: true, configured: true });
    expect(byId.fal).toMatchObject({ usable: false, implemented: true, missing: ['FAL_AI_API_KEY or FAL_KEY'] });
    expect(byId.replicate).toMatchObject({ usable: false, missing: ['REPLICATE_API_TOKEN'] });
    expect(byId.huggingface).toMatchObject({ usable: false, implemented: true, missing: ['HUGGINGFACE_API_TOKEN or HF_TOKEN'] });
    for (const p of providers) expect(p).toHaveProperty('usable');
    expect(JSON.stringify(res)).not.toContain(SECRET);

    const video = (await s.client.callTool({ name: 'list_providers', arguments: { capability: 'video' } })) as CallToolResult;
    expect((video.structuredContent as { providers: { id: string }[] }).providers.map((p) => p.id)).toEqual(['google-vertex', 'fal', 'replicate', 'huggingface']);
  });

  it('a failing provider call reports the error without the key, in the result and in the log', async () => {
    const res = (await s.client.callTool({ name: 'generate_text', arguments: { prompt: 'hi', provider: 'openrouter', fallback: false } })) as CallToolResult;
    expect(res.isError).toBe(true);
    expect(JSON.stringify(res)).toMatch(/openrouter/);
    expect(JSON.stringify(res)).not.toContain(SECRET);
    expect(s.stderr()).toMatch(/"tool":"generate_text"/);
    expect(s.stderr()).not.toContain(SECRET);
  });
});

describe('bad input', () => {
  const cases: [string, string, Record<string, unknown>, RegExp[]][] = [
    ['missing prompt', 'generate_text', {}, [/prompt/]],
    ['mistyped prompt', 'generate_text', { prompt: 42 }, [/prompt/, /string/i]],
    ['empty prompt', 'generate_text', { prompt: '' }, [/prompt/, /must not be empty/]],
    ['blank prompt', 'generate_image', { prompt: '   ' }, [/prompt/, /not only whitespace/]],
    ['count 0', 'generate_image', { prompt: 'a cat', count: 0 }, [/count/, /at least 1/]],
    ['count 1000', 'generate_image', { prompt: 'a cat', count: 1000 }, [/count/, /at most 8/]],
    ['unknown aspect ratio', 'generate_image', { prompt: 'a cat', aspect_ratio: '5:4' }, [/aspect_ratio/, /16:9/]],
    ['unknown provider', 'generate_text', { prompt: 'hi', provider: 'acme' }, [/provider/, /openrouter/]],
    ['provider lacking the capability', 'generate_video', { prompt: 'a wave', provider: 'local' }, [/provider/, /local does not offer video/, /can do video now: none/]],
    ['prompt over the size limit', 'generate_text', { prompt: 'x'.repeat(1_000_001) }, [/prompt/, /at most 1000000 characters/]],
    ['negative speed', 'tts', { text: 'hi', speed: -1 }, [/speed/, /at least 0.25/]],
    ['mistyped fallback', 'tts', { text: 'hi', fallback: 'yes' }, [/fallback/, /boolean/]],
    ['attachment without a scheme we take', 'generate_text', { prompt: 'hi', attachments: [{ uri: 'file:///etc/passwd' }] }, [/attachments/, /https:\/\/, gs:\/\/, data: or artifact:\/\//]],
  ];

  it.each(cases)('%s → isError naming the field and what is allowed', async (_name, tool, args, patterns) => {
    const res = (await s.client.callTool({ name: tool, arguments: args })) as CallToolResult;
    expect(res.isError).toBe(true);
    const text = res.content.map((c) => (c.type === 'text' ? c.text : '')).join(' ');
    for (const p of patterns) expect(text).toMatch(p);
  });

  it('the server keeps serving after all of that', async () => {
    await s.client.ping();
    const res = (await s.client.callTool({ name: 'list_providers', arguments: {} })) as CallToolResult;
    expect(res.isError).toBeFalsy();
  });
});

describe('MCP logging', () => {
  it('sends one log notification per tool call at or above the level the client set', async () => {
    const seen: { level: string; data: unknown }[] = [];
    s.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      seen.push({ level: n.params.level, data: n.params.data });
    });
    await s.client.setLoggingLevel('info');
    await s.client.callTool({ name: 'tts', arguments: { text: 'log me' } });
    expect(seen).toContainEqual({ level: 'info', data: expect.objectContaining({ tool: 'tts', provider: 'local', model: 'espeak-ng', outcome: 'ok', attempts: 1 }) });
    seen.length = 0;
    await s.client.setLoggingLevel('error');
    await s.client.callTool({ name: 'tts', arguments: { text: 'quiet now' } });
    await s.client.callTool({ name: 'tts', arguments: { text: 'hi', speed: 3 } });
    expect(seen).toEqual([]);
  });
});
