// "A change that replaces a program gives it a new name": for every setting
// that reaches a supervisor program, the HostCommand diff of the old and new
// definitions replaces the program exactly when its name changes, and a
// change the program doesn't depend on changes nothing. If a replacement
// kept the name, the new program would overwrite the live one and the old
// resource's delete would then stop it (the site down after `up`).
import { describe, expect, it } from "vitest";
import type { HealthCheck, Job } from "../components/config-types";
import { defineWebProgram, WebProgramInputs } from "../components/gunicornService";
import { hostCommandProvider } from "../components/hostCommand";
import { defineSiteProgram, renderFrontDoor } from "../components/nginxSite";
import { DefinedProgram } from "../components/supervisorProgram";
import { defineJobProgram } from "../components/worker";

const connection = { host: "203.0.113.10", port: 22, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" };
const healthCheck: HealthCheck = { path: "/about/", expectStatus: 200, expectText: "Monkey", timeoutSeconds: 60 };
const job: Job = { name: "alerts", command: "python manage.py sendalerts", singleton: false };
const base = {
  app: "hc",
  releaseId: "aaaaaaaaaaaa",
  releaseDir: "/srv/hc/releases/aaaaaaaaaaaa",
  hostId: "droplet-1",
  wsgi: "hc.wsgi:application",
  workers: 3,
  healthCheck,
  checkHost: "localhost",
  job,
};
type Inputs = typeof base;

/** What SupervisorProgram registers for a definition. */
const commandInputs = (d: DefinedProgram) => ({ connection, create: d.start, update: d.start, delete: d.stop, check: d.check, triggers: [d.program, d.hostId] });
const web = (i: Inputs) => defineWebProgram(i as WebProgramInputs);
const worker = (i: Inputs) => defineJobProgram(i);

const changes: Array<[string, Partial<Inputs>]> = [
  ["app.workers", { workers: 2 }],
  ["app.wsgi", { wsgi: "hc.asgi_compat:application" }],
  ["app.healthCheck.path", { healthCheck: { ...healthCheck, path: "/health/" } }],
  ["app.healthCheck.expectStatus", { healthCheck: { ...healthCheck, expectStatus: 204 } }],
  ["app.healthCheck.expectText", { healthCheck: { ...healthCheck, expectText: undefined } }],
  ["app.healthCheck.timeoutSeconds", { healthCheck: { ...healthCheck, timeoutSeconds: 90 } }],
  ["app.jobs[].command", { job: { ...job, command: "python manage.py sendalerts --fast" } }],
  ["app.jobs[].singleton", { job: { ...job, singleton: true } }],
  ["a new release (source, requirements, python, env, secrets, manage)", { releaseId: "bbbbbbbbbbbb", releaseDir: "/srv/hc/releases/bbbbbbbbbbbb" }],
  ["the host", { hostId: "droplet-2" }],
];

describe.each([
  ["web program", web],
  ["job program", worker],
])("%s", (_kind, define) => {
  it.each(changes)("%s: replaced exactly when its name changes", async (_setting, change) => {
    const [before, after] = [define(base), define({ ...base, ...change })];
    const diff = await hostCommandProvider.diff!("id", commandInputs(before), commandInputs(after));
    const replaced = (diff.replaces ?? []).length > 0;
    expect(replaced).toBe(before.program !== after.program);
    // No in-place change of a live program: any other difference is a replacement too.
    if (!replaced) expect(diff.changes).toBe(false);
  });

  it("is named app-role-release-digest and keeps the name for the same definition", () => {
    const d = define(base);
    expect(d.program).toMatch(/^hc-(web|alerts)-aaaaaaaaaaaa-[0-9a-f]{8}$/);
    expect(define({ ...base }).program).toBe(d.program);
    expect(d.start).toContain(`[program:${d.program}]`);
    expect(d.stop).toContain(`PROGRAM='${d.program}'`);
  });
});

it("a web program's socket is its own", () => {
  const [a, b] = [web(base), web({ ...base, workers: 4 })];
  expect(a.socket).toBe(`/srv/hc/run/${a.program.slice("hc-".length)}.sock`);
  expect(a.socket).not.toBe(b.socket);
  expect(a.start).toContain(`--bind unix:${a.socket} `);
});

it("settings a program does not use leave it unchanged", async () => {
  // The job's definition does not include the web program's settings, and vice versa.
  const jobBefore = worker(base);
  for (const change of [{ workers: 9 }, { wsgi: "x.wsgi:app" }, { healthCheck: { ...healthCheck, path: "/x/" } }]) {
    const after = worker({ ...base, ...change });
    expect(after.program).toBe(jobBefore.program);
    expect((await hostCommandProvider.diff!("id", commandInputs(jobBefore), commandInputs(after))).changes).toBe(false);
  }
  const webBefore = web(base);
  expect(web({ ...base, job: { ...job, command: "other" } }).program).toBe(webBefore.program);
});

describe("site program", () => {
  const site = { serverName: "example.com", listen: "80", clientMaxBodySize: "10m" };
  const define = (s: typeof site, hostId = "droplet-1") => defineSiteProgram({ app: "hc", site: s, hostId });

  it.each([
    ["site.serverName", { serverName: "www.example.com" }, true],
    ["site.clientMaxBodySize", { clientMaxBodySize: "20m" }, true],
    // Where the site listens is the front door's, not the site program's.
    ["site.listen", { listen: "8080" }, false],
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
    expect(d.socket).toBe(`/srv/hc/run/${d.program.slice(3)}.sock`);
    expect(d.stop).toContain(`DIR='/srv/hc/site/${d.program}'`);
    expect(define(site, "droplet-2").program).not.toBe(d.program);
  });

  it("the front door changes only with where it listens", () => {
    expect(renderFrontDoor("hc", site)).toBe(renderFrontDoor("hc", { ...site, serverName: "x.org", clientMaxBodySize: "1g" }));
    expect(renderFrontDoor("hc", site)).not.toBe(renderFrontDoor("hc", { ...site, listen: "8080" }));
  });
});
