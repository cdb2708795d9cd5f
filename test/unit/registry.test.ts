import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProviderInfos, parseDefaults, parseProvidersYaml, PROVIDERS_JSON, PROVIDERS_YAML, providersJson, readProvidersDocument } from '../../src/registry/config.js';
import { Registry } from '../../src/registry/registry.js';
import { ProviderError } from '../../src/providers/errors.js';
import { PROVIDER_MODULES } from '../../src/providers/index.js';
import { fakeProvider, info } from '../helpers/fake-provider.js';

const noAdapters = () => {
  throw new Error('not used');
};

function registryFor(env: Record<string, string>, defaults = {}) {
  const infos = loadProviderInfos(env);
  const modules = { openrouter: fakeProvider('openrouter', [{ ok: 'x' }]).module, local: fakeProvider('local', [{ ok: 'y' }]).module };
  return new Registry(infos, modules, env, defaults, noAdapters);
}

describe('provider metadata', () => {
  it('lists all six providers from config/providers.yaml in priority order', () => {
    const ids = loadProviderInfos({}).map((p) => p.id);
    expect(ids).toEqual(['google-vertex', 'openrouter', 'fal', 'replicate', 'huggingface', 'local']);
  });

  it('applies base URL, priority and model overrides from env', () => {
    const p = loadProviderInfos({ OPENROUTER_BASE_URL: 'http://127.0.0.1:9/api/v1', OPENROUTER_PRIORITY: '1', OPENROUTER_TEXT_MODEL: 'x/y' });
    expect(p[0].id).toBe('openrouter');
    expect(p[0].baseUrl).toBe('http://127.0.0.1:9/api/v1');
    expect(p[0].defaultModels.text).toBe('x/y');
  });

  it.runIf(existsSync(PROVIDERS_JSON))("the build's dist/providers.json is config/providers.yaml, validated", () => {
    const yaml = readFileSync(PROVIDERS_YAML, 'utf8');
    expect(readFileSync(PROVIDERS_JSON, 'utf8')).toBe(providersJson(yaml));
    expect(readProvidersDocument()).toEqual(parseProvidersYaml(yaml));
  });

  it('reads the JSON copy only when it was made from the YAML as it is now, and validates either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'providers-doc-'));
    const provider = (name: string) => `providers:\n  ${name}: { display_name: ${name}, priority: 1, enabled_by_default: true, implemented: true, capabilities: [text], default_models: {} }\n`;
    const yaml = join(dir, 'providers.yaml');
    const json = join(dir, 'providers.json');
    const ids = () => Object.keys(readProvidersDocument(yaml, json).providers);
    try {
      writeFileSync(yaml, provider('from-yaml'));
      expect(ids()).toEqual(['from-yaml']); // no JSON
      // A JSON copy made from this very YAML text (the hash matches) is what is read; here its document differs, to tell.
      writeFileSync(json, JSON.stringify({ ...JSON.parse(providersJson(provider('from-yaml'))), document: parseProvidersYaml(provider('from-json')) }));
      expect(ids()).toEqual(['from-json']);
      writeFileSync(yaml, provider('edited'));
      expect(ids()).toEqual(['edited']); // the YAML changed since the build
      writeFileSync(json, JSON.stringify({ ...JSON.parse(providersJson(provider('edited'))), document: { providers: { edited: { display_name: 'x' } } } }));
      expect(() => ids()).toThrow(/priority/);
      expect(() => providersJson(provider('x').replace('default_models: {}', 'default_models: {}, models: { m: { max: .inf } }'))).toThrow(/JSON cannot represent/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses PROVIDER_DEFAULTS_JSON and explains bad values', () => {
    expect(parseDefaults('{"image":"fal","text":{"provider":"openrouter","model":"a/b"}}')).toEqual({
      image: { provider: 'fal' },
      text: { provider: 'openrouter', model: 'a/b' },
    });
    expect(() => parseDefaults('{nope')).toThrow(/not valid JSON/);
    expect(() => parseDefaults('{"paint":"fal"}')).toThrow(/PROVIDER_DEFAULTS_JSON/);
  });
});

describe('status', () => {
  it('names missing variables and never their values', () => {
    const r = registryFor({ ENABLE_PROVIDER_OPENROUTER: 'true' });
    const or = r.list().find((p) => p.id === 'openrouter')!;
    expect(or).toMatchObject({ enabled: true, configured: false, usable: false, missing: ['OPENROUTER_API_KEY'] });
    const secret = 'sk-or-v1-verysecretvalue';
    const withKey = registryFor({ OPENROUTER_API_KEY: secret });
    const status = withKey.list();
    expect(status.find((p) => p.id === 'openrouter')).toMatchObject({ enabled: true, configured: true, usable: true, missing: [] });
    expect(JSON.stringify(status)).not.toContain(secret);
  });

  it('a key alone enables a third-party provider; an explicit false flag disables it', () => {
    expect(registryFor({ OPENROUTER_API_KEY: 'k' }).status(registryFor({}).get('openrouter')!).enabled).toBe(true);
    const off = registryFor({ OPENROUTER_API_KEY: 'k', ENABLE_PROVIDER_OPENROUTER: 'false' });
    expect(off.status(off.get('openrouter')!).usable).toBe(false);
  });

  it('providers without an adapter are listed but not usable, even with keys', () => {
    // registryFor's module map holds openrouter and local only, so fal has no adapter there.
    const r = registryFor({ FAL_KEY: 'k', ENABLE_PROVIDER_FAL: 'true' });
    expect(r.status(r.get('fal')!)).toMatchObject({ implemented: false, configured: true, usable: false });
  });

  it('fal is built: with the real module map and either key variable it is implemented and usable', () => {
    for (const env of [{ FAL_AI_API_KEY: 'k' }, { FAL_KEY: 'k' }]) {
      const r = new Registry(loadProviderInfos(env), PROVIDER_MODULES, env, {}, noAdapters);
      expect(r.status(r.get('fal')!)).toMatchObject({ implemented: true, enabled: true, configured: true, usable: true, missing: [] });
    }
    const none = new Registry(loadProviderInfos({}), PROVIDER_MODULES, {}, {}, noAdapters);
    expect(none.status(none.get('fal')!)).toMatchObject({ implemented: true, configured: false, usable: false, missing: ['FAL_AI_API_KEY or FAL_KEY'] });
  });

  it('huggingface is built: five capabilities; either token variable enables it; without one it names both', () => {
    for (const env of [{ HUGGINGFACE_API_TOKEN: 'hf_k' }, { HF_TOKEN: 'hf_k' }]) {
      const r = new Registry(loadProviderInfos(env), PROVIDER_MODULES, env, {}, noAdapters);
      expect(r.status(r.get('huggingface')!)).toMatchObject({ implemented: true, enabled: true, configured: true, usable: true, missing: [], capabilities: ['text', 'image', 'video', 'audio', 'tts'] });
    }
    const none = new Registry(loadProviderInfos({}), PROVIDER_MODULES, {}, {}, noAdapters);
    expect(none.status(none.get('huggingface')!)).toMatchObject({ implemented: true, enabled: false, configured: false, usable: false, missing: ['HUGGINGFACE_API_TOKEN or HF_TOKEN'] });
  });

  it('local is usable with no credentials; its text capability names LOCAL_OPENAI_BASE_URL', () => {
    const s = registryFor({}).list().find((p) => p.id === 'local')!;
    expect(s.usable).toBe(true);
    expect(s.missingByCapability).toEqual({ text: ['LOCAL_OPENAI_BASE_URL'] });
  });
});

describe('plan', () => {
  it('picks the usable provider with the best priority, then the others when fallback is on', () => {
    const r = registryFor({ OPENROUTER_API_KEY: 'k', LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    expect(r.plan('text', { fallback: true }).map((c) => c.info.id)).toEqual(['openrouter', 'local']);
    expect(r.plan('text', { fallback: false }).map((c) => c.info.id)).toEqual(['openrouter']);
  });

  it("keeps the caller's model for the named provider only", () => {
    const r = registryFor({ OPENROUTER_API_KEY: 'k', LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    const plan = r.plan('text', { provider: 'openrouter', model: 'anthropic/claude-sonnet-4', fallback: true });
    expect(plan.map((c) => [c.info.id, c.model, c.modelSource])).toEqual([
      ['openrouter', 'anthropic/claude-sonnet-4', 'caller'],
      ['local', 'llama3.2', 'provider-default'],
    ]);
  });

  it('honours PROVIDER_DEFAULTS_JSON', () => {
    const r = registryFor({ OPENROUTER_API_KEY: 'k', LOCAL_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }, { text: { provider: 'local', model: 'qwen3' } });
    expect(r.plan('text', { fallback: true }).map((c) => [c.info.id, c.model])).toEqual([
      ['local', 'qwen3'],
      ['openrouter', 'openai/gpt-4o-mini'],
    ]);
  });

  it('explains an unknown provider, a missing capability and a provider that is not ready', () => {
    const r = registryFor({});
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as ProviderError;
      }
      throw new Error('expected a throw');
    };
    expect(err(() => r.plan('text', { provider: 'nope', fallback: true }))).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/unknown provider "nope"; known: google-vertex, openrouter/) });
    expect(err(() => r.plan('video', { provider: 'local', fallback: true })).message).toMatch(/local does not offer video/);
    // Without its key a third-party provider is off too; the one action is the key, which turns it on.
    expect(err(() => r.plan('text', { provider: 'openrouter', fallback: true })).message).toMatch(/openrouter is missing OPENROUTER_API_KEY/);
    expect(err(() => r.plan('video', { fallback: true }))).toMatchObject({ code: 'unsupported', message: expect.stringMatching(/No provider can do video/) });
  });

  it('says, one line per provider, the one action that would make it usable — never a flag that leads to a second error', () => {
    const message = (() => {
      try {
        const env = { ENABLE_PROVIDER_FAL: 'false', FAL_KEY: 'k', HOME: '/nonexistent' };
        new Registry(loadProviderInfos(env), PROVIDER_MODULES, env, {}, noAdapters).plan('image', { fallback: true });
      } catch (e) {
        return (e as ProviderError).message;
      }
      throw new Error('expected a throw');
    })();
    const lines = message.split('\n');
    expect(lines[0]).toBe('No provider can do image right now. Any one of these makes one usable:');
    expect(lines.find((l) => l.startsWith('- google-vertex: '))).toMatch(/^- google-vertex: set GOOGLE_API_KEY \(API key, Vertex express mode\) — or GOOGLE_CLOUD_PROJECT and .*\(Application Default Credentials\)$/);
    expect(lines).toContain('- openrouter: set OPENROUTER_API_KEY');
    expect(lines).toContain('- fal: set ENABLE_PROVIDER_FAL=true (it is turned off)');
    expect(message).not.toMatch(/ENABLE_PROVIDER_OPENROUTER/);
    // local offers no image: no line for it.
    expect(message).not.toMatch(/- local/);
  });

  it('loads an adapter only when asked, once', async () => {
    let loads = 0;
    const r = new Registry([info('a', 1)], { a: async () => ({ id: 'a', load: async () => (loads++, {}) }) }, {}, {}, () => ({}) as never);
    expect(loads).toBe(0);
    await Promise.all([r.adapter(r.get('a')!), r.adapter(r.get('a')!)]);
    expect(loads).toBe(1);
  });
});

describe('credential modes (google-vertex)', () => {
  const vertex = (env: Record<string, string>) => {
    const r = registryFor(env);
    return r.status(r.get('google-vertex')!);
  };

  it('with neither an API key nor ADC, names what each way of authenticating needs', () => {
    const s = vertex({ HOME: '/nonexistent' });
    expect(s.configured).toBe(false);
    expect(s.missing).toEqual([
      'GOOGLE_API_KEY (API key, Vertex express mode)',
      expect.stringMatching(/^GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS or gcloud ADC .* or a GCP metadata server .*\(Application Default Credentials\)$/),
    ]);
  });

  it('an API key alone, or a project with ADC, configures it', () => {
    expect(vertex({ HOME: '/nonexistent', GOOGLE_API_KEY: 'k' })).toMatchObject({ configured: true, credentialMode: 'API key, Vertex express mode' });
    expect(vertex({ HOME: '/nonexistent', GOOGLE_CLOUD_PROJECT: 'p', GOOGLE_APPLICATION_CREDENTIALS: '/x.json' })).toMatchObject({
      configured: true,
      credentialMode: 'Application Default Credentials',
    });
    expect(vertex({ HOME: '/nonexistent', GOOGLE_CLOUD_PROJECT: 'p', GCE_METADATA_HOST: '127.0.0.1:1' }).configured).toBe(true);
    expect(vertex({ HOME: '/nonexistent', GOOGLE_CLOUD_PROJECT: 'p' }).missing[1]).toMatch(/^GOOGLE_APPLICATION_CREDENTIALS or gcloud ADC/);
  });
});
