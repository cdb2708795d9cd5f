/**
 * Prices as data: the `prices:` of each provider in config/providers.yaml (and the user's
 * MCP_PROVIDERS_CONFIG over it), validated here. Every entry names the page its figures were read
 * from and the day they were read; a model without a published price has no entry, never a guess.
 *
 * Units (USD): tokens per million, an image, a second of video (without and with a soundtrack) or
 * of audio, a clip, a thousand characters spoken, a second of the provider's compute time.
 */
import { z } from 'zod';

const usd = z.number().nonnegative().finite();

/** The unit fields: at least one must be given. */
export const UNIT_FIELDS = [
  'input_per_million_tokens',
  'output_per_million_tokens',
  'per_image',
  'per_second',
  'per_second_with_audio',
  'per_clip',
  'per_thousand_characters',
  'per_compute_second',
] as const;

export const PriceSchema = z
  .strictObject({
    /** Input (prompt) tokens, USD per million. */
    input_per_million_tokens: usd.optional(),
    /** Output tokens (thinking included, as billed), USD per million. */
    output_per_million_tokens: usd.optional(),
    /** Prompts above `above_input_tokens` are billed at these rates instead (Gemini 2.5 Pro). */
    long_context: z
      .strictObject({ above_input_tokens: z.number().int().positive(), input_per_million_tokens: usd, output_per_million_tokens: usd })
      .optional(),
    /** Token-billed image models: output tokens one image takes (bounds the estimate). */
    output_tokens_per_image: z.number().int().positive().optional(),
    per_image: usd.optional(),
    /** A second of video without a soundtrack, or a second of audio. */
    per_second: usd.optional(),
    /** A second of video with a soundtrack. */
    per_second_with_audio: usd.optional(),
    /** One clip (music models that make clips of a fixed length). */
    per_clip: usd.optional(),
    per_thousand_characters: usd.optional(),
    /** A second of the provider's compute (Replicate: `metrics.predict_time` × the hardware's price). */
    per_compute_second: usd.optional(),
    /** The longest output the model makes, in seconds: bounds the estimate when no duration is asked for. */
    max_seconds: z.number().positive().optional(),
    /** The page the figures were read from. */
    source: z.url({ protocol: /^https$/ }),
    /** The day they were read (YYYY-MM-DD). */
    read: z.iso.date(),
    notes: z.string().optional(),
  })
  .refine((p) => UNIT_FIELDS.some((k) => p[k] !== undefined), { message: `give at least one of ${UNIT_FIELDS.join(', ')}` });

export type Price = z.infer<typeof PriceSchema>;

export const PricesSchema = z.record(z.string().min(1), PriceSchema);

/** Per provider: its models' prices, and whether everything it does is free (local). */
export interface ProviderPrices {
  free: boolean;
  models: Record<string, Price>;
}

export type PriceBook = Record<string, ProviderPrices>;

/** `$3.20`; amounts under a cent keep two significant digits (`$0.00015`). */
export function formatUsd(amount: number): string {
  if (amount === 0) return '$0.00';
  if (amount >= 0.01) return `$${amount.toFixed(2)}`;
  return `$${Number(amount.toPrecision(2)).toFixed(Math.max(2, 1 - Math.floor(Math.log10(amount))))}`;
}

/** Sums of money without binary noise (0.04 × 3 is 0.12, not 0.12000000000000001). */
export function roundUsd(amount: number): number {
  return Math.round(amount * 1e9) / 1e9;
}
