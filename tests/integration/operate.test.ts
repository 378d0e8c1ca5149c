// The day-2 commands (npm run ops, src/ops/cli.ts) end to end, as a user runs them against a
// deployed stack: OpenSSH with the host key pinned from the stack's outputs, the deploy key from
// its config. Rollback and maintenance run under the load probe; a restore brings dropped rows back.
import * as crypto from "crypto";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { requestOnce, runProbe } from "../../probe/probe";
import { makeAppVariant } from "../support/appVariants";
import { deployUnderLoad } from "../support/deployUnderLoad";
import { ops, startOps } from "../support/opsCli";
import { startS3Server } from "../support/s3Server";
import { SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const PORT = 8096;
const S3_PORT = 9016;
const URL = `http://127.0.0.1:${PORT}`;
const stack = new SandboxStack("ops-shop");
const onHost = (command: string) => sandboxExec(place, command);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const releases: string[] = [];

async function live(): Promise<string> {
  const r = await requestOnce(`${URL}/about/`, { timeoutMs: 15_000 });
  expect(r.status).toBe(200);
  return r.body.match(/release: (\w+)/)![1];
}

async function upOk() {
  const r = await stack.up();
  expect(r.code, r.stdout + r.stderr).toBe(0);
  releases.push(String((await stack.outputs()).releaseId));
}

beforeAll(async () => {
  const sandbox = await startSandbox(place);
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  stack.setPlain({
    app: { name: "ops", source: makeAppVariant("v1"), healthCheck: { path: "/about/" } },
    site: { listen: `127.0.0.1:${PORT}` },
  });
  await upOk();
  stack.setPlain({ app: { name: "ops", source: makeAppVariant("v2"), healthCheck: { path: "/about/" } } });
  await upOk();
});

afterAll(async () => {
  await stack.remove();
  await stopSandbox(place);
});

describe("npm run ops", () => {
  test("releases: the kept releases, newest first, the live one marked, with their source", async () => {
    const r = await ops(stack, ["releases"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").slice(1);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual([releases[1], releases[0]]);
    expect(rows[0]).toMatch(new RegExp(`^${releases[1]}\\s+yes\\s`));
    expect(rows[1]).not.toMatch(/\byes\b/);
    expect(rows[0]).toMatch(/\sapp-v2-\w+$/); // the source directory's name
  });

  test("rollback: pins the release before and switches to it under load with no failed request; --clear returns", async () => {
    const back = await deployUnderLoad(stack, { url: URL, action: () => ops(stack, ["rollback", "--yes"]) });
    expect(back.up.code, back.up.stdout + back.up.stderr).toBe(0);
    expect(back.probe.errors).toEqual({});
    expect(back.probe.failed, JSON.stringify(back.probe.failuresSample)).toBe(0);
    expect(await live()).toBe(releases[0]);
    expect(stack.plainConfig()["django-zero-downtime:app"]).toMatchObject({ release: releases[0] });
    console.log(
      `rollback: ${back.up.seconds.toFixed(1)} s (pulumi up included); ${back.probe.requests} requests, ${back.probe.failed} failed`,
    );

    const forward = await ops(stack, ["rollback", "--clear", "--yes"]);
    expect(forward.code, forward.stdout + forward.stderr).toBe(0);
    expect(await live()).toBe(releases[1]);
    console.log(`rollback --clear: ${forward.seconds.toFixed(1)} s`);
  });

  test("a release id that is not kept fails the deploy naming the kept ones; the live release serves, nothing stays pinned", async () => {
    const r = await ops(stack, ["rollback", "0123456789ab", "--yes"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("app.release: 0123456789ab is not kept on this host; kept:");
    expect(r.stderr).toContain("pulumi up did not complete: app.release is unset again, as before");
    expect(await live()).toBe(releases[1]);
    expect(stack.plainConfig()["django-zero-downtime:app"]).not.toHaveProperty("release");
    const clear = await ops(stack, ["rollback", "--clear", "--yes"]);
    expect(clear.code, clear.stdout + clear.stderr).toBe(0);
    expect(clear.stderr).toContain("nothing to clear");
  });

  test("exec: a management command in the live release, with its settings: the site then accepts its check", async () => {
    const code = crypto.randomUUID();
    expect((await requestOnce(`${URL}/ping/${code}/`, { body: "x" })).status).toBe(404);
    const r = await ops(stack, [
      "exec",
      "--",
      "shell",
      "-c",
      `from api.models import Check; Check.objects.create(code="${code}", name="made by exec"); print("created")`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("created");
    const ping = await requestOnce(`${URL}/ping/${code}/`, { body: "x" });
    expect(ping.status).toBe(200);
    expect(ping.body).toBe("OK");
  });

  test("logs -f shows a request made after it started; --grep filters nginx's log", async () => {
    const marker = crypto.randomBytes(6).toString("hex");
    const follow = startOps(stack, ["logs", "web", "-f", "-n", "0"]);
    try {
      await sleep(4000); // connected and tailing
      expect((await requestOnce(`${URL}/about/?seen=${marker}`)).status).toBe(200);
      const deadline = Date.now() + 20_000;
      while (!follow.output().includes(marker) && Date.now() < deadline) await sleep(200);
      expect(follow.output()).toContain(`/about/?seen=${marker}`);
    } finally {
      process.kill(-follow.child.pid!, "SIGTERM");
    }
    const grep = await ops(stack, ["logs", "nginx", "-n", "500", "--grep", marker]);
    expect(grep.code, grep.stderr).toBe(0);
    expect(grep.stdout.trim().split("\n")).toHaveLength(1);
    expect(grep.stdout).toContain(marker);
  });

  test("logs --since: only the lines written since then, by a time or a duration", async () => {
    const marker = crypto.randomBytes(6).toString("hex");
    expect((await requestOnce(`${URL}/about/?before=${marker}`)).status).toBe(200);
    await sleep(2100); // gunicorn's access log has whole seconds
    const since = new Date(Date.now() - 1000).toISOString().slice(0, 19) + "Z";
    expect((await requestOnce(`${URL}/about/?after=${marker}`)).status).toBe(200);
    await sleep(500);
    const recent = await ops(stack, ["logs", "--since", since, "--grep", marker]);
    expect(recent.code, recent.stderr).toBe(0);
    expect(recent.stdout).toContain(`after=${marker}`);
    expect(recent.stdout).not.toContain(`before=${marker}`);
    const both = await ops(stack, ["logs", "web", "--since", "5m", "--grep", marker]);
    expect(both.stdout.trim().split("\n")).toHaveLength(2);
  });

  test("maintenance on: every request gets 503 with Retry-After, POST too; off: 200; no connection error", async () => {
    const stop = new AbortController();
    const probe = runProbe({ url: URL, clients: 16, keepAliveShare: 0.5, signal: stop.signal });
    await sleep(1500);
    try {
      const on = await ops(stack, ["maintenance", "on"]);
      expect(on.code, on.stderr).toBe(0);
      for (const method of ["GET", "POST"]) {
        const r = await requestOnce(`${URL}/about/`, { method, body: method === "POST" ? "x" : undefined });
        expect(r.status, method).toBe(503);
        expect(r.headers["retry-after"], method).toBe("300");
        expect(r.body, method).toContain("Down for maintenance");
      }
      await sleep(2000);
    } finally {
      const off = await ops(stack, ["maintenance", "off"]);
      expect(off.code, off.stderr).toBe(0);
    }
    await sleep(1500);
    stop.abort();
    const summary = await probe;
    expect(summary.errors).toEqual({});
    expect(Object.keys(summary.statuses).sort()).toEqual(["200", "503"]);
    expect((await requestOnce(`${URL}/about/`)).status).toBe(200);
    console.log(
      `maintenance under load: ${JSON.stringify(summary.statuses)}, errors ${JSON.stringify(summary.errors)}`,
    );
  });

  test("backup now, delete rows, restore under load: the rows come back, no connection error, the old database kept", async () => {
    const psql = (sql: string) => onHost(`runuser -u postgres -- psql -d ops -qAt -c ${JSON.stringify(sql)}`);
    const [rows, lastId] = (await psql("SELECT count(*), max(id) FROM api_ping")).trim().split("|").map(Number);
    expect(rows).toBeGreaterThan(100);
    expect(await onHost("cat /etc/cron.d/ops-backup")).toContain("17 3 * * * root /srv/ops/bin/backup");

    const made = await ops(stack, ["backup", "now"]);
    expect(made.code, made.stderr).toBe(0);
    const archive = path.basename(made.stdout.match(/(\/srv\/ops\/backups\/\S+\.dump)/)![1]);
    const list = await ops(stack, ["backup", "list"]);
    expect(list.stdout).toContain(archive);

    await psql(`DELETE FROM api_ping WHERE id <= ${lastId}`);
    const stop = new AbortController();
    const probe = runProbe({ url: URL, clients: 16, keepAliveShare: 0.5, signal: stop.signal });
    await sleep(1500);
    const restored = await ops(stack, ["restore", archive]);
    await sleep(1500);
    stop.abort();
    const load = await probe;
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    // Requests get the maintenance page while the databases swap; none fails otherwise.
    expect(load.errors).toEqual({});
    expect(Object.keys(load.statuses).filter((s) => s !== "200" && s !== "503")).toEqual([]);
    expect(Number((await psql(`SELECT count(*) FROM api_ping WHERE id <= ${lastId}`)).trim())).toBe(rows);
    expect(await onHost("runuser -u postgres -- psql -qAt -c 'SELECT datname FROM pg_database'")).toMatch(
      /^ops_before_\d{14}$/m,
    );
    console.log(
      `restore under load: ${rows} rows back in ${restored.seconds.toFixed(1)} s; ${JSON.stringify(load.statuses)}; ${restored.stdout.trim()}`,
    );
  });

  test("backups copied to S3-compatible storage: each archive lands in the bucket; a wrong key fails the up; a failed copy is sent by the next backup", async () => {
    const s3 = await startS3Server({ port: S3_PORT, bucket: "dumps" });
    const archivesOnHost = async () =>
      Object.fromEntries(
        (await onHost("cd /srv/ops/backups && stat -c '%n %s' ops-*.dump"))
          .trim()
          .split("\n")
          .map((l) => l.split(" "))
          .map(([name, size]) => [`ops/${name}`, Number(size)]),
      );
    const inBucket = () => Object.fromEntries(s3.objects().map((o) => [o.key, o.size]));
    try {
      stack.setPlain({
        database: { backupCopy: { url: "s3://dumps/ops/", endpoint: s3.endpoint, accessKeyId: s3.accessKeyId } },
      });
      await stack.setSecret("backupCopySecretKey", "notTheSecretKey0123");
      const wrong = await stack.up();
      expect(wrong.code).not.toBe(0);
      expect(wrong.stdout + wrong.stderr).toContain(
        `database.backupCopy: s3://dumps/ops/ cannot be listed with accessKeyId ${s3.accessKeyId}`,
      );

      await stack.setSecret("backupCopySecretKey", s3.secretAccessKey);
      const r = await stack.up();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(s3.secretAccessKey);
      expect(await onHost("stat -c '%a %U' /srv/ops/backups/.copy.rclone.conf")).toBe("600 root\n");

      // The first backup with a copy sends the archives already on the host too.
      const made = await ops(stack, ["backup", "now"]);
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout).toMatch(/copied to s3:\/\/dumps\/ops\/ops-\d{8}T\d{6}Z\.dump/);
      expect(inBucket()).toEqual(await archivesOnHost());
      const list = await ops(stack, ["backup", "list"]);
      expect(list.stdout).toMatch(/ops-\S+\.dump\s+\d+\s+yes/);

      s3.removeBucket();
      const refused = await ops(stack, ["backup", "now"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/the copy of ops-\S+\.dump to s3:\/\/dumps\/ops\/ failed/);
      const missed = refused.stdout.match(/\/srv\/ops\/backups\/(\S+\.dump)/)![1];
      s3.createBucket();
      const next = await ops(stack, ["backup", "now"]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stdout).toContain(`copied to s3://dumps/ops/${missed}`);
      // Only what was not copied before: the missed archive and the new one.
      expect(Object.keys(inBucket())).toHaveLength(2);
      expect(inBucket()[`ops/${missed}`]).toBe((await archivesOnHost())[`ops/${missed}`]);
      console.log(`backup copy: ${JSON.stringify(inBucket())}; backup now ${next.seconds.toFixed(1)} s`);
    } finally {
      stack.setPlain({ database: undefined, backupCopySecretKey: undefined });
      const off = await stack.up();
      await s3.stop();
      expect(off.code, off.stdout + off.stderr).toBe(0);
    }
    expect(await onHost("test -e /srv/ops/backups/.copy.rclone.conf && echo left || echo gone")).toBe("gone\n");
  });
});
