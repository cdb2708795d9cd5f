/**
 * The providers' `models:` catalogs in providers.yaml are read through one parser
 * (providers/errors.ts parseModelEntry): a bad entry fails the adapter's load with the same
 * message everywhere, naming the provider, the model and the key.
 */
import { describe, expect, it } from 'vitest';
import { parseModelCatalog as parseVertexCatalog } from '../../src/providers/google-vertex/models.js';
import { parseModelCatalog as parseHuggingFaceCatalog } from '../../src/providers/huggingface/models.js';

describe('model catalogs', () => {
  it.each([
    ['google-vertex', parseVertexCatalog],
    ['huggingface', parseHuggingFaceCatalog],
  ] as const)('%s: a bad entry names provider, model and key; a good one is kept', (provider, parse) => {
    expect(() => parse({ 'some/model': { capability: 'paint' } })).toThrow(
      expect.objectContaining({ code: 'internal', providerId: provider, message: expect.stringMatching(new RegExp(`^config/providers\\.yaml ${provider}\\.models\\.some/model is invalid: capability: `)) }),
    );
    expect(() => parse({ 'some/model': { capability: 'text', typo_key: 1 } })).toThrow(/is invalid: .*typo_key/);
    expect(parse({ 'some/model': { capability: 'text' } }).get('some/model')).toMatchObject({ capability: 'text' });
  });
});
