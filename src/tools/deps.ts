/** What the tools need from the layers below; the core is built once per process by server/core.ts. */
import type { ArtifactStore } from '../artifacts/store.js';
import type { ServerConfig } from '../registry/config.js';
import type { Registry } from '../registry/registry.js';
import type { Runner } from '../registry/runner.js';
import type { Logger } from '../util/logger.js';

export interface Core {
  config: ServerConfig;
  registry: Registry;
  runner: Runner;
  store: ArtifactStore;
  logger: Logger;
}

export type ClientLogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/** Per MCP session: the core plus whether the client wants a log message of this level. */
export interface ToolDeps extends Core {
  wantsClientLog(level: ClientLogLevel): boolean;
}
