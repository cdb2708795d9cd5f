/** formatBytes: the two styles its callers use (logs and `doctor`; tool results). */
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/util/format.js';

describe('formatBytes', () => {
  it('by default: whole values without a decimal, up to TiB', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(500_000_000)).toBe('476.8 MiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3072 TiB');
  });

  it('fixed, up to MiB (tool results): one decimal from a KiB on', () => {
    const tool = (n: number) => formatBytes(n, { fixed: true, largest: 'MiB' });
    expect(tool(0)).toBe('0 B');
    expect(tool(1023)).toBe('1023 B');
    expect(tool(1024)).toBe('1.0 KiB');
    expect(tool(1536)).toBe('1.5 KiB');
    expect(tool(1024 ** 2)).toBe('1.0 MiB');
    expect(tool(2 * 1024 ** 3)).toBe('2048.0 MiB');
  });
});
