/**
 * The voices of local text-to-speech: what espeak-ng can load from its data directory, narrowed
 * to what config/providers.yaml declares (local.models.espeak-ng.voices / voice_variants), and
 * how a request's `voice` and `language` resolve to espeak's `-v` value.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ProviderError, invalidRequest } from '../errors.js';
import { ESPEAK_MODEL, type LocalTtsModel } from './models.js';

const PROVIDER_ID = 'local';

/** The voices espeak-ng can actually load from the data directory. */
export interface VoiceCatalog {
  /** Lower-cased name or language code → the name passed to `-v`. */
  languages: Map<string, string>;
  /** Lower-cased variant name → file name under voices/!v (used as `voice+variant`). */
  variants: Map<string, string>;
}

/**
 * The catalog narrowed to the voices and variants the model declares, so a request can use only
 * what list_providers shows. A declared name espeak-ng cannot load is a configuration error:
 * advertising a voice that then fails would be worse than not offering it.
 */
export function declaredVoices(catalog: VoiceCatalog, model: LocalTtsModel): VoiceCatalog {
  const pick = (available: Map<string, string>, names: readonly string[], key: string): Map<string, string> => {
    const missing = names.filter((n) => !available.has(n.toLowerCase()));
    if (missing.length) {
      throw new ProviderError({
        code: 'internal',
        providerId: PROVIDER_ID,
        message: `config/providers.yaml local.models.${ESPEAK_MODEL}.${key} names what espeak-ng cannot load: ${missing.map((n) => `"${n}"`).join(', ')}.`,
      });
    }
    return new Map(names.map((n) => [n.toLowerCase(), available.get(n.toLowerCase())!]));
  };
  return { languages: pick(catalog.languages, model.voices, 'voices'), variants: pick(catalog.variants, model.voice_variants, 'voice_variants') };
}

/** Path of text2wav's bundled espeak-ng-data. */
export function defaultEspeakDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('text2wav/package.json');
  return path.join(path.dirname(pkg), 'espeak-ng-data');
}

/**
 * Lists voices from espeak-ng-data: every file under lang/ is a voice named after the file
 * (e.g. `en-US`), and its `language` lines add the codes it answers to (e.g. `en-us`, `en`).
 * MBROLA voices (voices/mb) are left out: they need MBROLA databases text2wav does not ship.
 */
export async function loadVoiceCatalog(dataDir: string = defaultEspeakDataDir()): Promise<VoiceCatalog> {
  const languages = new Map<string, string>();
  const langDir = path.join(dataDir, 'lang');
  const entries = await readdir(langDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    languages.set(entry.name.toLowerCase(), entry.name);
    const content = await readFile(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of content.matchAll(/^language\s+(\S+)/gm)) {
      const code = match[1];
      if (code !== undefined && !languages.has(code.toLowerCase())) languages.set(code.toLowerCase(), code);
    }
  }
  if (languages.size === 0) throw new Error(`No espeak-ng voices found under ${langDir}.`);

  const variants = new Map<string, string>();
  for (const entry of await readdir(path.join(dataDir, 'voices', '!v'), { withFileTypes: true })) {
    if (entry.isFile()) variants.set(entry.name.toLowerCase(), entry.name);
  }
  return { languages, variants };
}

function sample(names: Iterable<string>, preferred: readonly string[], count: number): string {
  const all = [...new Set(names)];
  const head = preferred.filter((n) => all.includes(n));
  const rest = all.filter((n) => !head.includes(n)).sort();
  return [...head, ...rest].slice(0, count).join(', ') + (all.length > count ? `, … (${all.length} in total)` : '');
}

function unknownVoice(what: string, catalog: VoiceCatalog): ProviderError {
  const variants = catalog.variants.size
    ? `; optionally add a variant as voice+variant (e.g. en+f3), variants: ${sample(catalog.variants.values(), ['f1', 'f2', 'f3', 'm1', 'm2', 'm3'], 12)}`
    : '';
  return invalidRequest(
    `${what} Use an espeak-ng voice such as ${sample(catalog.languages.keys(), ['en', 'en-us', 'en-gb', 'fr', 'de', 'es', 'it', 'pt', 'ru', 'zh', 'ja'], 16)}` +
      `${variants}. list_providers lists them all (local's models.${ESPEAK_MODEL}.voices).`,
    PROVIDER_ID,
  );
}

/** English when it is offered, else the first voice offered (a user's config may leave English out). */
function defaultLanguage(catalog: VoiceCatalog): string {
  return catalog.languages.has('en') ? 'en' : (catalog.languages.keys().next().value ?? 'en');
}

/**
 * Resolves `voice` / `language` to an espeak `-v` value. `voice` wins; `language` is the
 * voice when none is given. A bare variant (`voice: "f3"`) is applied to the language.
 */
export function resolveVoice(catalog: VoiceCatalog, voice?: string, language?: string): string {
  const norm = (s: string | undefined): string | undefined => {
    const t = s?.trim().replace(/_/g, '-');
    return t ? t : undefined;
  };
  const v = norm(voice);
  const lang = norm(language);
  const lookupLanguage = (name: string, label: string): string => {
    const found = catalog.languages.get(name.toLowerCase());
    if (!found) throw unknownVoice(`Unknown ${label} "${name}".`, catalog);
    return found;
  };

  if (!v) return lookupLanguage(lang ?? defaultLanguage(catalog), 'language');

  const plus = v.indexOf('+');
  let base = plus === -1 ? v : v.slice(0, plus);
  let variantName = plus === -1 ? undefined : v.slice(plus + 1);
  if (variantName === undefined && !catalog.languages.has(base.toLowerCase()) && catalog.variants.has(base.toLowerCase())) {
    variantName = base;
    base = '';
  }
  const resolvedBase = base ? lookupLanguage(base, 'voice') : lookupLanguage(lang ?? defaultLanguage(catalog), 'language');
  if (variantName === undefined) return resolvedBase;
  const variant = catalog.variants.get(variantName.toLowerCase());
  if (!variant) throw unknownVoice(`Unknown voice variant "${variantName}".`, catalog);
  return `${resolvedBase}+${variant}`;
}
