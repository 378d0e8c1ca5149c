/**
 * CLI for the zero-downtime load probe.
 *
 *   npx tsx probe/cli.ts --url http://127.0.0.1:8080 --clients 32 --duration 30s
 *
 * Without --duration (and --max-requests) it runs until SIGINT/SIGTERM.
 * Prints exactly one line of JSON to stdout; exit 0 if every request
 * succeeded (failed == 0 and requests > 0), 1 otherwise, 2 on bad usage.
 */
import { parsePathSpec, runProbe, type ProbeOptions, type ProbePath, type ProbeSummary } from "./probe";

const USAGE = `usage: tsx probe/cli.ts --url URL [options]

  --url URL               base URL, e.g. http://127.0.0.1:8080 (required)
  --clients N             concurrent clients (default 16)
  --duration D            run time: 500ms, 30s, 2m, 1h (a bare number is seconds);
                          without it the probe runs until SIGINT/SIGTERM
  --keepalive-share F     fraction 0..1 of clients using keep-alive (default 0.5)
  --path "METHOD /p [W]"  request in the mix, optional weight W (repeatable;
                          replaces the default GET /about/ + POST /ping/<uuid>/)
  --host HOST             Host header override
  --timeout D             per-request timeout (default 30s)
  --max-requests N        stop after N requests
  -h, --help              show this help

Prints one line of JSON; exits 1 if any request failed or none was made.`;

class UsageError extends Error {}

/** "500ms" | "30s" | "2m" | "1h" | "1.5s" | "30" (seconds) -> ms */
function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`invalid duration ${JSON.stringify(s)} (use e.g. 500ms, 30s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const mult = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(n * mult);
}

function parseArgs(argv: string[]): ProbeOptions | "help" {
  const opts: Partial<ProbeOptions> = {};
  const paths: ProbePath[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === "-h" || arg === "--help") return "help";
    const next = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    const int = (name: string, v: string, min: number): number => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
        throw new UsageError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
      }
      return n;
    };
    switch (arg) {
      case "--url": {
        const v = next();
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          throw new UsageError(`invalid --url ${JSON.stringify(v)}`);
        }
        if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`--url must be http(s)`);
        opts.url = v;
        break;
      }
      case "--clients":
        opts.clients = int("--clients", next(), 1);
        break;
      case "--duration":
        opts.durationMs = parseDuration(next());
        break;
      case "--timeout":
        opts.timeoutMs = parseDuration(next());
        if (opts.timeoutMs <= 0) throw new UsageError("--timeout must be > 0");
        break;
      case "--max-requests":
        opts.maxRequests = int("--max-requests", next(), 1);
        break;
      case "--keepalive-share": {
        const v = next();
        const f = Number(v);
        if (v.trim() === "" || !(f >= 0 && f <= 1))
          throw new UsageError(`--keepalive-share must be in [0,1], got ${JSON.stringify(v)}`);
        opts.keepAliveShare = f;
        break;
      }
      case "--path":
        try {
          paths.push(parsePathSpec(next()));
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case "--host":
        opts.hostHeader = next();
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (!opts.url) throw new UsageError("--url is required");
  if (paths.length > 0) opts.paths = paths;
  return opts as ProbeOptions;
}

/** One-line JSON; the five headline keys come first. */
function formatSummary(s: ProbeSummary): string {
  const { requests, failed, releases, latencyMs, ok, ...rest } = s;
  return JSON.stringify({
    requests,
    failed,
    p50_ms: latencyMs.p50,
    p99_ms: latencyMs.p99,
    releases,
    ok,
    p90_ms: latencyMs.p90,
    max_ms: latencyMs.max,
    ...rest,
    latencyMs,
  });
}

async function main(): Promise<number> {
  let parsed: ProbeOptions | "help";
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`probe: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }

  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`probe: ${sig}, finishing in-flight requests (again to force quit)\n`);
      ac.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const summary = await runProbe({ ...parsed, signal: ac.signal });
  process.stdout.write(formatSummary(summary) + "\n");
  return summary.failed > 0 || summary.requests === 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Do not wait for stray handles (e.g. signal listeners) — we are done.
    process.stdout.write("", () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`probe: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
