/**
 * Crash safety of the artifact folder, end to end: the built stdio server is SIGKILLed thirty
 * times at a random moment (seeded) while it synthesises long `tts` texts and lists resources,
 * all on one artifact folder. Then it starts once more (sweep age 0, so every leftover is old
 * enough) and `resources/list` must work and list exactly the complete artifacts: every listed
 * file has its recorded size and sha256, every complete media+sidecar pair on disk is listed,
 * every artifact a tool call answered with before its kill survived, and no temp file, media
 * without a sidecar or bad sidecar is left. The issue this guards against: leftovers, and one
 * 0-byte sidecar that made resources/list fail for every client.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, testEnv } from '../helpers/server-process.js';

const SEED = Number(process.env.SIGKILL_SEED ?? 0x5eed2024);
const KILLS = 30;
const CALLS_PER_RUN = 3;
const MAX_KILL_DELAY_MS = 1500;

/** mulberry32: small, seeded, good enough to pick moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the quick brown fox jumps over a lazy dog while evening light settles slowly across quiet hills and distant rivers carry small boats toward the sea'.split(' ');
function text(random: () => number, words: number): string {
  return Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ') + '.';
}

type Message = { id?: number; result?: Record<string, unknown>; error?: { code: number; message: string } };

/** A raw JSON-lines stdio client: nothing between the test and the process it kills. */
class Server {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly answers = new Map<number, Message>();
  readonly exited: Promise<void>;
  stderr = '';
  #partial = '';
  #waiters = new Map<number, (m: Message) => void>();
  #next = 1;

  constructor(env: Record<string, string>) {
    this.proc = spawn(process.execPath, [CLI], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.stdin.on('error', () => undefined); // EPIPE after a kill
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-200_000)));
    this.proc.stdout.on('data', (d: Buffer) => {
      const lines = (this.#partial + d.toString()).split('\n');
      this.#partial = lines.pop()!;
      for (const line of lines) {
        const m = JSON.parse(line) as Message;
        if (typeof m.id !== 'number') continue;
        this.answers.set(m.id, m);
        this.#waiters.get(m.id)?.(m);
      }
    });
  }

  send(method: string, params?: Record<string, unknown>): { id: number; answer: Promise<Message> } {
    const id = this.#next++;
    const answer = new Promise<Message>((resolve) => this.#waiters.set(id, resolve));
    this.proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }) + '\n');
    return { id, answer };
  }

  notify(method: string): void {
    this.proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', method }) + '\n');
  }

  async initialize(): Promise<void> {
    const init = this.send('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'sigkill', version: '1.0.0' } });
    const m = await Promise.race([init.answer, this.exited.then(() => ({ error: { code: 0, message: `exited: ${this.stderr}` } }) as Message)]);
    if (!m.result) throw new Error(`initialize failed: ${JSON.stringify(m.error)}`);
    this.notify('notifications/initialized');
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

interface Listed {
  uri: string;
  size: number;
  _meta: { sha256: string; path: string };
}

/** What is on disk, by the store's naming: complete pairs and each kind of leftover. */
function scan(dir: string) {
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const sidecars = new Set(names.filter((n) => /^[0-9a-z]{21}\.json$/.test(n)).map((n) => n.slice(0, 21)));
  const media = names.filter((n) => /^[0-9a-z]{21}\./.test(n) && !n.endsWith('.json'));
  const complete = new Map<string, { path: string; size: number; sha256: string }>();
  const badSidecars: string[] = [];
  const sidecarsWithoutMedia: string[] = [];
  for (const id of sidecars) {
    let rec: { size?: unknown; sha256?: unknown; file?: unknown } | undefined;
    try {
      rec = JSON.parse(readFileSync(join(dir, `${id}.json`), 'utf8')) as typeof rec;
    } catch {
      badSidecars.push(`${id}.json`);
      continue;
    }
    const path = join(dir, String(rec?.file));
    if (!existsSync(path)) sidecarsWithoutMedia.push(`${id}.json`);
    else complete.set(`artifact://${id}`, { path, size: rec!.size as number, sha256: rec!.sha256 as string });
  }
  return {
    complete,
    temps: names.filter((n) => n.endsWith('.tmp')),
    orphanMedia: media.filter((n) => !sidecars.has(n.slice(0, 21)) || badSidecars.includes(`${n.slice(0, 21)}.json`)),
    badSidecars,
    sidecarsWithoutMedia,
    others: names.filter((n) => !/^[0-9a-z]{21}\./.test(n) && !n.endsWith('.tmp')),
  };
}

describe('SIGKILL during tts calls', () => {
  it(`${KILLS} kills at random moments leave a folder that lists exactly its complete artifacts once swept`, { timeout: 90_000 }, async () => {
    const started = Date.now();
    const random = prng(SEED);
    const env = testEnv({ MCP_PROVIDERS_LOG_LEVEL: 'info' });
    const dir = env.MCP_PROVIDERS_ARTIFACT_DIR;
    // What the old code left behind in the issue: a 0-byte sidecar (from a plain writeFile cut short) beside its media.
    mkdirSync(dir, { recursive: true });
    const legacy = '0aaaaaaaa0123456789ab';
    writeFileSync(join(dir, `${legacy}.json`), '');
    writeFileSync(join(dir, `${legacy}.wav`), Buffer.alloc(44_000));

    const acknowledged = new Set<string>();
    const listErrors: string[] = [];
    const stats = { kills: 0, callsAnswered: 0, listsAnswered: 0 };
    for (let round = 0; round < KILLS; round++) {
      const server = new Server(env);
      const delay = Math.floor(random() * MAX_KILL_DELAY_MS);
      const words = Array.from({ length: CALLS_PER_RUN }, () => 80 + Math.floor(random() * 250));
      let ready = false;
      const run = (async () => {
        await server.initialize();
        ready = true;
        const calls = words.map((n) => server.send('tools/call', { name: 'tts', arguments: { text: text(random, n) } }));
        const list = server.send('resources/list');
        void list.answer.then((m) => {
          stats.listsAnswered++;
          if (m.error) listErrors.push(`round ${round}: ${m.error.message}`);
        });
        for (const c of calls) {
          void c.answer.then((m) => {
            const sc = m.result?.structuredContent as { artifacts?: { uri: string }[] } | undefined;
            if (!m.result?.isError && sc?.artifacts) {
              stats.callsAnswered++;
              for (const a of sc.artifacts) acknowledged.add(a.uri);
            }
          });
        }
      })();
      // The clock starts once the calls are on their way (a kill before that only tests start-up).
      await Promise.race([run, server.exited]);
      if (!ready) throw new Error(`round ${round}: server did not start: ${server.stderr}`);
      await new Promise((r) => setTimeout(r, delay));
      await server.kill();
      stats.kills++;
    }
    // Every answer resources/list gave between kills, with the wreckage growing, was a listing, never an error.
    expect(listErrors).toEqual([]);

    const before = scan(dir);
    const expectedSwept = {
      temp: before.temps.length,
      orphanMedia: before.orphanMedia.length,
      badSidecar: before.badSidecars.length,
      missingMedia: before.sidecarsWithoutMedia.length,
    };

    // Once more, with every leftover old enough for the sweep.
    const server = new Server({ ...env, MCP_PROVIDERS_SWEEP_AGE_MS: '0' });
    try {
      await server.initialize();
      const listed: Listed[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const m = await server.send('resources/list', cursor ? { cursor } : undefined).answer;
        expect(m.error, 'resources/list').toBeUndefined();
        listed.push(...(m.result!.resources as Listed[]));
        cursor = m.result!.nextCursor as string | undefined;
        if (!cursor) break;
      }
      expect(cursor, 'resources/list pages end').toBeUndefined();

      const after = scan(dir);
      expect(after.temps, 'temp files left').toEqual([]);
      expect(after.orphanMedia, 'media files without a sidecar left').toEqual([]);
      expect(after.badSidecars, 'bad sidecars left').toEqual([]);
      expect(after.sidecarsWithoutMedia, 'sidecars without media left').toEqual([]);
      expect(after.others, 'files that are not ours touched').toEqual([]);

      // Exactly the complete artifacts, each with the recorded size and sha256.
      expect(listed.map((r) => r.uri).sort()).toEqual([...after.complete.keys()].sort());
      expect(new Set(listed.map((r) => r.uri)).size).toBe(listed.length);
      for (const r of listed) {
        const data = readFileSync(r._meta.path);
        expect(data.length, r.uri).toBe(r.size);
        expect(createHash('sha256').update(data).digest('hex'), r.uri).toBe(r._meta.sha256);
        expect(after.complete.get(r.uri)).toMatchObject({ size: r.size, sha256: r._meta.sha256 });
      }
      // Nothing a client was told about was lost to a later kill or sweep.
      for (const uri of acknowledged) expect(after.complete.has(uri), `acknowledged ${uri}`).toBe(true);

      // The sweep said what it removed, and it is what the kills left.
      const swept = server.stderr
        .split('\n')
        .filter((l) => l.includes('swept artifact leftovers'))
        .map((l) => JSON.parse(l) as { removed: typeof expectedSwept; bytes: number });
      const total = Object.values(expectedSwept).reduce((a, b) => a + b, 0);
      expect(swept).toHaveLength(total ? 1 : 0);
      if (total) expect(swept[0].removed).toEqual(expectedSwept);

      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `sigkill-artifacts (seed ${SEED}): ${stats.kills} kills, ${stats.callsAnswered} tts answers before a kill, ` +
          `${stats.listsAnswered} resources/list answers mid-run, ${after.complete.size} complete artifacts listed; ` +
          `leftovers swept at the end ${JSON.stringify(expectedSwept)} ` +
          `(${swept[0]?.bytes ?? 0} bytes, incl. the planted 0-byte sidecar and its media); ${seconds} s`,
      );
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await server.kill();
    }
  });
});
