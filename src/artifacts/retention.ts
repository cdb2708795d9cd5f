/**
 * Artifact retention: which stored artifacts go, and the settings that say so. Pure functions;
 * the store (fs-store.ts) runs them against its index and deletes what they pick.
 *
 * Rules, in this order: an artifact older than the maximum age goes; then, while the total size
 * of all indexed artifacts is over the cap, the oldest go first until it fits. An artifact
 * younger than {@link MIN_AGE_MS} never goes: a client was just handed its link and may be
 * reading it. When the young ones alone are over the cap, they stay and every older one goes.
 */
import { formatBytes } from '../util/format.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Artifacts younger than this are never pruned, whatever the rules. */
export const MIN_AGE_MS = HOUR_MS;
/** MCP_PROVIDERS_ARTIFACT_MAX_AGE_DAYS when unset. */
export const DEFAULT_MAX_AGE_DAYS = 30;
/** MCP_PROVIDERS_ARTIFACT_MAX_BYTES when unset: 10 GiB. */
export const DEFAULT_MAX_BYTES = 10 * 1024 ** 3;
/** Pruning after a `put` runs at most this often per store, unless that put took the total over the cap. */
export const DEFAULT_PRUNE_INTERVAL_MS = 60_000;

export interface RetentionOptions {
  /** Artifacts older than this (by their record's `createdAt`) are deleted. Undefined: no age limit. */
  maxAgeMs?: number;
  /** Total size of all artifacts at most; the oldest are deleted first. Undefined: no size limit. */
  maxBytes?: number;
  /** Younger artifacts are never deleted. Undefined: {@link MIN_AGE_MS}; tests may lower it. */
  minAgeMs?: number;
  /** Pruning after a `put` runs at most this often. Undefined: {@link DEFAULT_PRUNE_INTERVAL_MS}. */
  intervalMs?: number;
}

/** What retention needs of an indexed artifact. */
export interface AgedArtifact {
  id: string;
  /** ms since the epoch. */
  createdAt: number;
  size: number;
  /** The media file's name in the folder. */
  file: string;
}

export interface PruneChoice {
  artifact: AgedArtifact;
  reason: 'age' | 'size';
}

/**
 * Picks what to delete from `oldestFirst` (every artifact older than the guard, oldest first),
 * given the total size of all artifacts, young ones included. Reads only as far as it must: the
 * first artifact that breaks neither rule ends the walk, since every later one is younger.
 */
export function choosePrunable(oldestFirst: Iterable<AgedArtifact>, totalBytes: number, rules: RetentionOptions & { now: number }): PruneChoice[] {
  const guard = rules.now - (rules.minAgeMs ?? MIN_AGE_MS);
  const ageCutoff = rules.maxAgeMs === undefined ? -Infinity : rules.now - rules.maxAgeMs;
  const chosen: PruneChoice[] = [];
  let total = totalBytes;
  for (const artifact of oldestFirst) {
    if (artifact.createdAt >= guard) break;
    const reason = artifact.createdAt < ageCutoff ? 'age' : rules.maxBytes !== undefined && total > rules.maxBytes ? 'size' : undefined;
    if (!reason) break;
    chosen.push({ artifact, reason });
    total -= artifact.size;
  }
  return chosen;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * A size as people write it: a plain byte count (`10737418240`), or a number with a unit, decimal
 * (`500MB` = 500·10⁶) or binary (`10GiB` = 10·2³⁰), any case, a space allowed. Undefined when it is
 * none of these.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === undefined ? 1 : UNITS[m[2].toLowerCase()];
  if (unit === undefined || (unit === 1 && !/^\d+$/.test(m[1]))) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** One phrase for `doctor`: "kept 30 days / 10 GiB", "kept 30 days / no size limit", "kept forever". */
export function describeRetention(maxAgeDays: number | undefined, maxBytes: number | undefined): string {
  if (maxAgeDays === undefined && maxBytes === undefined) return 'kept forever (no age or size limit)';
  const age = maxAgeDays === undefined ? 'no age limit' : `${maxAgeDays} day${maxAgeDays === 1 ? '' : 's'}`;
  const size = maxBytes === undefined ? 'no size limit' : formatBytes(maxBytes);
  return `kept ${age} / ${size}`;
}
