/** `mcp-providers doctor`: the provider table in the terminal. Names variables, never values. */
import type { ServerConfig } from '../registry/config.js';
import { createCore } from '../server/core.js';

export function runDoctor(config: ServerConfig): number {
  // Status reads only metadata and the environment: no adapter (and no SDK) loads.
  const { registry } = createCore({ config });
  const rows = registry.list().map((p) => [
    p.id,
    p.usable ? 'yes' : 'no',
    p.implemented ? 'yes' : 'not yet',
    p.enabled ? 'on' : `off (${p.featureFlag})`,
    p.configured ? 'ok' : `missing ${p.missing.join(', ')}`,
    p.capabilities
      .map((c) => (p.missingByCapability?.[c] ? `${c} (needs ${p.missingByCapability[c]!.join(', ')})` : c))
      .join(', '),
    Object.entries(p.defaultModels)
      .map(([c, m]) => `${c}: ${m}`)
      .join('; '),
  ]);
  const header = ['provider', 'usable', 'implemented', 'enabled', 'credentials', 'capabilities', 'default models'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n');
  process.stdout.write(`\nConfiguration: ${config.configFiles.join(' + ')}\n`);
  process.stdout.write(`Artifacts are stored in ${config.artifactDir}\n`);
  const usable = registry.list().filter((p) => p.usable).length;
  process.stdout.write(`${usable} of ${rows.length} providers usable.\n`);
  return 0;
}
