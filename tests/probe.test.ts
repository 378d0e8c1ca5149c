/**
 * Tests for the load probe (probe/probe.ts, probe/cli.ts) against real
 * HTTP servers on 127.0.0.1 with ephemeral ports.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKET_MS, longestStallMs, requestOnce, runProbe, type ProbeSummary } from "../probe/probe";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx");
/**
 * `node --import tsx` is what the tsx binary does, minus its extra watcher
 * process: cheaper when several CLI runs happen in parallel. One test still
 * goes through the real `tsx` binary.
 */
const NODE_TSX = [process.execPath, "--import", "tsx"] as const;
const CLI = path.join(ROOT, "probe", "cli.ts");

interface TestServer {
  url: string;
  server: http.Server;
  close: () => Promise<void>;
}

const servers: TestServer[] = [];

/** Start a server; it is closed by afterEach unless `track` is false (then the caller closes it). */
async function startServer(handler: http.RequestListener, track = true): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const s: TestServer = {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  if (track) servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Read the request body, then respond. */
function respond(req: http.IncomingMessage, fn: () => void): void {
  req.resume();
  req.on("end", fn);
}

function sum(rec: Record<string, number>): number {
  return Object.values(rec).reduce((a, b) => a + b, 0);
}

/** Invariants every summary must satisfy. */
function expectConsistent(s: ProbeSummary): void {
  expect(s.requests).toBe(s.ok + s.failed);
  expect(s.requests).toBe(sum(s.statuses) + sum(s.errors));
  const non2xx = Object.entries(s.statuses)
    .filter(([code]) => !(Number(code) >= 200 && Number(code) < 300))
    .reduce((a, [, n]) => a + n, 0);
  expect(s.failed).toBe(non2xx + sum(s.errors));
  expect(s.latencyMs.count).toBe(sum(s.statuses));
  expect(sum(s.releases) + s.noRelease).toBe(sum(s.statuses));
  expect(s.failuresSample.length).toBe(Math.min(20, s.failed));
  expect(sum(s.perPath)).toBe(s.requests);
}

describe("runProbe", () => {
  it("all-200 server: failed 0, releases counted, sane percentiles, mix and bodies reach the server", async () => {
    const seen = { total: 0, about: 0, ping: 0, other: 0, badPingBody: 0 };
    const srv = await startServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        seen.total++;
        if (req.method === "GET" && req.url === "/about/") seen.about++;
        else if (req.method === "POST" && req.url === "/ping/00000000-0000-4000-8000-000000000001/") {
          seen.ping++;
          if (body.length === 0) seen.badPingBody++;
        } else seen.other++;
        res.setHeader("x-release", "rel-1");
        res.end("ok\n");
      });
    });

    const s = await runProbe({ url: srv.url, clients: 8, maxRequests: 200 });
    expectConsistent(s);
    expect(s.requests).toBe(200);
    expect(s.failed).toBe(0);
    expect(s.ok).toBe(s.requests);
    expect(s.statuses).toEqual({ "200": s.requests });
    expect(s.errors).toEqual({});
    expect(s.releases).toEqual({ "rel-1": s.requests });
    expect(s.noRelease).toBe(0);
    expect(s.failureWindow).toBeNull();
    expect(seen.total).toBe(s.requests);
    expect(seen.other).toBe(0);
    expect(seen.badPingBody).toBe(0);
    expect(s.perPath["GET /about/"]).toBe(seen.about);
    expect(s.perPath["POST /ping/00000000-0000-4000-8000-000000000001/"]).toBe(seen.ping);
    expect(Math.abs(seen.about - seen.ping)).toBeLessThanOrEqual(1); // default mix is 1:1

    const l = s.latencyMs;
    expect(l.min).toBeGreaterThan(0);
    expect(l.min).toBeLessThanOrEqual(l.p50);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(l.max).toBeLessThan(2000);
    expect(s.durationMs).toBeGreaterThan(0);
    expect(s.completions.reduce((a, b) => a + b, 0)).toBe(200);
    expect(s.rps).toBeGreaterThan(0);
    const w = s.releaseWindows["rel-1"]!;
    expect(w.firstMs).toBeLessThanOrEqual(w.lastMs);
    expect(w.lastMs).toBeLessThanOrEqual(s.durationMs);
    expect(s.keepAliveClients).toBe(4);
  });

  it("keepAliveShare: 0 opens a fresh connection per request with Connection: close; 1 reuses sockets", async () => {
    const sockets = new Set<unknown>();
    let closeHeader = 0;
    const srv = await startServer((req, res) =>
      respond(req, () => {
        sockets.add(req.socket);
        if (req.headers.connection === "close") closeHeader++;
        res.setHeader("x-release", "a");
        res.end("ok");
      }),
    );

    const fresh = await runProbe({ url: srv.url, clients: 4, maxRequests: 60, keepAliveShare: 0 });
    expectConsistent(fresh);
    expect(fresh.requests).toBe(60);
    expect(fresh.failed).toBe(0);
    expect(sockets.size).toBe(60);
    expect(closeHeader).toBe(60);

    sockets.clear();
    closeHeader = 0;
    const reuse = await runProbe({ url: srv.url, clients: 4, maxRequests: 200, keepAliveShare: 1 });
    expectConsistent(reuse);
    expect(reuse.requests).toBe(200);
    expect(reuse.failed).toBe(0);
    expect(sockets.size).toBeLessThanOrEqual(4);
    expect(closeHeader).toBe(0);
  });

  it("a server that stalls shows as a run of empty completion buckets", async () => {
    let n = 0;
    const srv = await startServer((req, res) =>
      respond(req, () => {
        n++;
        // Request 100 holds every response for 1.5 s (like a switch that blocks the site).
        const delay = n >= 100 && n < 100 + 4 ? 1500 : 0;
        setTimeout(() => res.end("release: r1\n"), delay);
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 4, maxRequests: 400 });
    expectConsistent(s);
    expect(s.failed).toBe(0);
    expect(longestStallMs(s, 0, s.durationMs)).toBeGreaterThanOrEqual(1500 - 2 * BUCKET_MS);
  });

  it("longestStallMs counts the longest run of empty buckets inside the window", () => {
    const completions = [5, 0, 0, 3, 0, 0, 0, 0, 7, 1];
    expect(longestStallMs({ completions }, 0, 9 * BUCKET_MS)).toBe(4 * BUCKET_MS);
    expect(longestStallMs({ completions }, 0, 3 * BUCKET_MS)).toBe(2 * BUCKET_MS);
    expect(longestStallMs({ completions }, 8 * BUCKET_MS, 9 * BUCKET_MS)).toBe(0);
    // Buckets past the end of the run count as empty: a probe that stopped early stalled.
    expect(longestStallMs({ completions }, 9 * BUCKET_MS, 11 * BUCKET_MS)).toBe(2 * BUCKET_MS);
  });

  it("server switching release mid-run: both releases seen, the later one starts later", async () => {
    let n = 0;
    const srv = await startServer((req, res) =>
      respond(req, () => {
        n++;
        res.setHeader("x-release", n <= 150 ? "old" : "new");
        res.end("ok");
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 8, maxRequests: 300 });
    expectConsistent(s);
    expect(s.failed).toBe(0);
    expect(s.releases).toEqual({ old: 150, new: 150 });
    const oldW = s.releaseWindows["old"]!;
    const newW = s.releaseWindows["new"]!;
    expect(newW.firstMs).toBeGreaterThan(oldW.firstMs);
    expect(newW.lastMs).toBeGreaterThanOrEqual(oldW.lastMs);
    // The switch is instantaneous server-side: by the time a request is sent, old answers cannot
    // trail behind the first new one by more than the requests already in flight (8 clients).
    expect(oldW.lastMs).toBeLessThanOrEqual(newW.firstMs + 1000);
  });

  it("falls back to a `release: X` line in the body when there is no x-release header", async () => {
    const srv = await startServer((req, res) =>
      respond(req, () => {
        res.setHeader("content-type", "text/html");
        res.end(req.url === "/about/" ? "<html><p>release: abc123</p></html>\n" : "pong\n");
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 2, maxRequests: 20 });
    expectConsistent(s);
    expect(s.failed).toBe(0);
    expect(s.releases).toEqual({ abc123: s.perPath["GET /about/"] });
    expect(s.noRelease).toBe(s.perPath["POST /ping/00000000-0000-4000-8000-000000000001/"]);
  });

  it("502 window: failed equals exactly the number of 502s the server sent", async () => {
    const sent = { total: 0, ok: 0, bad: 0 };
    const srv = await startServer((req, res) =>
      respond(req, () => {
        sent.total++;
        // Requests 60 to 89 meet a gateway error, by count (a time window would flake).
        if (sent.total >= 60 && sent.total < 90) {
          sent.bad++;
          res.statusCode = 502;
          res.setHeader("x-release", "gw");
          res.end("<html>502 Bad Gateway</html>");
        } else {
          sent.ok++;
          res.setHeader("x-release", "r1");
          res.end("ok");
        }
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 8, maxRequests: 200, keepAliveShare: 0.5 });
    expectConsistent(s);
    expect(sent.bad).toBe(30);
    expect(sent.ok).toBe(170);
    expect(s.requests).toBe(sent.total);
    expect(s.failed).toBe(sent.bad);
    expect(s.statuses["502"]).toBe(sent.bad);
    expect(s.ok).toBe(sent.ok);
    expect(s.errors).toEqual({});
    expect(s.failuresSample.every((f) => f.status === 502 && f.error === undefined)).toBe(true);
    expect(s.failureWindow).not.toBeNull();
    expect(s.failureWindow!.firstMs).toBeLessThanOrEqual(s.failureWindow!.lastMs);
  });

  it("404 counts as failed", async () => {
    const srv = await startServer((req, res) =>
      respond(req, () => {
        res.statusCode = req.url === "/missing/" ? 404 : 200;
        res.end();
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 2, maxRequests: 40, paths: ["GET /missing/", "GET /about/"] });
    expectConsistent(s);
    expect(s.statuses["404"]).toBe(s.perPath["GET /missing/"]);
    expect(s.failed).toBe(s.statuses["404"]);
    expect(s.failed).toBeGreaterThan(0);
  });

  it('a path given "=301" counts only a 301 as success (an app that redirects plain HTTP to HTTPS)', async () => {
    const srv = await startServer((req, res) =>
      respond(req, () => {
        res.statusCode = req.url === "/" ? 301 : 200;
        res.end();
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 2, maxRequests: 40, paths: ["GET / =301", "GET /gone/ 1 =301"] });
    expectConsistent(s);
    // "/" answers the expected 301; "/gone/" answers 200 where 301 was expected: a failure.
    expect(s.failed).toBe(s.perPath["GET /gone/"]);
    expect(s.perPath["GET /"]).toBeGreaterThan(0);
    expect(s.failed).toBeGreaterThan(0);
  });

  it("keep-alive sockets reset between requests are counted as ECONNRESET, never retried", async () => {
    const perSocket = new WeakMap<object, number>();
    const server = { n: 0, destroyed: 0, answered: 0 };
    const srv = await startServer((req, res) =>
      respond(req, () => {
        server.n++;
        const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
        perSocket.set(req.socket, onSocket);
        // Every 7th request that arrives on a *reused* keep-alive socket: reset
        // the connection without answering (what a killed/restarted upstream does).
        if (onSocket >= 2 && server.n % 7 === 0) {
          server.destroyed++;
          req.socket.destroy();
          return;
        }
        server.answered++;
        res.setHeader("x-release", "r1");
        res.end("ok");
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 4, maxRequests: 400, keepAliveShare: 1 });
    expectConsistent(s);
    expect(server.destroyed).toBeGreaterThan(0);
    // No retries: the server saw every attempt exactly once.
    expect(server.n).toBe(s.requests);
    expect(s.requests).toBe(400);
    expect(s.failed).toBe(server.destroyed);
    expect(s.errors).toEqual({ ECONNRESET: server.destroyed });
    expect(s.errorsOnReusedSocket).toBe(server.destroyed);
    expect(s.ok).toBe(server.answered);
    expect(s.failuresSample[0]).toMatchObject({ error: "ECONNRESET", reusedSocket: true });
  });

  it("a response cut off mid-body is a connection error, not a 200", async () => {
    const srv = await startServer((req, res) =>
      respond(req, () => {
        res.writeHead(200, { "content-length": "100", "x-release": "r1" });
        // Cut once the headers and part of the body are on the wire.
        res.write("0123456789", () => res.socket?.destroy());
      }),
    );
    const s = await runProbe({ url: srv.url, clients: 2, maxRequests: 6 });
    expectConsistent(s);
    expect(s.statuses).toEqual({});
    expect(s.errors).toEqual({ ECONNRESET: 6 });
    expect(s.failed).toBe(6);
    expect(s.releases).toEqual({});
  });

  it("server closing idle keep-alive connections: every attempt is accounted for", async () => {
    let answered = 0;
    const srv = await startServer((req, res) =>
      respond(req, () => {
        answered++;
        res.setHeader("x-release", "r1");
        res.end("ok");
      }),
    );
    const iv = setInterval(() => srv.server.closeIdleConnections(), 1);
    try {
      const s = await runProbe({ url: srv.url, clients: 8, maxRequests: 300, keepAliveShare: 1 });
      expectConsistent(s);
      expect(s.requests).toBeGreaterThan(0);
      // Only connection errors can fail here, and the client can never see more 200s than were sent.
      expect(s.failed).toBe(sum(s.errors));
      expect(s.statuses["200"] ?? 0).toBeLessThanOrEqual(answered);
      for (const code of Object.keys(s.errors)) expect(["ECONNRESET", "EPIPE"]).toContain(code);
    } finally {
      clearInterval(iv);
    }
  });

  it("connection refused and timeouts are counted by code", async () => {
    const dead = await startServer(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    servers.splice(servers.indexOf(dead), 1);
    const refused = await runProbe({ url: deadUrl, clients: 2, maxRequests: 6 });
    expectConsistent(refused);
    expect(refused.errors).toEqual({ ECONNREFUSED: 6 });
    expect(refused.failed).toBe(6);

    const hang = await startServer((req) => req.resume()); // never answers
    const s = await runProbe({ url: hang.url, clients: 2, maxRequests: 4, timeoutMs: 100 });
    expectConsistent(s);
    expect(s.errors).toEqual({ timeout: 4 });
    expect(s.failed).toBe(4);
    expect(s.durationMs).toBeGreaterThanOrEqual(195);
  });

  it("stops on abort signal; honours weights, host header and maxRequests", async () => {
    const hosts = new Set<string | undefined>();
    const perUrl: Record<string, number> = {};
    const srv = await startServer((req, res) =>
      respond(req, () => {
        hosts.add(req.headers.host);
        perUrl[req.url ?? ""] = (perUrl[req.url ?? ""] ?? 0) + 1;
        res.end("release: x1\n");
      }),
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const s = await runProbe({
      url: srv.url + "/prefix",
      clients: 4,
      signal: ac.signal,
      paths: ["GET /a/ 3", { method: "get", path: "/b/?q=1" }],
      hostHeader: "example.test",
    });
    expectConsistent(s);
    expect(s.durationMs).toBeLessThan(1500);
    expect(s.failed).toBe(0);
    expect(s.releases).toEqual({ x1: s.requests });
    expect([...hosts]).toEqual(["example.test"]);
    expect(perUrl["/prefix/a/"]).toBe(s.perPath["GET /a/"]);
    expect(perUrl["/prefix/b/?q=1"]).toBe(s.perPath["GET /b/?q=1"]);
    // weights 3:1 -> within one request of an exact 75 % share
    expect(Math.abs(perUrl["/prefix/a/"]! - 0.75 * s.requests)).toBeLessThanOrEqual(1);

    const already = new AbortController();
    already.abort();
    const none = await runProbe({ url: srv.url, signal: already.signal });
    expect(none.requests).toBe(0);

    await expect(runProbe({ url: srv.url })).rejects.toThrow(/never stop/);
  });
});

describe("requestOnce", () => {
  it("a slow request completes with 200 and ms >= the delay", async () => {
    const srv = await startServer((req, res) =>
      respond(req, () => {
        const u = new URL(req.url ?? "/", "http://x");
        const ms = Number(u.searchParams.get("seconds") ?? "0") * 1000;
        setTimeout(() => {
          res.setHeader("x-release", "r9");
          res.end(`slept ${ms}\n`);
        }, ms);
      }),
    );
    const r = await requestOnce(`${srv.url}/slow/?seconds=0.3`);
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(295);
    expect(r.body).toBe("slept 300\n");
    expect(r.headers["x-release"]).toBe("r9");
  });

  it("sends a body, returns non-2xx statuses, rejects on timeout / refused with a code", async () => {
    const srv = await startServer((req, res) => {
      if (req.url === "/hang/") return;
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (body += c));
      req.on("end", () => {
        res.statusCode = req.url === "/teapot/" ? 418 : 200;
        res.end(`${req.method} ${body}`);
      });
    });
    const post = await requestOnce(`${srv.url}/echo/`, { method: "POST", body: "hi" });
    expect(post).toMatchObject({ status: 200, body: "POST hi" });
    const teapot = await requestOnce(`${srv.url}/teapot/`);
    expect(teapot.status).toBe(418);
    await expect(requestOnce(`${srv.url}/hang/`, { timeoutMs: 100 })).rejects.toMatchObject({ code: "timeout" });
    await srv.close();
    servers.splice(servers.indexOf(srv), 1);
    await expect(requestOnce(`${srv.url}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  args: string[],
  opts: { killWhen?: Promise<unknown>; viaTsxBinary?: boolean } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...pre] = opts.viaTsxBinary ? [TSX] : NODE_TSX;
    const child = spawn(cmd, [...pre, CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let done = false;
    void opts.killWhen?.then(() => {
      if (!done) child.kill("SIGTERM");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      done = true;
      resolve({ code, stdout, stderr });
    });
  });
}

function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1); // exactly one line of JSON
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

describe("probe CLI (tsx)", () => {
  it.concurrent(
    "prints one JSON line with the headline keys first and exits 0 when all requests succeed",
    async () => {
      let served = 0;
      const srv = await startServer(
        (req, res) =>
          respond(req, () => {
            served++;
            res.setHeader("x-release", "cli-1");
            res.end("ok");
          }),
        false,
      );
      const r = await runCli(["--url", srv.url, "--clients", "4", "--duration", "500ms"], {
        viaTsxBinary: true,
      }).finally(srv.close);
      expect(r.stderr).not.toMatch(/probe:/);
      expect(r.code).toBe(0);
      const j = lastJsonLine(r.stdout);
      expect(Object.keys(j).slice(0, 5)).toEqual(["requests", "failed", "p50_ms", "p99_ms", "releases"]);
      expect(j["failed"]).toBe(0);
      expect(j["requests"]).toBe(served);
      expect(j["releases"]).toEqual({ "cli-1": served });
      expect(typeof j["p50_ms"]).toBe("number");
    },
    15_000,
  );

  it.concurrent(
    "exits 1 when the server answers 500",
    async () => {
      const srv = await startServer(
        (req, res) =>
          respond(req, () => {
            res.statusCode = 500;
            res.end("boom");
          }),
        false,
      );
      const r = await runCli([
        "--url",
        srv.url,
        "--clients",
        "2",
        "--duration",
        "300ms",
        "--path",
        "GET /about/",
      ]).finally(srv.close);
      expect(r.code).toBe(1);
      const j = lastJsonLine(r.stdout);
      expect(j["requests"]).toBeGreaterThan(0);
      expect(j["failed"]).toBe(j["requests"]);
      expect(j["statuses"]).toEqual({ "500": j["requests"] });
    },
    15_000,
  );

  it.concurrent(
    "without --duration runs until SIGTERM, then prints the summary",
    async () => {
      let served = 0;
      let firstRequest!: () => void;
      const started = new Promise<void>((resolve) => (firstRequest = resolve));
      const srv = await startServer(
        (req, res) =>
          respond(req, () => {
            if (++served === 1) firstRequest();
            res.setHeader("x-release", "sig");
            res.end("ok");
          }),
        false,
      );
      // Signal only once the probe is demonstrably running (tsx start-up time varies).
      const killWhen = started.then(() => new Promise((r) => setTimeout(r, 200)));
      const r = await runCli(["--url", srv.url, "--clients", "2"], { killWhen }).finally(srv.close);
      expect(r.code).toBe(0);
      const j = lastJsonLine(r.stdout);
      expect(j["requests"]).toBe(served);
      expect(j["failed"]).toBe(0);
      expect(r.stderr).toMatch(/SIGTERM/);
    },
    15_000,
  );

  it.concurrent(
    "bad flags print usage to stderr and exit 2",
    async () => {
      const [bad, unknown] = await Promise.all([
        runCli(["--url", "http://127.0.0.1:1", "--duration", "soon"]),
        runCli(["--nope"]),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toMatch(/invalid duration/);
      expect(bad.stderr).toMatch(/usage:/);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown argument/);
    },
    15_000,
  );
});
