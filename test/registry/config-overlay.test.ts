/** MCP_PROVIDERS_CONFIG: the user's YAML laid over the packaged config/providers.yaml, in process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, readProvidersDocument } from '../../src/registry/config.js';

const dir = mkdtempSync(join(tmpdir(), 'user-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function userFile(text: string): string {
  const file = join(dir, `my-${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}
const byId = (env: Record<string, string>) => Object.fromEntries(loadConfig(env).providers.map((p) => [p.id, p]));

describe('MCP_PROVIDERS_CONFIG', () => {
  it('without it nothing changes, and only the packaged file is read', () => {
    const config = loadConfig({});
    expect(config.providers.map((p) => p.id)).toEqual(['google-vertex', 'openrouter', 'fal', 'replicate', 'huggingface', 'local']);
    expect(config.configFiles).toHaveLength(1);
    expect(config.configFiles[0]).toMatch(/(dist\/providers\.json|config\/providers\.yaml)$/);
    expect(loadConfig({ MCP_PROVIDERS_CONFIG: '' }).configFiles).toEqual(config.configFiles);
  });

  it('changes a priority, a default model and enabling, and lists the file it read', () => {
    const file = userFile(
      ['providers:', '  openrouter:', '    priority: 5', '    enabled_by_default: true', '  google-vertex:', '    default_models:', '      text: gemini-2.5-pro', ''].join('\n'),
    );
    const config = loadConfig({ MCP_PROVIDERS_CONFIG: file });
    expect(config.providers.map((p) => p.id).slice(0, 2)).toEqual(['openrouter', 'google-vertex']);
    const p = Object.fromEntries(config.providers.map((x) => [x.id, x]));
    expect(p.openrouter.priority).toBe(5);
    expect(p.openrouter.enabledByDefault).toBe(true);
    expect(p['google-vertex'].defaultModels.text).toBe('gemini-2.5-pro');
    expect(config.configFiles).toHaveLength(2);
    expect(config.configFiles[1]).toBe(file);
  });

  it('deep-merges: changing one limit of one model keeps the other limits and the other models', () => {
    const packaged = readProvidersDocument().providers['google-vertex'];
    const file = userFile('providers:\n  google-vertex:\n    models:\n      gemini-2.5-flash-image: { max_count: 2 }\n');
    const vertex = byId({ MCP_PROVIDERS_CONFIG: file })['google-vertex'];
    expect(Object.keys(vertex.models)).toEqual(Object.keys(packaged.models!));
    expect(vertex.models['gemini-2.5-flash-image']).toEqual({ ...packaged.models!['gemini-2.5-flash-image'], max_count: 2 });
    expect(vertex.defaultModels).toEqual(packaged.default_models);
    expect(vertex.capabilities).toEqual(packaged.capabilities);
  });

  it('arrays replace rather than append, and a new model may be added', () => {
    const file = userFile(
      'providers:\n  google-vertex:\n    models:\n      gemini-2.5-flash-image: { aspect_ratios: ["1:1"] }\n      my-tuned-model: { capability: text }\n',
    );
    const vertex = byId({ MCP_PROVIDERS_CONFIG: file })['google-vertex'];
    expect(vertex.models['gemini-2.5-flash-image'].aspect_ratios).toEqual(['1:1']);
    expect(vertex.models['my-tuned-model']).toEqual({ capability: 'text' });
  });

  it('env overrides still win over the file', () => {
    const file = userFile('providers:\n  openrouter: { priority: 5, default_models: { text: a/b } }\n');
    const p = byId({ MCP_PROVIDERS_CONFIG: file, OPENROUTER_PRIORITY: '50', OPENROUTER_TEXT_MODEL: 'c/d' }).openrouter;
    expect(p.priority).toBe(50);
    expect(p.defaultModels.text).toBe('c/d');
  });

  it('an empty file changes nothing', () => {
    const file = userFile('# nothing yet\n');
    expect(loadConfig({ MCP_PROVIDERS_CONFIG: file }).providers).toEqual(loadConfig({}).providers);
  });

  it('a wrong type is an error naming the file and the key path', () => {
    const file = userFile('providers:\n  fal:\n    priority: high\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: file })).toThrow(`${file}: providers.fal.priority: expected number, received string`);
    const nested = userFile('providers:\n  google-vertex:\n    capabilities: [text, smell]\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: nested })).toThrow(new RegExp(`^${nested}: providers\\.google-vertex\\.capabilities\\.1: `));
  });

  it('a missing file is an error naming the path', () => {
    const file = join(dir, 'nope.yaml');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: file })).toThrow(`MCP_PROVIDERS_CONFIG names ${file}, which does not exist`);
  });

  it('an unknown provider id is an error naming the known ids', () => {
    const file = userFile('providers:\n  googel-vertex: { priority: 1 }\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: file })).toThrow(
      `${file}: providers.googel-vertex: unknown provider; known: google-vertex, openrouter, fal, replicate, huggingface, local`,
    );
  });

  it('an unknown key (a typo) is an error, not silently dropped', () => {
    const file = userFile('providers:\n  fal: { priorty: 1 }\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: file })).toThrow(new RegExp(`^${file}: providers\\.fal\\.priorty: unknown key; expected one of display_name, priority`));
    const top = userFile('provider:\n  fal: { priority: 1 }\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: top })).toThrow(`${top}: provider: unknown key; expected \`providers\``);
  });

  it('bad YAML and a non-mapping are errors naming the file', () => {
    const bad = userFile('providers:\n  fal: { priority: 1\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: bad })).toThrow(new RegExp(`^${bad}: not valid YAML: `));
    const list = userFile('- fal\n');
    expect(() => loadConfig({ MCP_PROVIDERS_CONFIG: list })).toThrow(`${list}: expected a mapping with a \`providers:\` key`);
  });
});
