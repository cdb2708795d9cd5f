/**
 * A stand-in OpenTelemetry collector: `POST /v1/traces` on 127.0.0.1 (a port the OS picks).
 * OTLP/HTTP with JSON bodies (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) is decoded — an
 * ExportTraceServiceRequest: resourceSpans[].scopeSpans[].spans[] — into flat spans with plain
 * attribute values; any other body (http/protobuf) is only recorded, with its headers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value: AnyValue };

export type Value = string | number | boolean | Value[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** W3C tracestate the span carries (its parent's, when the parent was remote). */
  traceState?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** Start time, in ns since the epoch. */
  start: bigint;
  attributes: Record<string, Value>;
  events: { name: string; attributes: Record<string, Value> }[];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code?: number; message?: string };
  resource: Record<string, Value>;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporters add /v1/traces). */
  url: string;
  spans: ReceivedSpan[];
  requests: ReceivedRequest[];
  /** Resolves once some span satisfies `found`, or rejects after `timeoutMs`. */
  waitForSpan(found: (span: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

function decode(v: AnyValue | undefined): Value {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(decode);
  return undefined;
}

const attributesOf = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, decode(kv.value)]));

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano?: string | number;
  attributes?: KeyValue[];
  events?: { name: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      if (req.method === 'POST' && req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        const parsed = JSON.parse(body.toString('utf8')) as { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
        for (const rs of parsed.resourceSpans ?? []) {
          const resource = attributesOf(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                traceState: s.traceState || undefined,
                name: s.name,
                kind: s.kind,
                start: BigInt(s.startTimeUnixNano ?? 0),
                attributes: attributesOf(s.attributes),
                events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
                status: s.status ?? {},
                resource,
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') }).end(String(req.headers['content-type']).startsWith('application/json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitForSpan(found, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const span = spans.find(found);
        if (span) return span;
        if (Date.now() > until) throw new Error(`no such span within ${timeoutMs} ms; received: ${spans.map((s) => s.name).join(', ') || 'none'}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
