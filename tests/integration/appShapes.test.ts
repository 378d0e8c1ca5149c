// Apps shaped like real projects (tests/fixtures/apps), each deployed unmodified with stack config
// only, then redeployed under load: static files where the project keeps them (whitenoise, offline
// compression, a source static/ dir), assets of the old page reachable across the switch, uploads
// that outlive releases, settings under the app's own names, a C extension that needs a system
// package, and an ASGI app. The apps share one sandbox host, each on a port of its own.
import * as crypto from "crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { requestOnce } from "../../probe/probe";
import { makeAppVariant } from "../support/appVariants";
import { deployUnderLoad } from "../support/deployUnderLoad";
import { SandboxInfo, SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const onHost = (command: string) => sandboxExec(place, command);
let sandbox: SandboxInfo;

/** One fixture app's stack: its own name, port and config. */
function fixture(name: string, port: number, config: (source: string) => Record<string, unknown>) {
  const stack = new SandboxStack(`shapes-${name}`);
  const url = `http://127.0.0.1:${port}`;
  const variant = (version: string, opts: Parameters<typeof makeAppVariant>[1] = {}) =>
    makeAppVariant(version, { app: `tests/fixtures/apps/${name}`, ...opts });
  const use = (source: string) => stack.setPlain({ app: { name, ...config(source) } });
  return {
    stack,
    url,
    variant,
    use,
    async init() {
      await stack.remove();
      await stack.init(sandbox, {
        djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
        dbPassword: crypto.randomBytes(18).toString("base64url"),
      });
      stack.setPlain({ site: { listen: `127.0.0.1:${port}` } });
    },
  };
}

/** The /static/ URLs a page links to (href and src). */
function assetUrls(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]))].sort();
}

async function get(url: string) {
  return requestOnce(url, { timeoutMs: 15_000 });
}

const storefront = fixture("storefront", 8086, (source) => ({
  source,
  envNames: { secretKey: "SECRET_KEY", allowedHosts: "ALLOWED_HOSTS", databaseUrl: "DATABASE_URL" },
  manage: ["collectstatic --noinput", "compress --force", "migrate --noinput"],
  healthCheck: { path: "/health/" },
}));
const gallery = fixture("gallery", 8087, (source) => ({
  source,
  envNames: { databaseUrl: "DATABASE_URL", secretKey: "DJANGO_SECRET_KEY" },
  sharedDirs: ["media"],
  packages: ["libldap2-dev", "libsasl2-dev"],
  healthCheck: { path: "/health/" },
}));
const chat = fixture("chat", 8088, (source) => ({
  source,
  server: "gunicorn-uvicorn",
  envNames: {
    secretKey: "SECRET_KEY",
    databaseName: "DB_NAME",
    databaseUser: "DB_USER",
    databasePassword: "DB_PASSWORD",
    databaseHost: "DB_HOST",
    databasePort: "DB_PORT",
  },
  healthCheck: { path: "/health/" },
}));

beforeAll(async () => {
  sandbox = await startSandbox(place);
});

afterAll(async () => {
  for (const f of [storefront, gallery, chat]) await f.stack.remove();
  await stopSandbox(place);
});

describe("static files where the project keeps them", () => {
  let v1Assets: string[] = [];

  test("deploys unmodified: whitenoise, offline compression, STATIC_ROOT in staticfiles/, a source static/ dir", async () => {
    await storefront.init();
    storefront.use(storefront.variant("v1"));
    const r = await storefront.stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const page = await get(`${storefront.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("v1");
    v1Assets = assetUrls(page.body);
    // The stylesheet compress wrote offline, the source static/ dir's logo, hashed by the manifest storage.
    expect(v1Assets.some((u) => u.startsWith("/static/CACHE/css/"))).toBe(true);
    expect(v1Assets.some((u) => /^\/static\/img\/logo\.[0-9a-f]{12}\.svg$/.test(u))).toBe(true);
    for (const u of v1Assets) {
      const a = await get(`${storefront.url}${u}`);
      expect([u, a.status]).toEqual([u, 200]);
      // nginx serves it from the public tree, cached for good: the name is hashed.
      expect(a.headers["cache-control"], u).toContain("max-age=315360000");
    }
  });

  test("a redeploy that changes the CSS keeps every asset of the old page answering 200, under load", async () => {
    storefront.use(storefront.variant("v2", { edits: [{ file: "static/css/site.css", from: "#0a7", to: "#a07" }] }));
    const result = await deployUnderLoad(storefront.stack, {
      url: storefront.url,
      slowSeconds: 0,
      paths: ["GET /", "GET /health/", ...v1Assets.map((u) => `GET ${u}`)],
    });
    expect(result.up.code, result.up.stdout + result.up.stderr).toBe(0);
    expect(result.probe.requests).toBeGreaterThan(200);
    expect(result.probe.failed, JSON.stringify(result.probe.failuresSample)).toBe(0);
    const page = await get(`${storefront.url}/`);
    expect(page.body).toContain("v2");
    const v2Assets = assetUrls(page.body);
    expect(v2Assets).not.toEqual(v1Assets);
    for (const u of [...v1Assets, ...v2Assets])
      expect([u, (await get(`${storefront.url}${u}`)).status]).toEqual([u, 200]);
  });

  test("a STATIC_ROOT outside the release is refused, and the live release keeps serving", async () => {
    storefront.use(
      storefront.variant("v3", {
        edits: [
          {
            file: "config/settings.py",
            from: 'STATIC_ROOT = BASE_DIR / "staticfiles"',
            to: 'STATIC_ROOT = "/var/www/static"',
          },
        ],
      }),
    );
    const r = await storefront.stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("STATIC_ROOT is /var/www/static, outside the release");
    expect((await get(`${storefront.url}/`)).body).toContain("v2");
  });
});

describe("uploads, DATABASE_URL and a C extension", () => {
  let uploaded = "";

  test("deploys unmodified: the system packages its build needs, media in a shared dir", async () => {
    await gallery.init();
    gallery.use(gallery.variant("v1"));
    const r = await gallery.stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const page = await get(`${gallery.url}/`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/ldap \d+\.\d+/);
    const form = new FormData();
    form.append("file", new Blob(["hello from v1"], { type: "text/plain" }), "note.txt");
    const res = await fetch(`${gallery.url}/upload/`, { method: "POST", body: form });
    expect(res.status).toBe(200);
    uploaded = (await res.text()).trim();
    expect(uploaded).toMatch(/^\/media\//);
    const file = await get(`${gallery.url}${uploaded}`);
    expect([file.status, file.body]).toEqual([200, "hello from v1"]);
    expect(await onHost(`stat -c %U /srv/gallery/shared/media${uploaded.slice("/media".length)}`)).toBe("gallery\n");
  });

  test("a redeploy under load keeps the upload, served by nginx from the shared dir", async () => {
    gallery.use(gallery.variant("v2"));
    const result = await deployUnderLoad(gallery.stack, {
      url: gallery.url,
      slowSeconds: 0,
      paths: ["GET /", `GET ${uploaded}`],
    });
    expect(result.up.code, result.up.stdout + result.up.stderr).toBe(0);
    expect(result.probe.failed, JSON.stringify(result.probe.failuresSample)).toBe(0);
    expect((await get(`${gallery.url}/`)).body).toContain("v2");
    expect((await get(`${gallery.url}${uploaded}`)).body).toBe("hello from v1");
  });
});

describe("an ASGI app", () => {
  test("deploys unmodified under gunicorn's uvicorn worker, reading DB_* names", async () => {
    await chat.init();
    chat.use(chat.variant("v1"));
    const r = await chat.stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const page = await get(`${chat.url}/`);
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toMatchObject({ version: "v1" });
  });

  test("redeploys under load with 0 failed requests", async () => {
    chat.use(chat.variant("v2"));
    const result = await deployUnderLoad(chat.stack, {
      url: chat.url,
      slowSeconds: 0,
      paths: ["GET /", "GET /health/"],
    });
    expect(result.up.code, result.up.stdout + result.up.stderr).toBe(0);
    expect(result.probe.failed, JSON.stringify(result.probe.failuresSample)).toBe(0);
    expect(JSON.parse((await get(`${chat.url}/`)).body)).toMatchObject({ version: "v2" });
  });
});
