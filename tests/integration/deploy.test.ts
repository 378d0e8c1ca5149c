// The product's promise, measured with real parts: the real Pulumi engine
// drives a fresh sandbox host (sshd, nginx, supervisor, gunicorn, PostgreSQL,
// Django) through preview, up, a no-op up, three deploys under load, a broken
// release, a recovery and destroy. Never skipped: a missing engine or sandbox
// is a failure.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ed25519HostKey } from "../../src/components/droplet";
import { runOverSsh } from "../../src/host/ssh";
import { parseTimeline, TIMELINE_ENV } from "../../src/host/timeline";
import { deployUnderLoad, DeployUnderLoadResult } from "../support/deployUnderLoad";
import { BUCKET_MS, longestStallMs, requestOnce } from "../../probe/probe";
import { SandboxInfo, SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";
import { makeAppVariant } from "../support/appVariants";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const LISTEN = "127.0.0.1:8081";
const URL = `http://${LISTEN}`;
const KEEP_RELEASES = 3;
const stack = new SandboxStack("itest");
let sandbox: SandboxInfo;

function appConfig(source: string) {
  return {
    name: "hc",
    source,
    keepReleases: KEEP_RELEASES,
    jobs: [
      { name: "alerts", command: "python manage.py sendalerts --heartbeat-file /srv/hc/run/alerts.heartbeat" },
      // Stands for a job that must never run twice at once.
      {
        name: "digest",
        command: "python manage.py sendalerts --heartbeat-file /srv/hc/run/digest.heartbeat",
        singleton: true,
      },
    ],
    healthCheck: { path: "/about/", expectText: "Monkey See Monkey Do", timeoutSeconds: 60 },
  };
}

function deploy(source: string) {
  stack.setPlain({ app: appConfig(source) });
}

const onHost = (command: string) => sandboxExec(place, command);

async function aboutRelease(): Promise<{ version: string; release: string }> {
  const r = await requestOnce(`${URL}/about/`);
  expect(r.status).toBe(200);
  const version = /version: (\S+)/.exec(r.body)?.[1] ?? "";
  return { version, release: String(r.headers["x-release"]) };
}

/** The supervisor programs of one release and the site program, sorted: one per role (names less their definition digest). */
const roles = (release: string) => [`hc-alerts-${release}`, `hc-digest-${release}`, "hc-site", `hc-web-${release}`];
/** A program's name less its definition digest: app-role-release. */
const roleOf = (program: string) => program.replace(/-[0-9a-f]{8}$/, "");

async function programs(): Promise<string[]> {
  const out = await onHost("supervisorctl status || true");
  return out.trim().split("\n").filter(Boolean);
}

function expectZeroDowntime(r: DeployUnderLoadResult) {
  // On record in the test output: the figures behind "zero downtime".
  const p = r.probe;
  const stall = longestStallMs(p, r.upStartMs, r.upEndMs);
  const rate = (from: number, to: number) =>
    p.completions.slice(Math.floor(from / BUCKET_MS), Math.floor(to / BUCKET_MS)).reduce((a, b) => a + b, 0) /
    ((to - from) / 1000);
  const [before, during] = [rate(0, r.upStartMs), rate(r.upStartMs, r.upEndMs)];
  console.log(
    JSON.stringify({
      requests: p.requests,
      failed: p.failed,
      p50_ms: p.latencyMs.p50,
      p99_ms: p.latencyMs.p99,
      max_ms: p.latencyMs.max,
      longest_stall_ms: stall,
      rps_before: Math.round(before),
      rps_during: Math.round(during),
      releases: p.releases,
      up_s: r.up.seconds,
      slow: r.slow,
    }),
  );
  const summary = JSON.stringify({
    up: r.up.code,
    failed: r.probe.failed,
    errors: r.probe.errors,
    statuses: r.probe.statuses,
    sample: r.probe.failuresSample.slice(0, 5),
  });
  expect(r.probe.failed, summary).toBe(0);
  expect(r.probe.errors, summary).toEqual({});
  expect(r.probe.noRelease).toBe(0);
  // Stalls fail too: requests kept completing (never half a second without one), none took
  // longer than 5 s, and the deploy kept at least a third of the throughput measured just before it.
  expect(stall).toBeLessThanOrEqual(500);
  expect(p.latencyMs.max).toBeLessThan(5000);
  expect(during).toBeGreaterThan(before / 3);
}

beforeAll(async () => {
  // A fresh host every run, as a new droplet would be.
  sandbox = await startSandbox({ ...place, fresh: true });
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  stack.setPlain({ app: appConfig(makeAppVariant("v1")), site: { listen: LISTEN } });
});

afterAll(async () => {
  await stack.remove();
  // Nothing of the test keeps running; the sandbox's files stay for a look.
  await stopSandbox(place);
});

describe("a new host", () => {
  test("a connection that presents another host key is refused", async () => {
    const other = ed25519HostKey(Buffer.alloc(32, 99)).publicKey;
    const target = {
      host: sandbox.host,
      port: sandbox.port,
      user: sandbox.user,
      privateKey: fs.readFileSync(sandbox.keyFile, "utf8"),
      dialAttempts: 1,
    };
    await expect(runOverSsh({ ...target, hostKey: other }, "# probe\ntrue", "", 10)).rejects.toThrow(
      /host key mismatch/,
    );
    await expect(
      runOverSsh({ ...target, hostKey: sandbox.hostKey }, "# probe\necho ok", "", 10),
    ).resolves.toMatchObject({ stdout: "ok\n" });
  });

  test("preview shows every resource to create and touches nothing", async () => {
    const r = await stack.preview();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\+ 20 to create/);
    expect(await onHost("test -e /srv/hc && echo present || echo absent")).toBe("absent\n");
  });

  test("up bootstraps the host and deploys v1: nginx, supervisor and PostgreSQL answer", async () => {
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await aboutRelease()).version).toBe("v1");
    expect(await onHost(`su postgres -c "psql -tAc 'select 1'"`)).toBe("1\n");
    expect((await programs()).filter((p) => / RUNNING /.test(p))).toHaveLength(4);
    const ping = await requestOnce(`${URL}/ping/00000000-0000-4000-8000-000000000001/`, {
      method: "POST",
      body: "hello",
    });
    expect([ping.status, ping.body]).toEqual([200, "OK"]);
    // PostgreSQL listens on its unix socket only.
    expect(await onHost(`su postgres -c "psql -tAc 'show listen_addresses'"`)).toBe("\n");
  });

  test("a second up with nothing changed changes nothing and says so", async () => {
    const r = await stack.up();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Resources:\s+20 unchanged/);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });

  test("invalid config fails before anything changes, naming every bad setting", async () => {
    const before = await aboutRelease();
    stack.setPlain({ site: { listen: "eighty" }, appp: { name: "typo" } });
    const r = await stack.up();
    stack.setPlain({ site: { listen: LISTEN }, appp: undefined });
    expect(r.code).not.toBe(0);
    const output = r.stdout + r.stderr;
    expect(output).toContain("Invalid stack configuration:");
    expect(output).toMatch(/site\.listen: .*"eighty"/);
    expect(output).toMatch(/appp: unknown setting; did you mean "app"\?/);
    // No step ran: only the stack itself is listed, unchanged.
    expect(output).not.toMatch(/^\s*(\+\+|\+-|--|~|\+|-)\s+\S+:\S+ /m);
    expect(output).toMatch(/Resources:\s+1 unchanged/);
    expect(await aboutRelease()).toEqual(before);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });
});

describe("deploys under load", () => {
  test("preview of a new version: release, web program and workers replaced, upstream updated, nothing else", async () => {
    deploy(makeAppVariant("v2"));
    const r = await stack.preview();
    expect(r.code, r.stderr).toBe(0);
    const steps = r.stdout
      .split("\n")
      .map((l) =>
        /^\s*(?:\+\+|\+-|--|~|\+|-)\s+\S+:\S+ (\S+) (create replacement|replace|delete original|update|create|delete)\s/.exec(
          l,
        ),
      )
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1], verb: m[2] }));
    const named = (verb: string) =>
      steps
        .filter((s) => s.verb === verb)
        .map((s) => s.name)
        .sort();
    expect(named("replace")).toEqual([
      "hc-job-alerts-program",
      "hc-job-digest-program",
      "hc-release-build",
      "hc-web-program",
    ]);
    expect(named("update")).toEqual(["hc-site-upstream"]);
    expect([...named("create"), ...named("delete")]).toEqual([]);
    expect(r.stdout).toMatch(/\+-4 to replace/);
  });

  for (const version of ["v2", "v1", "v2"]) {
    test(`to ${version}: zero failed requests, a 25 s request spans the old program's stop, the new release answers after`, async () => {
      const before = await aboutRelease();
      const oldPrograms = (await programs()).map((l) => l.split(/\s+/)[0]);
      const supervisorLogLines = Number(await onHost("wc -l < /var/log/supervisor/supervisord.log"));
      deploy(makeAppVariant(version));
      const timeline = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "timeline-")), "up.jsonl");
      const r = await deployUnderLoad(stack, {
        url: URL,
        slowSeconds: 25,
        action: () => stack.up([], { [TIMELINE_ENV]: timeline }),
      });
      expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
      expectZeroDowntime(r);

      // The timeline the up wrote shows the order that keeps the site up: the release built, the
      // new web program healthy, the upstream switched, and only then the old web program stopped.
      const steps = parseTimeline(fs.readFileSync(timeline, "utf8"));
      const step = (resource: string, op: string) => {
        const found = steps.filter((s) => s.resource === resource && s.op === op);
        expect(found, `${resource} ${op} in ${JSON.stringify(steps)}`).toHaveLength(1);
        return found[0];
      };
      const [release, web, upstream, webStop] = [
        step("hc-release-build", "create"),
        step("hc-web-program", "create"),
        step("hc-site-upstream", "update"),
        step("hc-web-program", "delete"),
      ];
      expect(steps.every((s) => s.ok && s.start <= s.end)).toBe(true);
      expect(release.end).toBeLessThanOrEqual(web.start);
      expect(web.marks.map((m) => m.text).join("\n")).toMatch(/started; checking it[^]*healthy after/);
      expect(web.end).toBeLessThanOrEqual(upstream.start);
      expect(upstream.end).toBeLessThanOrEqual(webStop.start);
      expect(webStop.marks.map((m) => m.text).join("\n")).toMatch(/stopping hc-web-/);

      // The slow request was answered in full by the old release, and was still in flight when
      // its gunicorn got TERM (logged to the second: the request ended over a second after).
      expect(r.slow).toMatchObject({ status: 200, release: before.release });
      const slow = r.slow as { ms: number; endedAt: number };
      expect(slow.ms).toBeGreaterThanOrEqual(25_000);
      const oldWeb = oldPrograms.find((n) => n.startsWith("hc-web-"))!;
      const term = (await onHost(`grep -h 'Handling signal: term' /var/log/hc/${oldWeb}.log | tail -1`)).match(
        /^\[(\S+ \S+ [+-]\d{4})\]/,
      );
      expect(term, `no TERM in ${oldWeb}'s log`).not.toBeNull();
      const termAt = Date.parse(term![1].replace(" ", "T").replace(/ ([+-]\d{2})(\d{2})$/, "$1:$2"));
      expect(slow.endedAt).toBeGreaterThan(termAt + 1000);

      const after = await aboutRelease();
      expect(after.version).toBe(version);
      for (let i = 0; i < 20; i++) expect((await aboutRelease()).release).toBe(after.release);
      // Exactly the old and the new release answered: the old one after `up` started, the new one
      // before it ended, and the old one never after the new one's first answer + 1 s.
      const w = r.probe.releaseWindows;
      if (before.release !== after.release) {
        expect(Object.keys(r.probe.releases).sort()).toEqual([before.release, after.release].sort());
        expect(w[before.release].lastMs).toBeGreaterThan(r.upStartMs);
        expect(w[after.release].firstMs).toBeLessThan(r.upEndMs);
        expect(w[before.release].lastMs).toBeLessThan(w[after.release].firstMs + 1000);
      }

      // One program per role, all the new release's, all RUNNING.
      const running = await programs();
      expect(running.map((l) => roleOf(l.split(/\s+/)[0])).sort()).toEqual(roles(after.release));
      for (const l of running) expect(l).toMatch(/ RUNNING /);
      // On the host, from supervisord's own log: the singleton job's old program stopped before
      // its new one was spawned; the other job's new program was spawned before its old one stopped.
      const log = (await onHost(`tail -n +${supervisorLogLines + 1} /var/log/supervisor/supervisord.log`)).split("\n");
      const at = (what: RegExp) => {
        const i = log.findIndex((l) => what.test(l));
        expect(i, `${what} in supervisord.log:\n${log.join("\n")}`).toBeGreaterThan(-1);
        return i;
      };
      const newName = (role: string) => running.map((l) => l.split(/\s+/)[0]).find((n) => n.startsWith(`hc-${role}-`))!;
      const oldName = (role: string) => oldPrograms.find((n) => n.startsWith(`hc-${role}-`))!;
      expect(at(new RegExp(`stopped: ${oldName("digest")} `))).toBeLessThan(
        at(new RegExp(`spawned: '${newName("digest")}'`)),
      );
      expect(at(new RegExp(`spawned: '${newName("alerts")}'`))).toBeLessThan(
        at(new RegExp(`stopped: ${oldName("alerts")} `)),
      );
      // Each job is alive: its own heartbeat comes from the new release.
      for (const job of ["alerts", "digest"]) {
        await expect
          .poll(() => onHost(`cat /srv/hc/run/${job}.heartbeat`), { timeout: 10_000 })
          .toMatch(new RegExp(`^${after.release} `));
      }
    });
  }
});

describe("a broken release", () => {
  test("fails its health check, never gets traffic, and the old release keeps serving", async () => {
    const before = await aboutRelease();
    deploy(makeAppVariant("v3", { broken: true }));
    const r = await deployUnderLoad(stack, { url: URL, slowSeconds: 0 });
    expect(r.up.code).not.toBe(0);
    const output = r.up.stdout + r.up.stderr;
    expect(output).toMatch(
      /health check failed: GET \/about\/ on \/srv\/hc\/run\/web-[0-9a-f]{12}-[0-9a-f]{8}\.sock did not answer 2xx or 3xx/,
    );
    expect(output).toMatch(/last response: HTTP 500/);
    expect(output).toMatch(/last lines of \/var\/log\/hc\/hc-web-/);
    // The cause, once: no stack traces of the engine shutting down after it.
    expect(output).not.toMatch(
      /Channel has been shut down|unhandled exception|Error while signaling shutdown|failed to deliver log message/,
    );
    expect(output.match(/health check failed/g)?.length ?? 0).toBeLessThanOrEqual(2);
    expectZeroDowntime(r);
    expect(r.probe.releases).toEqual({ [before.release]: r.probe.requests });
    expect(await aboutRelease()).toEqual(before);
    expect((await programs()).map((l) => roleOf(l.split(/\s+/)[0])).sort()).toEqual(roles(before.release));
  });

  test("the next up of a good version succeeds", async () => {
    deploy(makeAppVariant("v4"));
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await aboutRelease()).version).toBe("v4");
  });
});

describe("after all deploys", () => {
  test("one program per process type, no stray sockets, releases pruned", async () => {
    const { release } = await aboutRelease();
    const names = (await programs()).map((l) => l.split(/\s+/)[0]).sort();
    expect(names.map(roleOf)).toEqual(roles(release));
    const web = names.find((n) => n.startsWith("hc-web-"))!.slice(3);
    const site = names.find((n) => n.startsWith("hc-site-"))!;
    expect((await onHost("ls /srv/hc/run/ | grep '\\.sock$'")).trim().split("\n").sort()).toEqual([
      "current.sock",
      `${web}.sock`,
    ]);
    expect((await onHost("ls /srv/hc/site/")).trim().split("\n").sort()).toEqual(["live.sock", site].sort());
    expect(await onHost("readlink /srv/hc/site/live.sock")).toBe(`/srv/hc/site/${site}/nginx.sock\n`);
    const releases = (await onHost("ls /srv/hc/releases")).trim().split("\n");
    expect(releases.length).toBeLessThanOrEqual(KEEP_RELEASES);
    expect(releases).toContain(release);
    expect(await onHost("ls /etc/supervisor/conf.d/")).toBe(names.map((p) => `${p}.conf\n`).join(""));
    // Settings (secrets) only where a program uses them; logs for root and the app alone.
    expect((await onHost("ls /srv/hc/releases/*/.env")).trim()).toBe(`/srv/hc/releases/${release}/.env`);
    expect(await onHost("stat -c '%a %U %G' /var/log/hc")).toBe("750 root hc\n");
  });

  test("destroy stops the app and removes its site; the database and releases stay", async () => {
    const r = await stack.destroy();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await programs()).toEqual([]);
    expect(await onHost("ls /etc/nginx/sites-enabled/ | wc -l")).toBe("0\n");
    expect(await onHost(`su postgres -c "psql -tAc \\"select count(*) from pg_database where datname = 'hc'\\""`)).toBe(
      "1\n",
    );
  });
});

describe("a login user other than root", () => {
  const sudoStack = new SandboxStack("itest-sudo");
  const SUDO_URL = "http://127.0.0.1:8083";

  afterAll(async () => {
    await sudoStack.remove();
  });

  test("deploys through passwordless sudo, uploads included, with its own database names, and destroys", async () => {
    await onHost(
      [
        "id -u deploy >/dev/null 2>&1 || useradd --create-home --shell /bin/bash deploy",
        "install -d -m 700 -o deploy -g deploy ~deploy/.ssh",
        "install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys ~deploy/.ssh/authorized_keys",
        "echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy",
      ].join(" && "),
    );
    await sudoStack.remove();
    await sudoStack.init(
      { ...sandbox, user: "deploy" },
      {
        djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
        dbPassword: crypto.randomBytes(18).toString("base64url"),
      },
    );
    sudoStack.setPlain({
      // The documented example's site settings (Pulumi.prod.yaml): the app allows its site's name only.
      app: {
        name: "hctwo",
        source: makeAppVariant("v1"),
        env: { DJANGO_ALLOWED_HOSTS: "www.example.com" },
        healthCheck: { path: "/about/" }, // the sample app has no "/"
      },
      site: { listen: "127.0.0.1:8083", serverName: "www.example.com" },
      // Names other than the app's: the bootstrap creates these, and the app writes to them.
      database: { name: "hctwo_data", user: "hctwo_owner" },
    });
    const r = await sudoStack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const site = { headers: { Host: "www.example.com" } };
    const about = await requestOnce(`${SUDO_URL}/about/`, site);
    expect([about.status, /version: (\S+)/.exec(about.body)?.[1]]).toEqual([200, "v1"]);
    expect((await requestOnce(`${SUDO_URL}/about/`, { headers: { Host: "evil.example" } })).status).toBe(421);
    expect(await onHost("stat -c %U /srv/hctwo/uploads")).toBe("deploy\n");
    const ping = await requestOnce(`${SUDO_URL}/ping/00000000-0000-4000-8000-000000000001/`, {
      method: "POST",
      body: "hello",
      ...site,
    });
    expect([ping.status, ping.body]).toEqual([200, "OK"]);
    expect(
      await onHost(
        `su postgres -c "psql -tAc \\"select pg_get_userbyid(datdba) from pg_database where datname = 'hctwo_data'\\""`,
      ),
    ).toBe("hctwo_owner\n");
    const d = await sudoStack.destroy();
    expect(d.code, d.stdout + d.stderr).toBe(0);
  });

  test("an app name that is an account the host already has is refused, and the account is left as it was", async () => {
    // "deploy" is the login user here: config refuses that one; another existing account is only known on the host.
    await onHost("id -u mallory >/dev/null 2>&1 || useradd --create-home --shell /bin/bash mallory");
    const before = await onHost("getent passwd mallory; ls -la ~mallory | wc -l");
    await sudoStack.remove();
    await sudoStack.init(
      { ...sandbox, user: "deploy" },
      {
        djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
        dbPassword: crypto.randomBytes(18).toString("base64url"),
      },
    );
    sudoStack.setPlain({ app: { name: "deploy", source: makeAppVariant("v1") }, site: { listen: "127.0.0.1:8083" } });
    const asLogin = await sudoStack.preview();
    expect(asLogin.code).not.toBe(0);
    expect(asLogin.stdout + asLogin.stderr).toContain('app.name: "deploy" is host.user, the SSH login');
    sudoStack.setPlain({ app: { name: "mallory", source: makeAppVariant("v1") }, site: { listen: "127.0.0.1:8083" } });
    const r = await sudoStack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      'app.name "mallory": this host already has a user mallory that this deploy did not create',
    );
    expect(await onHost("getent passwd mallory; ls -la ~mallory | wc -l")).toBe(before);
    expect(await onHost("test -e /srv/mallory && echo exists || echo absent")).toBe("absent\n");
  });
});
