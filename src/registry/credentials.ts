/**
 * Whether a credential requirement is met. Most are env vars; a few are probes for
 * credentials that live outside the environment (Google's Application Default
 * Credentials from `gcloud auth application-default login`, or a metadata server).
 * Only presence is checked — never a value, and nothing is printed.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CredentialMode, Requirement } from '../providers/base.js';
import type { Env } from './config.js';

interface Probe {
  /** How the requirement is named to people. */
  label: string;
  met(env: Env): boolean;
}

const PROBES: Record<string, Probe> = {
  'adc:gcloud': {
    label: 'gcloud ADC (gcloud auth application-default login)',
    met: (env) => existsSync(join(env.CLOUDSDK_CONFIG || join(env.HOME || homedir(), '.config', 'gcloud'), 'application_default_credentials.json')),
  },
  'adc:metadata': {
    label: 'a GCP metadata server (GCE_METADATA_HOST, or running on Google Cloud)',
    // Cloud Run, Cloud Functions, App Engine and GKE announce themselves in the environment.
    met: (env) => !!(env.GCE_METADATA_HOST || env.GCE_METADATA_IP || env.K_SERVICE || env.FUNCTION_TARGET || env.GAE_ENV),
  },
};

export function isProbe(name: string): boolean {
  return name in PROBES;
}

function met(name: string, env: Env): boolean {
  const probe = PROBES[name];
  return probe ? probe.met(env) : !!env[name];
}

/** Each unmet requirement, its alternatives joined with " or ". */
export function unmet(requires: Requirement[], env: Env): string[] {
  return requires.filter((alts) => !alts.some((k) => met(k, env))).map((alts) => alts.map((k) => PROBES[k]?.label ?? k).join(' or '));
}

/** The first mode fully met (or "none needed"), and otherwise what each mode still misses. */
export function credentialStatus(modes: CredentialMode[], env: Env): { mode?: string; missing: string[] } {
  if (!modes.length) return { mode: 'none needed', missing: [] };
  const found = modes.find((m) => unmet(m.requires, env).length === 0);
  if (found) return { mode: found.name, missing: [] };
  if (modes.length === 1) return { missing: unmet(modes[0].requires, env) };
  return { missing: modes.map((m) => `${unmet(m.requires, env).join(' and ')} (${m.name})`) };
}

/** Whether the user set any of a provider's credential variables (which turns a third-party provider on). */
export function anyVariableSet(modes: CredentialMode[], env: Env): boolean {
  return modes.some((m) => m.requires.some((alts) => alts.some((k) => !isProbe(k) && !!env[k])));
}
