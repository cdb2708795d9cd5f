/**
 * Tool schemas are portable JSON Schema 2020-12: each compiles with a 2020-12 validator, none
 * names draft-07, and no sub-schema is a bare `{}` that accepts anything without saying so
 * (the MCP Inspector's --strict check flags those).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessClient, testCore } from '../helpers/in-process.js';
import { TOOL_NAMES } from '../helpers/tool-names.js';

type Schema = Record<string, unknown>;

/** Keywords that constrain a value; a sub-schema with none of them accepts anything. */
const VALIDATION_KEYWORDS = new Set([
  'type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', '$ref', 'if', 'properties', 'items', 'prefixItems', 'required',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'format',
  'minItems', 'maxItems', 'uniqueItems', 'contains', 'minProperties', 'maxProperties', 'additionalProperties', 'propertyNames',
]);
/** Where sub-schemas sit, and whether the keyword holds one schema, a list, or a map of them. */
const SUBSCHEMA_KEYWORDS: Record<string, 'one' | 'list' | 'map'> = {
  properties: 'map', $defs: 'map', patternProperties: 'map', items: 'one', additionalProperties: 'one', propertyNames: 'one',
  not: 'one', contains: 'one', anyOf: 'list', oneOf: 'list', allOf: 'list', prefixItems: 'list',
};

/** Paths of every sub-schema (the root included) that has no validation keyword. */
export function unconstrained(schema: Schema, path = '#'): string[] {
  const here = Object.keys(schema).some((k) => VALIDATION_KEYWORDS.has(k)) ? [] : [path];
  const below = Object.entries(SUBSCHEMA_KEYWORDS).flatMap(([key, kind]) => {
    const value = schema[key];
    if (value === undefined || typeof value === 'boolean') return [];
    if (kind === 'one') return unconstrained(value as Schema, `${path}/${key}`);
    if (kind === 'list') return (value as Schema[]).flatMap((s, i) => unconstrained(s, `${path}/${key}/${i}`));
    return Object.entries(value as Record<string, Schema>).flatMap(([name, s]) => unconstrained(s, `${path}/${key}/${name}`));
  });
  return [...here, ...below];
}

describe.each(['2025-11-25', '2026-07-28'] as const)('tool schemas at %s', (revision) => {
  let tools: { name: string; inputSchema: Schema; outputSchema?: Schema }[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    const c = await inProcessClient(testCore(), revision);
    close = c.close;
    tools = (await c.client.listTools()).tools as typeof tools;
  });
  afterAll(() => close?.());

  it('has the nine tools, each with an input and an output schema', () => {
    expect(tools.map((t) => t.name)).toEqual(TOOL_NAMES);
    for (const t of tools) expect(t.outputSchema, t.name).toBeDefined();
  });

  it('compiles every schema as JSON Schema 2020-12, none naming draft-07', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
    ajv.addKeyword('x-mcp-header');
    for (const t of tools) {
      for (const [which, schema] of [['input', t.inputSchema], ['output', t.outputSchema!]] as const) {
        expect(JSON.stringify(schema), `${t.name} ${which}`).not.toContain('draft-07');
        expect(schema.$schema === undefined || schema.$schema === 'https://json-schema.org/draft/2020-12/schema', `${t.name} ${which}`).toBe(true);
        expect(() => ajv.compile(schema), `${t.name} ${which}`).not.toThrow();
      }
    }
  });

  it('leaves no sub-schema without a validation keyword', () => {
    for (const t of tools) {
      expect(unconstrained(t.inputSchema), `${t.name} input`).toEqual([]);
      expect(unconstrained(t.outputSchema!), `${t.name} output`).toEqual([]);
    }
  });

  it('the check itself catches a bare {} (the old `extra` schema)', () => {
    expect(unconstrained({ type: 'object', properties: { extra: { type: 'object', additionalProperties: {} } } })).toEqual(['#/properties/extra/additionalProperties']);
  });
});
