/**
 * The one place that turns jobs, results and errors into MCP tool results: a resource_link per
 * artifact (plus an inline image preview, or small media as is, per MCP_PROVIDERS_INLINE), structuredContent matching
 * GenerationOutputSchema — always with the `job` — and telemetry in _meta.
 */
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import { artifactName, type ArtifactRecord } from '../artifacts/store.js';
import type { JobRecord, JobResult } from '../jobs/job-record.js';
import { ProviderError, toProviderError } from '../providers/errors.js';
import { formatUsd } from '../registry/prices.js';
import { formatBytes } from '../util/format.js';
import { redactSecrets } from '../util/logger.js';
import type { GenerationOutput } from './schemas.js';

export type JobHandle = NonNullable<GenerationOutput['job']>;

/** Bytes shown inline for one artifact: the file itself, or (with `preview`) a small preview of it. */
export interface InlineMedia {
  data: Buffer;
  mimeType: string;
  /** Set when `data` is a downscaled preview: its pixel size. */
  preview?: { width: number; height: number };
}

/** `_meta` key of an inline image that is a preview, naming the artifact it shows. */
export const PREVIEW_META_KEY = 'mcp-providers/preview';

export function jobHandle(job: JobRecord): JobHandle {
  return {
    id: job.id,
    state: job.state,
    ...(job.progress !== undefined ? { progress: job.progress } : {}),
    ...(job.message ? { message: job.message } : {}),
    ...(job.provider ? { provider: job.provider } : {}),
    ...(job.model ? { model: job.model } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.providerCancelled !== undefined ? { providerCancelled: job.providerCancelled } : {}),
    ...(job.error ? { error: { code: job.error.code, message: redactSecrets(job.error.message) } } : {}),
  };
}

/**
 * What a tool answers for a job as it now stands: the full result once it succeeded, the error
 * once it failed, and otherwise a handle telling the agent how to get the result.
 * `inline` holds what to show inline (a preview, or small media as is), by artifact id.
 */
export function toJobResult(job: JobRecord, inline: ReadonlyMap<string, InlineMedia> = new Map()): CallToolResult {
  switch (job.state) {
    case 'succeeded':
      return toGenerationResult(job, job.result!, inline);
    case 'failed':
      return withJob(toErrorResult(new ProviderError(job.error!)), job);
    case 'cancelled':
      return {
        content: [{ type: 'text', text: `Job ${job.id} was cancelled${job.providerCancelled === false && job.providerJob ? `; ${job.providerJob.providerId} offers no cancel, so its job may still finish (and be billed) there` : ''}.` }],
        structuredContent: { job: jobHandle(job) },
      };
    default:
      return {
        content: [{ type: 'text', text: pendingText(job) }],
        structuredContent: { job: jobHandle(job), ...(job.provider ? { provider: job.provider } : {}), ...(job.model ? { model: job.model } : {}) },
      };
  }
}

function pendingText(job: JobRecord): string {
  const where = job.provider ? ` on ${job.provider}${job.model ? `/${job.model}` : ''}` : '';
  const progress = job.progress !== undefined ? `, ${Math.round(job.progress * 100)} % done` : '';
  return (
    `Job ${job.id} is still ${job.state}${where}${progress}${job.message ? ` (${job.message})` : ''}. It keeps running on the server. ` +
    `Call get_job with job_id "${job.id}" (and wait_seconds) to get the result when it is ready, or cancel_job to stop it.`
  );
}

function toGenerationResult(job: JobRecord, g: JobResult, inline: ReadonlyMap<string, InlineMedia>): CallToolResult {
  const structured: GenerationOutput = {
    job: jobHandle(job),
    provider: g.telemetry.providerId,
    model: g.telemetry.model,
    artifacts: g.artifacts.map((r) => ({
      uri: r.uri,
      mimeType: r.mimeType,
      size: r.size,
      sha256: r.sha256,
      ...(r.path ? { path: r.path } : {}),
      ...(r.url ? { url: r.url } : {}),
      ...(r.width ? { width: r.width } : {}),
      ...(r.height ? { height: r.height } : {}),
      ...(r.durationSeconds ? { durationSeconds: r.durationSeconds } : {}),
    })),
    ...(g.text !== undefined ? { text: g.text } : {}),
    ...(g.usage && Object.keys(g.usage).length ? { usage: g.usage } : {}),
    ...(g.warnings?.length ? { warnings: g.warnings } : {}),
    telemetry: {
      latencyMs: g.telemetry.latencyMs,
      attempts: g.telemetry.attempts,
      ...(g.telemetry.requestId ? { requestId: g.telemetry.requestId } : {}),
      ...(g.telemetry.fallbackFrom ? { fallbackFrom: g.telemetry.fallbackFrom } : {}),
    },
    ...(g.saved?.length ? { saved: g.saved } : {}),
  };

  const content: ContentBlock[] = [];
  if (g.text !== undefined) content.push({ type: 'text', text: g.text });
  for (const record of g.artifacts) {
    content.push({
      type: 'resource_link',
      uri: record.uri,
      name: artifactName(record),
      mimeType: record.mimeType,
      size: record.size,
      description: describeArtifact(record),
    });
    const shown = inline.get(record.id);
    if (shown?.preview) {
      content.push({
        type: 'image',
        data: shown.data.toString('base64'),
        mimeType: shown.mimeType,
        _meta: { [PREVIEW_META_KEY]: { of: record.uri, width: shown.preview.width, height: shown.preview.height, size: shown.data.length } },
      });
    } else if (shown && shown.mimeType.startsWith('image/')) content.push({ type: 'image', data: shown.data.toString('base64'), mimeType: shown.mimeType });
    else if (shown && shown.mimeType.startsWith('audio/')) content.push({ type: 'audio', data: shown.data.toString('base64'), mimeType: shown.mimeType });
  }
  const summary = summaryLine(g);
  if (summary) content.push({ type: 'text', text: summary });

  return { content, structuredContent: structured, _meta: { 'mcp-providers/telemetry': { ...g.telemetry } } };
}

export function toErrorResult(err: unknown): CallToolResult {
  const e = err instanceof ProviderError ? err : toProviderError(err);
  const where = e.providerId ? `${e.providerId}: ` : '';
  const status = e.status ? ` (HTTP ${e.status})` : '';
  const request = e.requestId ? ` [request ${e.requestId}]` : '';
  const text = redactSecrets(`${where}${e.code}${status}: ${e.message}${request}`);
  return {
    isError: true,
    content: [{ type: 'text', text }],
    _meta: { 'mcp-providers/error': { code: e.code, retryable: e.retryable, ...(e.providerId ? { providerId: e.providerId } : {}) } },
  };
}

function withJob(result: CallToolResult, job: JobRecord): CallToolResult {
  return { ...result, structuredContent: { job: jobHandle(job) } };
}

function describeArtifact(r: ArtifactRecord): string {
  const parts = [`${r.mimeType}, ${formatBytes(r.size, { fixed: true, largest: 'MiB' })}`];
  if (r.width && r.height) parts.push(`${r.width}×${r.height}`);
  if (r.durationSeconds) parts.push(`${r.durationSeconds.toFixed(1)} s`);
  if (r.path) parts.push(`file: ${r.path}`);
  return parts.join(', ');
}

function summaryLine(g: JobResult): string | undefined {
  const bits = [`${g.telemetry.providerId}/${g.telemetry.model}`, `${g.telemetry.latencyMs} ms`];
  if (g.telemetry.attempts > 1) bits.push(`${g.telemetry.attempts} attempts`);
  if (g.telemetry.fallbackFrom) bits.push(`fell back from ${g.telemetry.fallbackFrom.join(', ')}`);
  if (g.usage?.costUsd !== undefined) bits.push(`${formatUsd(g.usage.costUsd)}${g.usage.costSource ? ` (${g.usage.costSource})` : ''}`);
  else if (g.usage?.costSource === 'unknown') bits.push('cost unknown');
  const warn = g.warnings?.length ? `\nWarnings: ${g.warnings.join(' | ')}` : '';
  const saved = g.saved?.length ? `\nSaved to: ${g.saved.map((s) => s.path).join(', ')}` : '';
  // Text answers already carry the text; the summary is for file-producing tools.
  if (g.text !== undefined && !g.artifacts.length) return saved || warn ? `${saved}${warn}`.trimStart() : undefined;
  const files = g.artifacts.map((a) => a.path ?? a.uri).join('\n');
  return `Generated ${g.artifacts.length} file${g.artifacts.length === 1 ? '' : 's'} (${bits.join(', ')}):\n${files}${saved}${warn}`;
}

