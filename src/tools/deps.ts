import type { InputRequiredResult, ServerContext } from '@modelcontextprotocol/server';
/** What the tools need from the layers below; the core is built once per process by server/core.ts. */
import type { ArtifactStore } from '../artifacts/store.js';
import type { Jobs } from '../jobs/jobs.js';
import type { ServerConfig } from '../registry/config.js';
import type { Registry } from '../registry/registry.js';
import type { Runner } from '../registry/runner.js';
import type { Logger } from '../util/logger.js';

export interface Core {
  config: ServerConfig;
  registry: Registry;
  runner: Runner;
  store: ArtifactStore;
  jobs: Jobs;
  logger: Logger;
  /** Aborted when the process stops serving: calls still running end with a retryable error. */
  shutdownSignal: AbortSignal;
  /** Stops waiting calls and the job layer (accepted provider jobs stay stored, for the next process). */
  shutdown(): Promise<void>;
}

export type ClientLogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** Lowest first, as the MCP spec orders them (RFC 5424 severities). */
export const CLIENT_LOG_LEVELS: readonly ClientLogLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * Per MCP server instance (one per stdio connection, 2025 HTTP session, or 2026 HTTP request):
 * the core plus the level of MCP log notifications the client asked for on this request —
 * undefined when it never asked, and then it gets none.
 */
export interface ToolDeps extends Core {
  clientLogLevel(requestMeta: { envelope?: object } | undefined): ClientLogLevel | undefined;
  /**
   * The folders the client offers as its roots, as local paths — or, on 2026-07-28, the
   * input_required result that asks the client for them. Undefined when the client offers none,
   * or when its roots are not folders on this machine (HTTP beyond loopback). The server layer decides.
   */
  clientRoots?(ctx: ServerContext): Promise<string[] | InputRequiredResult | undefined>;
  /** Why this server does not write into the client's roots (HTTP beyond loopback, or without a token); save_to then uses MCP_PROVIDERS_OUTPUT_DIRS only. */
  clientRootsRefused?: string;
  /** Whether a generation tool may be called as an MCP task (2025-11-25 `execution.taskSupport`); the server layer decides. */
  taskSupport?(tool: string): 'optional' | undefined;
}
