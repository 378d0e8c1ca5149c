// "Every `pulumi up` is zero-downtime", measured: on one running stack, each
// setting that reaches the host is changed alone and deployed under load;
// then a host restart, drift found by `pulumi refresh`, and deploys
// interrupted (Ctrl-C, and a kill of the CLI and everything it started) in
// each phase. Real engine, real sandbox host; never skipped.
import * as crypto from "crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeAppVariant } from "../support/appVariants";
import { deployUnderLoad, DeployUnderLoadResult } from "../support/deployUnderLoad";
import { longestStallMs, requestOnce, runProbe } from "../../probe/probe";
import { shellQuote } from "../../src/host/ssh";
import { CliResult, SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2224 };
const LISTEN = "127.0.0.1:8082";
const URL = `http://${LISTEN}`;
const stack = new SandboxStack("ichange");
const onHost = (command: string) => sandboxExec(place, command);

/** The stack's app settings, changed one at a time by the cases below. */
let app: Record<string, any>;
let site: Record<string, any>;
const apply = () => stack.setPlain({ app, site });

/** Which resources a preview would replace and update, by name. */
function planned(preview: CliResult) {
  const steps = preview.stdout
    .split("\n")
    .map((l) =>
      /^\s*(?:\+\+|\+-|--|~|\+|-)\s+\S+:\S+ (\S+) (create replacement|replace|delete original|update|create|delete)\s/.exec(
        l,
      ),
    )
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], verb: m[2] }));
  const named = (verb: string) => [...new Set(steps.filter((s) => s.verb === verb).map((s) => s.name))].sort();
  return { replace: named("replace"), update: named("update"), other: [...named("create"), ...named("delete")] };
}

/** Supervisor programs on the host as "name STATE". */
async function programs(): Promise<string[]> {
  return (await onHost("supervisorctl status || true"))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(/\s+/).slice(0, 2).join(" "));
}

/** One program per role (web, site, each job), all RUNNING, and no config file without its program. */
async function expectOneProgramPerRole() {
  const running = await programs();
  const roles = running.map((p) => p.replace(/^hc-(web|site|alerts)-.*$/, "$1")).sort();
  expect(roles, running.join("\n")).toEqual(["alerts", "site", "web"]);
  for (const p of running) expect(p, running.join("\n")).toMatch(/ RUNNING$/);
  const confs = (await onHost("ls /etc/supervisor/conf.d/")).trim().split("\n").sort();
  expect(confs).toEqual(running.map((p) => `${p.split(" ")[0]}.conf`).sort());
}

async function serves() {
  const r = await requestOnce(`${URL}/about/`);
  expect(r.status).toBe(200);
  return String(r.headers["x-release"]);
}

function expectNoFailures(r: { probe: DeployUnderLoadResult["probe"] }, window?: [number, number]) {
  const p = r.probe;
  const summary = JSON.stringify({
    failed: p.failed,
    errors: p.errors,
    statuses: p.statuses,
    sample: p.failuresSample.slice(0, 5),
  });
  expect(p.failed, summary).toBe(0);
  expect(p.errors, summary).toEqual({});
  expect(p.noRelease).toBe(0);
  // Requests kept completing the whole time: no stall of a second or more.
  if (window) expect(longestStallMs(p, window[0], window[1])).toBeLessThan(1000);
}

beforeAll(async () => {
  const sandbox = await startSandbox({ ...place, fresh: true });
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  await stack.setSecretPath("secretEnv.API_TOKEN", "first-token");
  app = {
    name: "hc",
    source: makeAppVariant("v1"),
    workers: 2,
    keepReleases: 3,
    env: { WORKER_HEARTBEAT_FILE: "/srv/hc/run/alerts.heartbeat", FEATURE: "a" },
    jobs: [{ name: "alerts", command: "python manage.py sendalerts" }],
    healthCheck: { path: "/about/", expectText: "Monkey See Monkey Do", timeoutSeconds: 60 },
  };
  site = { listen: LISTEN };
  apply();
  const r = await stack.up();
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

afterAll(async () => {
  await stack.destroy();
  await stack.remove();
  await stopSandbox(place);
});

// A new release replaces the release, its programs, and moves the upstream.
const NEW_RELEASE = {
  replace: ["hc-job-alerts-program", "hc-release-build", "hc-web-program"],
  update: ["hc-site-upstream"],
};
const NEW_WEB = { replace: ["hc-web-program"], update: ["hc-site-upstream"] };

const cases: Array<{
  setting: string;
  change: () => Promise<void> | void;
  expect: { replace: string[]; update: string[] };
}> = [
  { setting: "app.workers", change: () => void (app.workers = 3), expect: NEW_WEB },
  { setting: "app.wsgi", change: () => void (app.wsgi = "hc.wsgi:app"), expect: NEW_WEB },
  { setting: "app.healthCheck.path", change: () => void (app.healthCheck.path = "/about/?check[]=1"), expect: NEW_WEB },
  {
    setting: "app.jobs[0].command",
    change: () => void (app.jobs[0].command = "python manage.py sendalerts --verbosity 2"),
    expect: { replace: ["hc-job-alerts-program"], update: [] },
  },
  { setting: "app.env value", change: () => void (app.env.FEATURE = "b"), expect: NEW_RELEASE },
  {
    setting: "app.manage",
    change: () => void (app.manage = ["collectstatic --noinput", "migrate --noinput", "check"]),
    expect: NEW_RELEASE,
  },
  {
    setting: "secretEnv value",
    change: () => stack.setSecretPath("secretEnv.API_TOKEN", "second-token"),
    expect: NEW_RELEASE,
  },
  {
    setting: "djangoSecretKey",
    change: () => stack.setSecret("djangoSecretKey", crypto.randomBytes(32).toString("base64url")),
    expect: NEW_RELEASE,
  },
  {
    setting: "dbPassword",
    change: () => stack.setSecret("dbPassword", crypto.randomBytes(18).toString("base64url")),
    expect: { replace: NEW_RELEASE.replace, update: ["hc-host-bootstrap", "hc-site-upstream"] },
  },
  {
    setting: "site.clientMaxBodySize",
    change: () => void (site.clientMaxBodySize = "20m"),
    expect: { replace: ["hc-site-program"], update: ["hc-site-switch"] },
  },
  {
    // The site's names also make the app's default ALLOWED_HOSTS: a new release too.
    setting: "site.serverName",
    change: () => void (site.serverName = "127.0.0.1 localhost"),
    expect: {
      replace: ["hc-site-program", ...NEW_RELEASE.replace].sort(),
      update: ["hc-site-switch", "hc-site-upstream"],
    },
  },
  {
    setting: "app.keepReleases",
    change: () => void (app.keepReleases = 4),
    expect: { replace: [], update: ["hc-release-build"] },
  },
  { setting: "app.sharedDirs", change: () => void (app.sharedDirs = ["media"]), expect: NEW_RELEASE },
  {
    setting: "site.static",
    change: () => void (site.static = "app"),
    expect: { replace: ["hc-site-program"], update: ["hc-site-switch"] },
  },
  {
    // Installed by the bootstrap, beside the running release: nothing else moves.
    setting: "app.packages",
    change: () => void (app.packages = ["libyaml-dev"]),
    expect: { replace: [], update: ["hc-host-bootstrap"] },
  },
];

describe("each setting changed alone: preview shows exactly its steps, up drops no request", () => {
  for (const c of cases) {
    test(c.setting, async () => {
      const before = await serves();
      await c.change();
      apply();
      const plan = planned(await stack.preview());
      expect(plan).toEqual({ ...c.expect, other: [] });

      // A 10 s request is still in flight at the switch; 12 s of load see every up through (fifteen cases).
      const r = await deployUnderLoad(stack, { url: URL, slowSeconds: 10, minProbeMs: 12_000 });
      console.log(
        JSON.stringify({
          setting: c.setting,
          requests: r.probe.requests,
          failed: r.probe.failed,
          up_s: r.up.seconds,
          slow: r.slow,
        }),
      );
      expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
      expectNoFailures(r, [r.upStartMs, r.upEndMs]);
      if (c.expect.replace.length) expect(r.slow).toMatchObject({ status: 200, release: before });
      await expectOneProgramPerRole();
      const after = await serves();
      expect(after === before).toBe(!c.expect.replace.includes("hc-release-build"));
      expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    });
  }
});

describe("the host lock", () => {
  test("a deploy waits while another holds the app's lock on the host, then succeeds", async () => {
    // Stands for a second stack, or a step orphaned by a dropped connection, changing the host
    // for 20 s; it notes when it let go.
    await onHost(
      "rm -f /tmp/lock-released; install -d -m 700 /run/djangozd; setsid bash -c 'exec 8<>/run/djangozd/hc.lock; flock 8; echo \"another deploy (test)\" >/run/djangozd/hc.lock; sleep 20; date +%s >/tmp/lock-released' </dev/null >/dev/null 2>&1 & sleep 0.5",
    );
    app.workers = 2;
    apply();
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.seconds).toBeGreaterThan(20);
    const web = (await programs()).find((p) => p.startsWith("hc-web-"))!.split(" ")[0];
    // The new program's config was written (under the lock) only after the holder let go.
    const [released, written] = (await onHost(`cat /tmp/lock-released; stat -c %Y /etc/supervisor/conf.d/${web}.conf`))
      .trim()
      .split("\n")
      .map(Number);
    expect(written).toBeGreaterThanOrEqual(released);
    await serves();
    await expectOneProgramPerRole();
  });
});

describe("the host restarts", () => {
  test("after a power cut the app serves by itself, and refresh and preview find nothing to change", async () => {
    await stopSandbox(place);
    expect(
      await requestOnce(`${URL}/about/`).then(
        (r) => r.status,
        () => "down",
      ),
    ).toBe("down");
    const t0 = Date.now();
    await startSandbox(place);
    await expect
      .poll(
        () =>
          requestOnce(`${URL}/about/`).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 60_000, interval: 250 },
      )
      .toBe(200);
    console.log(JSON.stringify({ case: "boot", serving_after_s: (Date.now() - t0) / 1000 }));
    // Every program comes back (RUNNING once it has stayed up for supervisor's startsecs).
    await expect.poll(async () => (await programs()).every((p) => / RUNNING$/.test(p)), { timeout: 30_000 }).toBe(true);
    await expectOneProgramPerRole();
    const refresh = await stack.cli(["refresh", "--yes", "--config-file", stack.configFile]);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });
});

describe("drift: pulumi refresh notices what is missing on the host, and up repairs it", () => {
  test("a job stopped by hand is started again, under load, with no failed request", async () => {
    const job = (await programs()).find((p) => p.startsWith("hc-alerts-"))!.split(" ")[0];
    await onHost(`supervisorctl stop ${job}`);
    const refresh = await stack.cli(["refresh", "--yes", "--config-file", stack.configFile]);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    expect(refresh.stdout).toMatch(/hc-job-alerts-program\s+updated/);
    expect(planned(await stack.preview())).toEqual({ replace: [], update: ["hc-job-alerts-program"], other: [] });
    const r = await deployUnderLoad(stack, { url: URL, slowSeconds: 0 });
    expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
    expectNoFailures(r, [r.upStartMs, r.upEndMs]);
    await expectOneProgramPerRole();
    expect((await programs()).find((p) => p.startsWith(job))).toBe(`${job} RUNNING`);
  });

  test("the web and site programs stopped by hand: `up --refresh` brings the site back", async () => {
    for (const p of await programs())
      if (/^hc-(web|site)-/.test(p)) await onHost(`supervisorctl stop ${p.split(" ")[0]}`);
    expect(
      await requestOnce(`${URL}/about/`).then(
        (r) => r.status,
        () => 0,
      ),
    ).not.toBe(200);
    const r = await stack.up(["--refresh"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await serves();
    await expectOneProgramPerRole();
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });
});

describe("an interrupted deploy converges on the next up, and no request fails throughout", () => {
  // Each phase is recognised on the host itself, polled every 50 ms.
  const phases: Array<{
    phase: string;
    signal: "SIGINT" | "SIGKILL";
    newVenv?: boolean;
    slowSeconds?: number;
    when: string;
  }> = [
    // Earlier deploys' uploads stay until prune: only one newer than this case counts.
    {
      phase: "upload",
      signal: "SIGKILL",
      when: "find /srv/hc/uploads -name '*.tar.gz' -newer /tmp/before.sock | grep -q .",
    },
    { phase: "venv build", signal: "SIGKILL", newVenv: true, when: "ls -d /srv/hc/venvs/*.partial" },
    { phase: "venv build", signal: "SIGINT", newVenv: true, when: "ls -d /srv/hc/venvs/*.partial" },
    { phase: "management commands", signal: "SIGKILL", when: "pgrep -f 'manage.py (collectstatic|migrate)'" },
    { phase: "health check", signal: "SIGKILL", when: "[ $(ls /etc/supervisor/conf.d/hc-web-*.conf | wc -l) -gt 1 ]" },
    { phase: "health check", signal: "SIGINT", when: "[ $(ls /etc/supervisor/conf.d/hc-web-*.conf | wc -l) -gt 1 ]" },
    {
      phase: "switch",
      signal: "SIGKILL",
      when: '[ "$(readlink /srv/hc/run/current.sock)" != "$(cat /tmp/before.sock)" ]',
    },
    // The slow request keeps the old gunicorn stopping (finishing it) for seconds.
    { phase: "old-program stop", signal: "SIGKILL", slowSeconds: 25, when: "supervisorctl status | grep -q STOPPING" },
  ];
  let n = 0;
  for (const c of phases) {
    test(`${c.signal} during ${c.phase}`, async () => {
      n++;
      await onHost("readlink /srv/hc/run/current.sock > /tmp/before.sock");
      app.source = makeAppVariant(`i${n}`, c.newVenv ? { extraRequirements: [`six==1.1${n % 8}.0`] } : {});
      apply();
      const stop = new AbortController();
      const started = Date.now();
      const probe = runProbe({ url: URL, clients: 32, keepAliveShare: 0.5, signal: stop.signal });
      // A request in flight across the old program's stop (the last phase waits on it).
      const slow = requestOnce(`${URL}/slow/?seconds=${c.slowSeconds ?? 10}`, { timeoutMs: 60_000 }).then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 1000));

      const first = stack.startCli(stack.upArgs());
      const reached = onHost(
        `timeout 120 bash -c ${shellQuote(`until ${c.when} >/dev/null 2>&1; do sleep 0.05; done`)} && echo reached`,
      );
      expect(await Promise.race([reached, first.done.then(() => "up ended first")])).toBe("reached\n");
      if (c.signal === "SIGINT") first.child.kill("SIGINT");
      else SandboxStack.killTree(first.child.pid!);
      const interrupted = await first.done;

      // What a user does after an interruption (README): unlock if the run was killed, then up again.
      if (c.signal === "SIGKILL") await stack.mustCli(["cancel", "--yes"]);
      const again = await stack.up();
      const upEndMs = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1000));
      stop.abort();
      const p = await probe;
      console.log(
        JSON.stringify({
          case: `${c.signal} during ${c.phase}`,
          interrupted_s: interrupted.seconds,
          up_s: again.seconds,
          requests: p.requests,
          failed: p.failed,
        }),
      );
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expectNoFailures({ probe: p }, [0, upEndMs]);
      expect(await slow).toBe(200);
      expect((await requestOnce(`${URL}/about/`)).body).toContain(`version: i${n}`);
      await expectOneProgramPerRole();
      expect(await onHost("ls -d /srv/hc/releases/*.partial /srv/hc/venvs/*.partial 2>/dev/null | wc -l")).toBe("0\n");
      expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    });
  }
});
