// Pure helpers: release ids, env files, templates, SSH command lines, source digests.
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { defaultAllowedHosts, healthCheckHost } from "../src/components/djangoApp";
import { renderScript, renderTemplate } from "../src/host/render";
import { envFile, releaseId, venvId } from "../src/source/releaseId";
import { serverPackages } from "../src/components/appServer";
import { digestDirectory } from "../src/source/source";
import { hostKeyBlob, remoteCommandLine, shellQuote } from "../src/host/ssh";
import { makeAppVariant } from "./support/appVariants";

const base = {
  sourceDigest: "a".repeat(64),
  requirementsDigest: "b".repeat(64),
  python: "python3",
  manage: ["migrate --noinput"],
  sharedDirs: [],
  serverPackages: "gunicorn gunicorn==23.0.0",
  settings: "X='1'\n",
};

describe("releaseId", () => {
  it("is stable for the same inputs and 12 hex digits", () => {
    expect(releaseId(base)).toBe(releaseId({ ...base }));
    expect(releaseId(base)).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    ["source", { sourceDigest: "c".repeat(64) }],
    ["requirements", { requirementsDigest: "d".repeat(64) }],
    ["python", { python: "python3.12" }],
    ["shared dirs", { sharedDirs: ["media"] }],
    ["server", { serverPackages: "gunicorn gunicorn==23.0.0\nuvicorn uvicorn==0.38.0" }],
    ["settings", { settings: "X='2'\n" }],
    ["management commands", { manage: ["migrate --noinput", "compress"] }],
  ])("changes with the %s", (_what, change) => {
    expect(releaseId({ ...base, ...change })).not.toBe(releaseId(base));
  });

  it("shares venvs between releases with the same requirements, interpreter and server only", () => {
    const wsgi = serverPackages("gunicorn-wsgi");
    expect(venvId("r", "python3", wsgi)).toBe(venvId("r", "python3", wsgi));
    expect(venvId("r", "python3", wsgi)).not.toBe(venvId("r2", "python3", wsgi));
    expect(venvId("r", "python3", wsgi)).not.toBe(venvId("r", "python3.12", wsgi));
    expect(venvId("r", "python3", wsgi)).not.toBe(venvId("r", "python3", serverPackages("gunicorn-uvicorn")));
  });
});

describe("envFile", () => {
  it("sorts keys and single-quotes values so bash reads them back exactly", () => {
    expect(envFile({ B: "it's", A: '$HOME `x` "y"' })).toBe(`A='$HOME \`x\` "y"'\nB='it'\\''s'\n`);
  });
});

describe("templates", () => {
  it("fills every placeholder and refuses missing or unused values", () => {
    const vars = { APP: "hc", SITE_LINK: "/srv/hc/site/live.sock", LISTEN: "80", PROXY_READ_TIMEOUT: 130 };
    expect(renderTemplate("nginx-front.conf", vars)).not.toMatch(/\{\{/);
    const { LISTEN: _omit, ...missing } = vars;
    expect(() => renderTemplate("nginx-front.conf", missing)).toThrow(
      "template nginx-front.conf: no value for {{LISTEN}}",
    );
    expect(() => renderTemplate("nginx-front.conf", { ...vars, EXTRA: "x" })).toThrow(
      "template nginx-front.conf: unused values EXTRA",
    );
  });

  it("puts a script's title first and its inputs as quoted assignments", () => {
    const script = renderScript("program-stop.sh", { APP: "hc", PROGRAM: "hc-web-abc" });
    expect(script.split("\n").slice(0, 4)).toEqual([
      "# Stop the supervisor program gracefully and remove it",
      "APP='hc'",
      "PROGRAM='hc-web-abc'",
      "STEP='Stop the supervisor program gracefully and remove it'",
    ]);
    expect(script).not.toMatch(/^#!/m);
  });
});

describe("ssh helpers", () => {
  it("quotes for bash", () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it("bounds the script with timeout and uses sudo for non-root users", () => {
    expect(remoteCommandLine("echo hi", "root", 60)).toBe(
      `timeout --kill-after=10 60 bash -c 'set -euo pipefail\necho hi'`,
    );
    expect(remoteCommandLine("echo hi", "deploy", 60)).toMatch(/^sudo -n timeout/);
  });

  it("reads the key blob of an authorized-keys line and rejects other forms", () => {
    expect(hostKeyBlob("ssh-ed25519 AAAA").toString("hex")).toBe("000000");
    expect(() => hostKeyBlob("AAAA")).toThrow(/not in authorized-keys form/);
  });
});

describe("source", () => {
  it("digests content, not timestamps or caches", () => {
    const a = makeAppVariant("v1");
    const b = makeAppVariant("v1");
    expect(digestDirectory(a)).toBe(digestDirectory(b));
    fs.mkdirSync(path.join(b, "api", "__pycache__"), { recursive: true });
    fs.writeFileSync(path.join(b, "api", "__pycache__", "x.pyc"), "cache");
    fs.utimesSync(path.join(b, "manage.py"), new Date(0), new Date(0));
    expect(digestDirectory(b)).toBe(digestDirectory(a));
    fs.writeFileSync(path.join(b, "VERSION"), "v2\n");
    expect(digestDirectory(b)).not.toBe(digestDirectory(a));
  });
});

describe("the site's names, for Django and for the health check", () => {
  it("default ALLOWED_HOSTS: nginx wildcards become Django's leading-dot form; any name when the site takes any", () => {
    expect(defaultAllowedHosts("_")).toBe("*");
    expect(defaultAllowedHosts("example.com *.example.org .example.net")).toBe(
      "example.com,.example.org,.example.net,localhost",
    );
  });

  it("the health check sends a name the site serves (the example stack allows www.example.com only)", () => {
    expect(healthCheckHost("www.example.com example.com")).toBe("www.example.com");
    expect(healthCheckHost("*.example.com")).toBe("www.example.com");
    expect(healthCheckHost(".example.com")).toBe("www.example.com");
    expect(healthCheckHost("_")).toBe("localhost");
    expect(healthCheckHost("~^api\\d+\\.example\\.com$")).toBe("localhost");
    expect(healthCheckHost("example.* www.example.com")).toBe("www.example.com");
  });
});
