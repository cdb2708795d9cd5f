/** Shared bits of adapter tests: a CallContext and "the ProviderError this call threw". */
import { expect } from 'vitest';
import type { CallContext } from '../../src/providers/base.js';
import { ProviderError } from '../../src/providers/errors.js';
import { createLogger } from '../../src/util/logger.js';

export function makeCtx(overrides: Partial<CallContext> = {}): CallContext {
  return { signal: new AbortController().signal, progress: () => undefined, logger: createLogger('silent'), deadline: Date.now() + 20_000, ...overrides };
}

/** Runs `fn` and returns the ProviderError it threw; fails the test if it threw something else or nothing. */
export async function providerError(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}
