// "A change that replaces a program gives it a new name": for every setting
// that reaches a supervisor program, the HostCommand diff of the old and new
// definitions replaces the program exactly when its name changes, and a
// change the program doesn't depend on changes nothing. If a replacement
// kept the name, the new program would overwrite the live one and the old
// resource's delete would then stop it (the site down after `up`).
import { describe, expect, it } from "vitest";
import type { HealthCheck, Job } from "../src/config/types";
import { defineWebProgram, WebProgramInputs } from "../src/components/gunicornService";
import { hostCommandProvider } from "../src/host/hostCommand";
import { defineSiteProgram, renderFrontDoor } from "../src/components/nginxSite";
import { defineHttpsProgram } from "../src/components/https";
import { DefinedProgram, programCommand } from "../src/components/supervisorProgram";
import { defineJobProgram } from "../src/components/worker";
import { TLS_DEFAULT } from "./support/siteDefaults";

const connection = { host: "203.0.113.10", port: 22, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" };
const healthCheck: HealthCheck = { path: "/about/", expectStatus: 200, expectText: "Monkey", timeoutSeconds: 60 };
const job: Job = { name: "alerts", command: "python manage.py sendalerts", singleton: false };
const base = {
  app: "hc",
  releaseId: "aaaaaaaaaaaa",
  releaseDir: "/srv/hc/releases/aaaaaaaaaaaa",
  hostId: "droplet-1",
  server: "gunicorn-wsgi",
  application: "hc.wsgi:application",
  workers: 3,
  healthCheck,
  checkHost: "localhost",
  job,
};
type Inputs = typeof base;

/** What SupervisorProgram registers for a definition. */
const commandInputs = (d: DefinedProgram) => ({ connection, ...programCommand(d, 120) });
const web = (i: Inputs) => defineWebProgram(i as WebProgramInputs);
const worker = (i: Inputs) => defineJobProgram(i);

// Each setting, and whether it must give the web program and the job program a new one.
const changes: Array<[string, Partial<Inputs>, { web: boolean; job: boolean }]> = [
  ["app.workers", { workers: 2 }, { web: true, job: false }],
  ["app.wsgi", { application: "hc.asgi_compat:application" }, { web: true, job: false }],
  ["app.server", { server: "gunicorn-uvicorn" }, { web: true, job: false }],
  ["app.healthCheck.path", { healthCheck: { ...healthCheck, path: "/health/" } }, { web: true, job: false }],
  ["app.healthCheck.expectStatus", { healthCheck: { ...healthCheck, expectStatus: 204 } }, { web: true, job: false }],
  ["app.healthCheck.expectText", { healthCheck: { ...healthCheck, expectText: undefined } }, { web: true, job: false }],
  [
    "app.healthCheck.timeoutSeconds",
    { healthCheck: { ...healthCheck, timeoutSeconds: 90 } },
    { web: true, job: false },
  ],
  ["app.jobs[].command", { job: { ...job, command: "python manage.py sendalerts --fast" } }, { web: false, job: true }],
  // A singleton's start also stops any other program of the job.
  ["app.jobs[].singleton", { job: { ...job, singleton: true } }, { web: false, job: true }],
  [
    "a new release (source, requirements, python, env, secrets, manage)",
    { releaseId: "bbbbbbbbbbbb", releaseDir: "/srv/hc/releases/bbbbbbbbbbbb" },
    { web: true, job: true },
  ],
  ["the host", { hostId: "droplet-2" }, { web: true, job: true }],
];

describe.each([
  ["web" as const, web],
  ["job" as const, worker],
])("%s program", (kind, define) => {
  it.each(changes)("%s: a new program (new name) exactly when it must", async (_setting, change, expected) => {
    const [before, after] = [define(base), define({ ...base, ...change })];
    expect(before.program !== after.program).toBe(expected[kind]);
    const diff = await hostCommandProvider.diff!("id", commandInputs(before), commandInputs(after));
    // Replaced exactly when renamed, and never changed in place.
    expect((diff.replaces ?? []).length > 0).toBe(expected[kind]);
    expect(diff.changes).toBe(expected[kind]);
  });

  it("is named app-role-release-digest and keeps the name for the same definition", () => {
    const d = define(base);
    expect(d.program).toMatch(/^hc-(web|alerts)-aaaaaaaaaaaa-[0-9a-f]{8}$/);
    expect(define({ ...base }).program).toBe(d.program);
    expect(d.start).toContain(`[program:${d.program}]`);
    expect(d.stop).toContain(`PROGRAM='${d.program}'`);
  });
});

it("the web program runs what it was given", () => {
  const d = web({ ...base, workers: 7, application: "proj.wsgi:app" });
  expect(d.start).toContain("--workers 7 ");
  expect(d.start).toMatch(/ proj\.wsgi:app\n/);
  const asgi = web({ ...base, server: "gunicorn-uvicorn", application: "proj.asgi:application" });
  expect(asgi.start).toMatch(/ -k uvicorn_worker\.UvicornWorker proj\.asgi:application\n/);
  expect(worker({ ...base, job: { ...job, command: "python manage.py rqworker high" } }).start).toContain(
    "/srv/hc/bin/release-exec /srv/hc/releases/aaaaaaaaaaaa python manage.py rqworker high\n",
  );
});

it("a web program's socket is its own", () => {
  const [a, b] = [web(base), web({ ...base, workers: 4 })];
  expect(a.socket).toBe(`/srv/hc/run/${a.program.slice("hc-".length)}.sock`);
  expect(a.socket).not.toBe(b.socket);
  expect(a.start).toContain(`--bind unix:${a.socket} `);
});

describe("site program", () => {
  const site = { serverName: "example.com", listen: "80", clientMaxBodySize: "10m", static: "nginx", tls: TLS_DEFAULT };
  const define = (s: typeof site, hostId = "droplet-1") => defineSiteProgram({ app: "hc", site: s, hostId });

  it.each([
    ["site.serverName", { serverName: "www.example.com" }, true],
    ["site.clientMaxBodySize", { clientMaxBodySize: "20m" }, true],
    ["site.static", { static: "app" }, true],
    // Where the site listens is the front door's, not the site program's.
    ["site.listen", { listen: "8080" }, false],
    // HTTPS's redirect, ACME webroot and HSTS are the site program's.
    ["site.tls.mode", { tls: { ...TLS_DEFAULT, mode: "acme" } }, true],
  ])("%s: replaced exactly when its name changes", async (_setting, change, replaced) => {
    const [before, after] = [define(site), define({ ...site, ...change })];
    expect(before.program !== after.program).toBe(replaced);
    const diff = await hostCommandProvider.diff!("id", commandInputs(before), commandInputs(after));
    expect((diff.replaces ?? []).length > 0).toBe(replaced);
    expect(diff.changes).toBe(replaced);
  });

  it("is named app-site-digest, with its own socket and files", () => {
    const d = define(site);
    expect(d.program).toMatch(/^hc-site-[0-9a-f]{8}$/);
    expect(d.socket).toBe(`/srv/hc/site/${d.program}/nginx.sock`);
    expect(d.stop).toContain(`DIR='/srv/hc/site/${d.program}'`);
    expect(define(site, "droplet-2").program).not.toBe(d.program);
  });

  it("the HTTPS program changes only with where HTTPS listens: renewals and site changes leave it running", () => {
    const tls = { ...TLS_DEFAULT, mode: "acme" };
    const https = (s: typeof site) => defineHttpsProgram({ app: "hc", site: s, hostId: "droplet-1" }).program;
    const before = https({ ...site, tls });
    expect(before).toMatch(/^hc-https-[0-9a-f]{8}$/);
    for (const change of [
      { serverName: "www.example.com" },
      { clientMaxBodySize: "1g", static: "app" },
      { tls: { ...tls, hstsMaxAge: 600, email: "ops@example.com", staging: true } },
    ]) {
      expect(https({ ...site, tls, ...change })).toBe(before);
    }
    expect(https({ ...site, tls: { ...tls, listen: "8443" } })).not.toBe(before);
  });

  it("the front door changes only with where it listens", () => {
    expect(renderFrontDoor("hc", site)).toBe(
      renderFrontDoor("hc", { ...site, serverName: "x.org", clientMaxBodySize: "1g" }),
    );
    expect(renderFrontDoor("hc", site)).not.toBe(renderFrontDoor("hc", { ...site, listen: "8080" }));
  });
});
