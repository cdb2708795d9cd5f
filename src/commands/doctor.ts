/**
 * `mcp-providers doctor`: each provider's state in the terminal, one block per provider, wrapped
 * to 100 columns (long credential hints wrap instead of widening a table), then what calls have
 * cost (from the job store, when there is one); `--json` prints the same facts for scripts. Names
 * variables, never values.
 */
import { describeRetention } from '../artifacts/retention.js';
import type { ServerConfig } from '../registry/config.js';
import type { ProviderStatus } from '../registry/registry.js';
import { createCore } from '../server/core.js';
import { hasSpend, providerSpend, providerSpendText, spendLine, spendSummary } from '../tools/list-providers.js';

const WIDTH = 100;

export async function runDoctor(config: ServerConfig, opts: { json?: boolean } = {}): Promise<number> {
  // Status reads only metadata and the environment: no adapter (and no SDK) loads.
  const { registry, jobs } = createCore({ config });
  const providers = registry.list();
  const usable = providers.filter((p) => p.usable).length;
  // An existing job store is read; without one there is no spend, and none is created.
  const report = await jobs.spend();
  const spend = {
    ...spendSummary(report, config),
    providers: Object.fromEntries(providers.map((p) => [p.id, providerSpend(report, p.id)] as const).filter(([, s]) => hasSpend(s))),
  };
  if (opts.json) {
    const out = { providers, usable, spend, configuration: config.configFiles, artifactDir: config.artifactDir };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const lines = providers.flatMap((p) => [...block(p, (cap) => registry.action(registry.get(p.id)!, cap)), '']);
  // A path gets a line of its own, so it wraps only when it alone is over 100 columns.
  lines.push('Configuration read from:', ...config.configFiles.flatMap((f) => wrap(f, '  ')), 'Artifacts are stored in:', ...wrap(config.artifactDir, '  '));
  lines.push(...wrap(`${describeRetention(config.artifactMaxAgeDays, config.artifactMaxBytes)}, the last hour's are always kept`, '  '));
  lines.push(...wrap(spendLine(spend), ''));
  for (const [id, s] of Object.entries(spend.providers)) {
    lines.push(...wrap(`${id}: ${providerSpendText(s)}`, '  '));
  }
  lines.push(`${usable} of ${providers.length} providers usable.`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function block(p: ProviderStatus, action: (capability: ProviderStatus['capabilities'][number]) => string | undefined): string[] {
  const state = p.usable ? `usable${p.credentialMode ? ` (${p.credentialMode})` : ''}` : 'not usable';
  const todo = p.usable ? undefined : p.capabilities.map(action).find(Boolean);
  const capabilities = p.capabilities.map((c) => (p.missingByCapability?.[c] ? `${c} (needs ${p.missingByCapability[c]!.join(', ')})` : c)).join(', ');
  const models = Object.entries(p.defaultModels).map(([c, m]) => `${c} ${m}`).join('; ');
  return [
    ...wrap(`${p.id} — ${state}; ${p.enabled ? 'on' : `off (${p.featureFlag})`}`, ''),
    ...(todo ? wrap(`to use: ${todo}`, '  ') : []),
    ...wrap(`capabilities: ${capabilities}`, '  '),
    ...(models ? wrap(`default models: ${models}`, '  ') : []),
  ];
}

/** Word-wraps `text` to WIDTH columns; continuation lines are indented two more. A word longer than a line is broken. */
export function wrap(text: string, indent: string): string[] {
  const out: string[] = [];
  let line = indent;
  const more = `${indent}  `;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > 0) {
      const atStart = line.trim() === '';
      const room = WIDTH - line.length - (atStart ? 0 : 1);
      if (rest.length <= room) {
        line += (atStart ? '' : ' ') + rest;
        rest = '';
      } else if (!atStart) {
        out.push(line);
        line = more;
      } else {
        line += rest.slice(0, room);
        rest = rest.slice(room);
        out.push(line);
        line = more;
      }
    }
  }
  if (line.trim()) out.push(line);
  return out;
}
