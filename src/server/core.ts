/**
 * The process-wide parts: config, registry, runner, artifact store, logger. Built once;
 * every MCP session (stdio has one, HTTP many) shares them.
 */
import { FsArtifactStore } from '../artifacts/fs-store.js';
import { DAY_MS } from '../artifacts/retention.js';
import { Jobs } from '../jobs/jobs.js';
import { lazySqliteJobStore } from '../jobs/sqlite-job-store.js';
import { parseArtifactUri } from '../artifacts/store.js';
import type { ProviderInfo } from '../providers/base.js';
import { invalidRequest } from '../providers/errors.js';
import { PROVIDER_MODULES } from '../providers/index.js';
import { loadConfig, type ServerConfig } from '../registry/config.js';
import { modelLimits, Pricing } from '../registry/cost.js';
import { Registry, type ModuleLoader } from '../registry/registry.js';
import { Runner } from '../registry/runner.js';
import { shutdownTracing, startTracing } from '../telemetry/tracing.js';
import type { Core } from '../tools/deps.js';
import { fetchPolicy } from '../util/guarded-fetch.js';
import { createLogger, type Logger } from '../util/logger.js';
import { PACKAGE } from '../util/package.js';

export interface CoreOptions {
  config?: ServerConfig;
  logger?: Logger;
  /** Builds a download URL for an artifact id (HTTP mode). */
  artifactUrl?: (id: string) => string | undefined;
  /** Provider modules; tests can swap in fakes. */
  modules?: ModuleLoader;
}

export function createCore(opts: CoreOptions = {}): Core {
  const config = opts.config ?? loadConfig();
  const logger = opts.logger ?? createLogger(config.logLevel);
  // OpenTelemetry loads (in the background) only when the OTEL_* variables ask for traces.
  void startTracing(config.env, { logger, serviceVersion: PACKAGE.version });
  // Provider file URLs may come from the configured base URLs (emulators, proxies) over http; anything else must be public https.
  const policy = { ...fetchPolicy(config.env, config.providers.map((p) => p.baseUrl)), allowHosts: config.fetchAllowHosts };
  const store = new FsArtifactStore({
    dir: config.artifactDir,
    urlFor: opts.artifactUrl,
    sweepAgeMs: config.sweepAgeMs,
    logger,
    fetchPolicy: policy,
    maxDownloadBytes: config.maxDownloadBytes,
    downloadTimeoutMs: config.downloadTimeoutMs,
    retention: { maxAgeMs: config.artifactMaxAgeDays === undefined ? undefined : config.artifactMaxAgeDays * DAY_MS, maxBytes: config.artifactMaxBytes },
  });
  const adapterEnv = (info: ProviderInfo) => ({
    info,
    env: config.env,
    appName: PACKAGE.name,
    appUrl: PACKAGE.homepage,
    async resolveArtifact(uri: string) {
      const id = parseArtifactUri(uri);
      const found = id ? await store.read(id) : undefined;
      if (!found) throw invalidRequest(`attachment ${uri} is not an artifact this server holds; list them with resources/list`);
      return { data: new Uint8Array(found.data), mimeType: found.record.mimeType };
    },
  });
  const pricing = new Pricing(config.prices, (id, model) => modelLimits(config.providers.find((p) => p.id === id)?.models[model]));
  const registry = new Registry(config.providers, opts.modules ?? PROVIDER_MODULES, config.env, config.defaults, adapterEnv, pricing);
  const runner = new Runner(registry, config.retry);
  const jobs = new Jobs({ store: lazySqliteJobStore(config.jobDbPath), runner, artifacts: store, logger, jobTimeoutMs: config.callTimeoutMs, leaseMs: config.jobLeaseMs, dailyBudgetUsd: config.dailyBudgetUsd });
  const stopping = new AbortController();
  return {
    config,
    registry,
    runner,
    store,
    jobs,
    logger,
    shutdownSignal: stopping.signal,
    shutdown: async () => {
      stopping.abort();
      await jobs.stop();
      // Reopened if anything reads artifacts after (tests do); closing checkpoints the WAL.
      store.close();
      // After the jobs: the spans of calls the stop ended are exported too.
      await shutdownTracing();
    },
  };
}
