// Runs one `pulumi up` while the load probe hammers the site and one slow
// request is in flight across the switch: the measurement behind "zero
// downtime". Used by the demo, the integration tests and the benchmark.
import { ProbePath, ProbeSummary, ProbeTls, requestOnce, runProbe } from "../../probe/probe";
import { CliResult, SandboxStack } from "./sandboxStack";

export interface DeployUnderLoadResult {
  up: CliResult;
  probe: ProbeSummary;
  /** The long request started before the deploy; null when it was not asked for. */
  slow: { status: number; ms: number; release?: string; startedAt: number; endedAt: number } | { error: string } | null;
  /** ms from the probe's start at which `pulumi up` began and ended. */
  upStartMs: number;
  upEndMs: number;
}

export interface DeployUnderLoadOptions {
  url: string;
  clients?: number;
  /** The request mix (default: the sample app's, probe.ts DEFAULT_PATHS). */
  paths?: Array<ProbePath | string>;
  /** Seconds of the slow request started just before the deploy (0: none). Default 15. */
  slowSeconds?: number;
  /** The probe runs at least this long in total, so a fast deploy still sees enough requests. Default 20 s. */
  minProbeMs?: number;
  /** Load before the deploy starts and after it ends. Default 2 s each. */
  marginMs?: number;
  /** The Host header of every request (a site name, with an IP in the URL). */
  hostHeader?: string;
  /** For an https URL: the CA to trust and the SNI name. */
  tls?: ProbeTls;
  /** What runs under load instead of `pulumi up` (a day-2 command that runs it). */
  action?: () => Promise<CliResult>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function deployUnderLoad(stack: SandboxStack, o: DeployUnderLoadOptions): Promise<DeployUnderLoadResult> {
  const margin = o.marginMs ?? 2000;
  const stop = new AbortController();
  const started = Date.now();
  const probe = runProbe({
    url: o.url,
    clients: o.clients ?? 32,
    keepAliveShare: 0.5,
    signal: stop.signal,
    paths: o.paths,
    hostHeader: o.hostHeader,
    tls: o.tls,
  });
  await sleep(margin);

  const slowSeconds = o.slowSeconds ?? 15;
  const slowStartedAt = Date.now();
  const slow =
    slowSeconds > 0
      ? requestOnce(`${o.url}/slow/?seconds=${slowSeconds}`, {
          timeoutMs: (slowSeconds + 60) * 1000,
          headers: o.hostHeader ? { Host: o.hostHeader } : {},
          tls: o.tls,
        }).then(
          (r) => ({
            status: r.status,
            ms: r.ms,
            release: String(r.headers["x-release"] ?? ""),
            startedAt: slowStartedAt,
            endedAt: Date.now(),
          }),
          (e: Error) => ({ error: e.message }),
        )
      : Promise.resolve(null);
  await sleep(200); // the slow request is in gunicorn before anything moves

  const upStartMs = Date.now() - started;
  const up = await (o.action ? o.action() : stack.up());
  const upEndMs = Date.now() - started;

  await sleep(Math.max(margin, (o.minProbeMs ?? 20_000) - (Date.now() - started)));
  stop.abort();
  return { up, probe: await probe, slow: await slow, upStartMs, upEndMs };
}
