// The host facts as the host sees them: the timeouts in the rendered configs
// and the steps' bounds, pinned to their values so that a refactoring of
// hostFacts.ts cannot change what runs on the host unnoticed.
import { describe, expect, it } from "vitest";
import { defineWebProgram } from "../src/components/gunicornService";
import { defineSiteProgram, renderFrontDoor } from "../src/components/nginxSite";
import { defineJobProgram } from "../src/components/worker";
import * as facts from "../src/host/hostFacts";
import { renderScript } from "../src/host/render";
import { TLS_DEFAULT } from "./support/siteDefaults";

const web = defineWebProgram({
  app: "hc",
  releaseId: "aaaaaaaaaaaa",
  releaseDir: "/srv/hc/releases/aaaaaaaaaaaa",
  hostId: "droplet-1",
  server: "gunicorn-wsgi",
  application: "hc.wsgi:application",
  workers: 2,
  healthCheck: { path: "/", expectStatus: 200, timeoutSeconds: 60 },
  checkHost: "localhost",
});
const site = { serverName: "example.com", listen: "80", clientMaxBodySize: "10m", static: "nginx", tls: TLS_DEFAULT };
const job = { name: "alerts", command: "python manage.py sendalerts", singleton: true };

describe("timeouts in effect on the host", () => {
  it("gunicorn: 120 s per request, 30 s to finish after TERM; supervisor waits 40 s", () => {
    expect(web.start).toContain("--timeout 120 --graceful-timeout 30 ");
    expect(web.start).toContain("stopwaitsecs=40\n");
  });

  it("site program: nginx waits 130 s for the app and finishes within 135 s after QUIT; supervisor waits 145 s", () => {
    const s = defineSiteProgram({ app: "hc", site, hostId: "droplet-1" });
    expect(s.start).toContain("proxy_read_timeout 130s;");
    expect(s.start).toContain("worker_shutdown_timeout 135s;");
    expect(s.start).toContain("stopwaitsecs=145\n");
    expect(s.start).toContain("TIMEOUT='30'");
    expect(renderFrontDoor("hc", site)).toContain("proxy_read_timeout 130s;");
  });

  it("job: 20 s to reach RUNNING, 30 s to stop", () => {
    const j = defineJobProgram({
      app: "hc",
      job,
      releaseId: "aaaaaaaaaaaa",
      releaseDir: "/srv/hc/releases/aaaaaaaaaaaa",
      hostId: "h",
    });
    expect(j.start).toContain("TIMEOUT='20'");
    expect(j.start).toContain("stopwaitsecs=30\n");
    expect(j.start).toContain(`EXCLUSIVE='^hc-alerts-[0-9a-f]{12}-[0-9a-f]{8}$'`);
  });

  it("steps: a program's start and stop wait and a margin; long steps 1200 s; the host lock 1500 s", () => {
    expect(facts.programStepTimeout(60, facts.WEB_STOP_WAIT)).toBe(180);
    expect(facts.LONG_STEP_TIMEOUT).toBe(1200);
    expect(facts.LOCK_WAIT).toBe(1500);
    expect(facts.DEFAULT_STEP_TIMEOUT).toBe(900);
  });
});

describe("paths on the host", () => {
  it("every script gets the app's directories", () => {
    const script = renderScript("program-stop.sh", { APP: "hc", PROGRAM: "hc-web-abc", DIR: "" });
    for (const line of [
      "ROOT='/srv/hc'",
      "RELEASES_DIR='/srv/hc/releases'",
      "VENVS_DIR='/srv/hc/venvs'",
      "UPLOADS_DIR='/srv/hc/uploads'",
      "RUN_DIR='/srv/hc/run'",
      "SITE_DIR='/srv/hc/site'",
      "BIN_DIR='/srv/hc/bin'",
      "CACHE_DIR='/srv/hc/cache'",
      "TOOLS_DIR='/srv/hc/tools'",
      "LOG_DIR='/var/log/hc'",
      "LOCK_DIR='/run/djangozd'",
    ]) {
      expect(script).toContain(`\n${line}\n`);
    }
  });

  it("programs run through release-exec and the site serves the live release", () => {
    expect(web.start).toContain("command=/srv/hc/bin/release-exec /srv/hc/releases/aaaaaaaaaaaa gunicorn ");
    const s = defineSiteProgram({ app: "hc", site, hostId: "droplet-1" });
    expect(s.start).toContain("server unix:/srv/hc/run/current.sock fail_timeout=0;");
    expect(s.start).toContain("root /srv/hc/public;");
  });
});

it("a script's own input never shadows a host fact", () => {
  expect(() => renderScript("program-stop.sh", { APP: "hc", PROGRAM: "p", DIR: "", ROOT: "/elsewhere" })).toThrow(
    "script program-stop.sh: ROOT is given to every script",
  );
});
