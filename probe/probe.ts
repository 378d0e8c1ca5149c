/**
 * Load probe used to prove "zero failed requests during a deploy".
 *
 * Pure Node (built-in `http`/`https` only, no dependencies). A fixed number of
 * concurrent clients each loop "send request -> read whole body -> record"
 * with no pause in between, until `durationMs` elapses, `signal` aborts or
 * `maxRequests` have been started. Requests are never retried: a keep-alive
 * socket that the server resets between requests shows up as an error.
 *
 * Accounting invariants of the returned summary:
 *   requests == ok + failed
 *   requests == sum(statuses) + sum(errors)
 *   failed   == (responses with a non-2xx status) + sum(errors)
 */
import * as http from "node:http";
import * as https from "node:https";

export interface ProbePath {
  /** HTTP method, e.g. "GET". */
  method: string;
  /** Path (with optional query) appended to the base URL, e.g. "/about/". */
  path: string;
  /** Request body (sent with a Content-Type of `contentType`). */
  body?: string;
  /** Content-Type for `body`; default "application/json". */
  contentType?: string;
  /** Relative weight in the mix; default 1. */
  weight?: number;
  /** The one status that counts as success (e.g. 301 from an app that redirects to HTTPS); default any 2xx. */
  expectStatus?: number;
}

export interface ProbeOptions {
  /** Base URL, e.g. "http://127.0.0.1:8080" (a path prefix is kept). */
  url: string;
  /** Number of concurrent clients; default 16. */
  clients?: number;
  /** Stop starting new requests after this many ms. */
  durationMs?: number;
  /** Stop starting new requests when this signal aborts. */
  signal?: AbortSignal;
  /**
   * Weighted request mix. Strings are "METHOD /path [weight]".
   * Default: GET /about/ and POST /ping/<uuid>/ (small JSON body), equal weights.
   */
  paths?: Array<ProbePath | string>;
  /** Fraction (0..1) of clients that use a keep-alive agent; default 0.5. */
  keepAliveShare?: number;
  /** Per-request timeout (whole request incl. body), default 30000. */
  timeoutMs?: number;
  /** Stop after this many requests have been started. */
  maxRequests?: number;
  /** Override the Host header. */
  hostHeader?: string;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** For https URLs: the CA to trust (PEM) and the name to send as SNI and verify (with an IP in the URL). */
  tls?: ProbeTls;
}

export interface ProbeTls {
  ca?: string;
  servername?: string;
}

export interface ReleaseWindow {
  /** For releases: when the first request it answered was sent (ms since probe start); for failures: when the first was recorded. */
  firstMs: number;
  /** For releases: when the last request it answered was sent; for failures: when the last was recorded. */
  lastMs: number;
}

export interface FailureSample {
  /** ms since probe start at which the failure was recorded. */
  timeMs: number;
  method: string;
  path: string;
  /** HTTP status for non-2xx responses. */
  status?: number | undefined;
  /** Error code for connection-level failures (ECONNRESET, ECONNREFUSED, timeout, ...). */
  error?: string | undefined;
  /** Error message (connection-level failures only). */
  message?: string | undefined;
  /** Release that answered, if known. */
  release?: string | undefined;
  /** True if the failing request was sent on a reused keep-alive socket. */
  reusedSocket?: boolean | undefined;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
  /** Number of samples (= completed responses). */
  count: number;
}

export interface ProbeSummary {
  url: string;
  /** Total requests attempted (started; every one is accounted for). */
  requests: number;
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses + connection-level errors. */
  failed: number;
  /** Count per HTTP status code, e.g. {"200": 10, "502": 2}. */
  statuses: Record<string, number>;
  /** Count per connection-level error code, e.g. {"ECONNRESET": 1, "timeout": 2}. */
  errors: Record<string, number>;
  /** Errors that happened on a reused keep-alive socket (subset of `errors`). */
  errorsOnReusedSocket: number;
  /** Latency (ms) over completed responses (any status); errors are not included. */
  latencyMs: LatencySummary;
  /** Count of responses per release id (from `x-release`, else `release: X` in the body). */
  releases: Record<string, number>;
  /** Responses for which no release could be determined. */
  noRelease: number;
  /** When each release was seen answering. */
  releaseWindows: Record<string, ReleaseWindow>;
  /** First/last failure time, or null when there were none. */
  failureWindow: ReleaseWindow | null;
  /** The first 20 failures. */
  failuresSample: FailureSample[];
  /** Requests per path spec ("METHOD /path"). */
  perPath: Record<string, number>;
  /** Completed responses (any status) per BUCKET_MS of the run, by completion time: a stall shows as a run of zeros. */
  completions: number[];
  clients: number;
  keepAliveClients: number;
  /** Wall-clock duration of the run (until the last in-flight request finished). */
  durationMs: number;
  /** requests / (durationMs / 1000). */
  rps: number;
  /** ISO timestamp of the start. */
  startedAt: string;
}

export const DEFAULT_PING_PATH = "/ping/00000000-0000-4000-8000-000000000001/";

export const DEFAULT_PATHS: readonly ProbePath[] = Object.freeze([
  { method: "GET", path: "/about/", weight: 1 },
  {
    method: "POST",
    path: DEFAULT_PING_PATH,
    body: '{"source":"probe"}',
    contentType: "application/json",
    weight: 1,
  },
]);

const FAILURE_SAMPLE_LIMIT = 20;
/** Width of one `completions` bucket. */
export const BUCKET_MS = 250;
/** Only this much of a body is kept for the `release: X` fallback; the rest is drained. */
const BODY_KEEP_BYTES = 64 * 1024;
const RELEASE_IN_BODY = /(?:^|[^A-Za-z0-9_-])release:[ \t]*([A-Za-z0-9][A-Za-z0-9._:+-]*)/im;

/** Parse "METHOD /path [weight] [=STATUS]" (weight a positive number; =STATUS the status that counts as success). */
export function parsePathSpec(spec: string): ProbePath {
  const all = spec.trim().split(/\s+/);
  const expect = all.length > 2 && /^=\d{3}$/.test(all[all.length - 1]!) ? Number(all.pop()!.slice(1)) : undefined;
  const parts = all;
  if (parts.length < 2 || parts.length > 3) {
    throw new Error(`invalid path spec ${JSON.stringify(spec)}: expected "METHOD /path [weight]"`);
  }
  const [methodRaw, path, weightRaw] = parts as [string, string, string | undefined];
  const method = methodRaw.toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new Error(`invalid method in path spec ${JSON.stringify(spec)}`);
  if (!path.startsWith("/")) throw new Error(`path must start with "/" in path spec ${JSON.stringify(spec)}`);
  const out: ProbePath = { method, path, ...(expect !== undefined ? { expectStatus: expect } : {}) };
  if (weightRaw !== undefined) {
    const w = Number(weightRaw);
    if (!Number.isFinite(w) || w <= 0) throw new Error(`invalid weight in path spec ${JSON.stringify(spec)}`);
    out.weight = w;
  }
  if (method === "POST" || method === "PUT" || method === "PATCH") {
    out.body = '{"source":"probe"}';
    out.contentType = "application/json";
  }
  return out;
}

/** Growable Float64Array for latency samples (8 bytes/sample: 1e6 samples = 8 MB). */
class SampleBuffer {
  private buf = new Float64Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  summary(): LatencySummary {
    const n = this.length;
    if (n === 0) return { p50: 0, p90: 0, p99: 0, max: 0, min: 0, mean: 0, count: 0 };
    const sorted = this.buf.subarray(0, n).sort(); // typed-array sort is numeric
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    // nearest-rank percentile
    const pct = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
    return {
      p50: round(pct(50)),
      p90: round(pct(90)),
      p99: round(pct(99)),
      max: round(sorted[n - 1]!),
      min: round(sorted[0]!),
      mean: round(sum / n),
      count: n,
    };
  }
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function bump(rec: Record<string, number>, key: string, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

/** Normalise a Node error to a short code ("ECONNRESET", "ECONNREFUSED", "timeout", ...). */
export function errorCode(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof e.code === "string" && e.code.length > 0) return e.code;
    const msg = typeof e.message === "string" ? e.message : "";
    if (/socket hang up/i.test(msg) || msg === "aborted") return "ECONNRESET";
    if (/timed? ?out/i.test(msg)) return "timeout";
    if (typeof e.name === "string" && e.name !== "Error") return e.name;
  }
  return "EUNKNOWN";
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) return v[0];
  return v;
}

function joinUrl(base: URL, path: string): URL {
  const u = new URL(base.toString());
  const prefix = u.pathname.replace(/\/+$/, "");
  const q = path.indexOf("?");
  u.pathname = prefix + (q >= 0 ? path.slice(0, q) : path);
  u.search = q >= 0 ? path.slice(q) : "";
  return u;
}

interface SendOptions {
  method: string;
  body?: string | undefined;
  contentType?: string | undefined;
  agent: http.Agent | https.Agent | false;
  timeoutMs: number;
  headers: Record<string, string>;
  tls?: ProbeTls | undefined;
  /**
   * "all": keep the whole body (requestOnce). "release": keep up to
   * BODY_KEEP_BYTES only when there is no `x-release` header (the body is
   * still read to the end either way).
   */
  keepBody: "all" | "release";
}

interface RawResult {
  status?: number | undefined;
  headers?: http.IncomingHttpHeaders | undefined;
  body?: string | undefined;
  error?: string | undefined;
  message?: string | undefined;
  reusedSocket: boolean;
  ms: number;
}

/** One HTTP request; never rejects, never retries. */
function send(url: URL, o: SendOptions): Promise<RawResult> {
  return new Promise<RawResult>((resolve) => {
    const t0 = performance.now();
    const mod = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = { ...o.headers };
    if (o.agent === false) headers["Connection"] = "close";
    if (o.body !== undefined) {
      headers["Content-Type"] ??= o.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(o.body));
    }
    let settled = false;
    let timedOut = false;
    let req: http.ClientRequest | undefined;
    const finish = (r: Omit<RawResult, "reusedSocket" | "ms">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, reusedSocket: req?.reusedSocket === true, ms: performance.now() - t0 });
    };
    const fail = (err: unknown): void => {
      if (timedOut) {
        finish({ error: "timeout", message: `no complete response within ${o.timeoutMs} ms` });
      } else {
        finish({ error: errorCode(err), message: err instanceof Error ? err.message : String(err) });
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      const e = new Error(`timeout after ${o.timeoutMs} ms`);
      fail(e);
      req?.destroy(e);
    }, o.timeoutMs);

    try {
      // With an agent, TLS options are the agent's; without one, the request's.
      const tls = o.agent === false && url.protocol === "https:" ? (o.tls ?? {}) : {};
      req = mod.request(url, { method: o.method, agent: o.agent, headers, ...tls });
    } catch (err) {
      fail(err);
      return;
    }
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const keep = o.keepBody === "all" || firstHeader(res.headers["x-release"]) === undefined;
      res.on("data", (chunk: Buffer) => {
        if (keep && (o.keepBody === "all" || kept < BODY_KEEP_BYTES)) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      res.on("aborted", () => fail(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
      res.on("error", fail);
      res.on("end", () => {
        // `complete` is false if the connection closed before the full body arrived.
        if (!res.complete) {
          fail(Object.assign(new Error("incomplete response body"), { code: "ECONNRESET" }));
          return;
        }
        finish({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: keep ? Buffer.concat(chunks).toString("utf8") : undefined,
        });
      });
      res.on("close", () => {
        if (!settled) fail(Object.assign(new Error("response closed before end"), { code: "ECONNRESET" }));
      });
    });
    req.end(o.body);
  });
}

/** Determine the release that answered: `x-release` header, else `release: X` in the body. */
export function releaseOf(headers: http.IncomingHttpHeaders | undefined, body: string | undefined): string | undefined {
  const h = firstHeader(headers?.["x-release"]);
  if (h !== undefined && h.trim() !== "") return h.trim();
  if (body) {
    const m = RELEASE_IN_BODY.exec(body);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeSummary> {
  const base = new URL(opts.url);
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new Error(`unsupported URL protocol ${base.protocol} (need http: or https:)`);
  }
  const clients = opts.clients ?? 16;
  if (!Number.isInteger(clients) || clients < 1) throw new Error(`clients must be a positive integer, got ${clients}`);
  const keepAliveShare = opts.keepAliveShare ?? 0.5;
  if (!(keepAliveShare >= 0 && keepAliveShare <= 1))
    throw new Error(`keepAliveShare must be in [0,1], got ${keepAliveShare}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!(timeoutMs > 0)) throw new Error(`timeoutMs must be > 0, got ${timeoutMs}`);
  if (opts.durationMs !== undefined && !(opts.durationMs >= 0)) throw new Error(`durationMs must be >= 0`);
  if (opts.maxRequests !== undefined && !(Number.isInteger(opts.maxRequests) && opts.maxRequests >= 0)) {
    throw new Error(`maxRequests must be a non-negative integer`);
  }
  if (opts.durationMs === undefined && opts.signal === undefined && opts.maxRequests === undefined) {
    throw new Error("runProbe needs at least one of durationMs, signal or maxRequests (it would never stop)");
  }

  const paths: ProbePath[] = (opts.paths && opts.paths.length > 0 ? opts.paths : DEFAULT_PATHS).map((p) =>
    typeof p === "string" ? parsePathSpec(p) : { ...p, method: p.method.toUpperCase() },
  );
  const weights = paths.map((p) => p.weight ?? 1);
  for (const w of weights) if (!(w > 0 && Number.isFinite(w))) throw new Error(`path weights must be > 0`);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const targets = paths.map((p, i) => ({
    spec: p,
    url: joinUrl(base, p.path),
    key: `${p.method} ${p.path}`,
    weight: weights[i]!,
    current: 0,
  }));
  // Smooth weighted round-robin (as in nginx): deterministic, well interleaved,
  // and every path's count stays within one request of its exact share.
  const pick = (): (typeof targets)[number] => {
    let best = targets[0]!;
    for (const t of targets) {
      t.current += t.weight;
      if (t.current > best.current) best = t;
    }
    best.current -= totalWeight;
    return best;
  };

  const baseHeaders: Record<string, string> = { "User-Agent": "zero-downtime-probe/1", ...(opts.headers ?? {}) };
  if (opts.hostHeader) baseHeaders["Host"] = opts.hostHeader;

  const keepAliveClients = Math.round(clients * keepAliveShare);
  const mod = base.protocol === "https:" ? https : http;
  const agents: Array<http.Agent | false> = [];
  for (let i = 0; i < clients; i++) {
    const tls = base.protocol === "https:" ? (opts.tls ?? {}) : {};
    agents.push(i < keepAliveClients ? new mod.Agent({ keepAlive: true, maxSockets: 1, ...tls }) : false);
  }

  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const releases: Record<string, number> = {};
  const releaseWindows: Record<string, ReleaseWindow> = {};
  const perPath: Record<string, number> = {};
  const failuresSample: FailureSample[] = [];
  const latencies = new SampleBuffer();
  const completions: number[] = [];
  let requests = 0;
  let ok = 0;
  let failed = 0;
  let noRelease = 0;
  let errorsOnReusedSocket = 0;
  let failureWindow: ReleaseWindow | null = null;

  const startedAt = new Date();
  const t0 = performance.now();
  const now = (): number => round(performance.now() - t0);

  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  const timer = opts.durationMs !== undefined ? setTimeout(stop, opts.durationMs) : undefined;
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener("abort", stop, { once: true });

  // Release windows use the time each request was sent: a response that completes late says
  // nothing about when the release took it.
  const record = (target: (typeof targets)[number], r: RawResult, sentMs: number): void => {
    const t = now();
    const release = r.status !== undefined ? releaseOf(r.headers, r.body) : undefined;
    let failure: FailureSample | undefined;
    if (r.status !== undefined) {
      bump(statuses, String(r.status));
      latencies.push(r.ms);
      const bucket = Math.floor(t / BUCKET_MS);
      while (completions.length <= bucket) completions.push(0);
      completions[bucket]!++;
      if (release !== undefined) {
        bump(releases, release);
        const w = releaseWindows[release];
        if (w) {
          w.firstMs = Math.min(w.firstMs, sentMs);
          w.lastMs = Math.max(w.lastMs, sentMs);
        } else releaseWindows[release] = { firstMs: sentMs, lastMs: sentMs };
      } else {
        noRelease++;
      }
      const expected = target.spec.expectStatus;
      if (expected !== undefined ? r.status === expected : r.status >= 200 && r.status < 300) ok++;
      else failure = { timeMs: t, method: target.spec.method, path: target.spec.path, status: r.status, release };
    } else {
      const code = r.error ?? "EUNKNOWN";
      bump(errors, code);
      if (r.reusedSocket) errorsOnReusedSocket++;
      failure = {
        timeMs: t,
        method: target.spec.method,
        path: target.spec.path,
        error: code,
        message: r.message,
        reusedSocket: r.reusedSocket,
      };
    }
    if (failure) {
      failed++;
      if (failuresSample.length < FAILURE_SAMPLE_LIMIT) failuresSample.push(failure);
      if (failureWindow) failureWindow.lastMs = t;
      else failureWindow = { firstMs: t, lastMs: t };
    }
  };

  const client = async (idx: number): Promise<void> => {
    const agent = agents[idx]!;
    while (!stopped) {
      if (opts.maxRequests !== undefined && requests >= opts.maxRequests) {
        stop();
        break;
      }
      requests++;
      const target = pick();
      bump(perPath, target.key);
      const sentMs = now();
      const r = await send(target.url, {
        method: target.spec.method,
        body: target.spec.body,
        contentType: target.spec.contentType,
        agent,
        timeoutMs,
        headers: baseHeaders,
        tls: opts.tls,
        keepBody: "release",
      });
      record(target, r, sentMs);
    }
  };

  try {
    await Promise.all(agents.map((_, i) => client(i)));
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener("abort", stop);
    for (const a of agents) if (a) a.destroy();
  }

  const durationMs = round(performance.now() - t0);
  return {
    url: opts.url,
    requests,
    ok,
    failed,
    statuses,
    errors,
    errorsOnReusedSocket,
    latencyMs: latencies.summary(),
    releases,
    noRelease,
    releaseWindows,
    failureWindow,
    failuresSample,
    perPath,
    completions,
    clients,
    keepAliveClients,
    durationMs,
    rps: durationMs > 0 ? round((requests * 1000) / durationMs, 1) : 0,
    startedAt: startedAt.toISOString(),
  };
}

export interface RequestOnceResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

/**
 * A single request on a fresh connection (no keep-alive). Resolves with any
 * HTTP status; rejects on connection errors / timeout (error `.code` set to
 * e.g. "ECONNRESET" or "timeout").
 */
export async function requestOnce(
  url: string,
  opts: { method?: string; timeoutMs?: number; body?: string; headers?: Record<string, string>; tls?: ProbeTls } = {},
): Promise<RequestOnceResult> {
  const u = new URL(url);
  const r = await send(u, {
    tls: opts.tls,
    method: (opts.method ?? (opts.body !== undefined ? "POST" : "GET")).toUpperCase(),
    body: opts.body,
    agent: false,
    timeoutMs: opts.timeoutMs ?? 30_000,
    headers: { "User-Agent": "zero-downtime-probe/1", ...(opts.headers ?? {}) },
    keepBody: "all",
  });
  if (r.status === undefined) {
    throw Object.assign(new Error(`${opts.method ?? "GET"} ${url} failed: ${r.error}: ${r.message ?? ""}`), {
      code: r.error,
    });
  }
  return { status: r.status, body: r.body ?? "", headers: { ...(r.headers ?? {}) }, ms: round(r.ms) };
}

/** The longest run of buckets with no completed response between `fromMs` and `toMs` of a run, in ms. */
export function longestStallMs(p: Pick<ProbeSummary, "completions">, fromMs: number, toMs: number): number {
  let longest = 0;
  let run = 0;
  for (let b = Math.floor(fromMs / BUCKET_MS); b <= Math.floor(toMs / BUCKET_MS); b++) {
    run = (p.completions[b] ?? 0) === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest * BUCKET_MS;
}
