/** Reads `obj[key]` from a value of unknown shape (a provider's JSON), or undefined. */
export function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[key] : undefined;
}
