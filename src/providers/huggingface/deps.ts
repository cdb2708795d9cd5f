/** What every Hugging Face service shares, and the one wrapper that maps whatever a call throws. */
import type { AdapterEnv, CallContext } from '../base.js';
import type { HfClients } from './client.js';
import { toHfError, type CallTrace } from './errors.js';
import type { ModelCatalog } from './models.js';
import type { ProviderRouter } from './routing.js';

export interface HfDeps {
  env: AdapterEnv;
  clients: HfClients;
  catalog: ModelCatalog;
  router: ProviderRouter;
}

/** Runs one Hugging Face request and maps whatever it throws (the trace supplies headers the client drops). */
export async function hfCall<T>(deps: HfDeps, ctx: CallContext, trace: CallTrace, inferenceProvider: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toHfError(err, { secrets: deps.clients.secrets, trace, signal: ctx.signal, ...(inferenceProvider ? { inferenceProvider } : {}) });
  }
}
