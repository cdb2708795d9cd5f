/** Sizes as people read them, for logs, `doctor` and tool results. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export interface FormatBytesOptions {
  /** One decimal for every size of a KiB and up (`1.0 KiB`), not only where it is not whole (`1 KiB`). */
  fixed?: boolean;
  /** The largest unit used (`2048.0 MiB` with `MiB`). Default TiB. */
  largest?: (typeof BYTE_UNITS)[number];
}

/** `10 GiB`, `476.8 MiB`, `512 B` by default; `1.0 KiB` and `2048.0 MiB` with `{ fixed: true, largest: 'MiB' }`. */
export function formatBytes(bytes: number, { fixed = false, largest = 'TiB' }: FormatBytesOptions = {}): string {
  const top = BYTE_UNITS.indexOf(largest);
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < top) {
    value /= 1024;
    i++;
  }
  const plain = fixed ? i === 0 : Number.isInteger(value);
  return `${plain ? value : value.toFixed(1)} ${BYTE_UNITS[i]}`;
}
