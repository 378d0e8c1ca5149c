// What the app is told (src/components/appSettings.ts): each value the deploy
// provides under the names app.envNames gives it, and a DATABASE_URL that the
// real dj-database-url reads back exactly.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appSettings, type AppSettingsInputs, databaseUrl, siteUrl } from "../src/components/appSettings";
import type { EnvNames } from "../src/config/types";

const DEFAULT_NAMES: EnvNames = {
  secretKey: ["DJANGO_SECRET_KEY"],
  allowedHosts: ["DJANGO_ALLOWED_HOSTS"],
  databaseUrl: ["DATABASE_URL"],
  databaseName: ["DATABASE_NAME"],
  databaseUser: ["DATABASE_USER"],
  databasePassword: ["DATABASE_PASSWORD"],
  databaseHost: ["DATABASE_HOST"],
  databasePort: ["DATABASE_PORT"],
  databaseSslMode: ["DATABASE_SSLMODE"],
  siteUrl: [],
  releaseId: ["RELEASE_ID"],
};

const LOCAL_DB = { name: "hc", user: "hc", password: "pw", host: "/var/run/postgresql", port: "5432" };
const MANAGED_DB = {
  name: "hc",
  user: "hc",
  password: "generated",
  host: "private-db.example.internal",
  port: "25060",
  sslMode: "require",
};

function inputs(over: Partial<AppSettingsInputs> = {}): AppSettingsInputs {
  return {
    serverName: "example.com www.example.com",
    secretKey: "sk",
    database: LOCAL_DB,
    envNames: DEFAULT_NAMES,
    env: {},
    secretEnv: {},
    ...over,
  };
}

describe("appSettings: which values, under which names", () => {
  it("by default: the names the deploy always used, and DATABASE_URL", () => {
    expect(appSettings(inputs())).toStrictEqual({
      DJANGO_ALLOWED_HOSTS: "example.com,www.example.com,localhost",
      DJANGO_SECRET_KEY: "sk",
      DATABASE_URL: "postgres://hc:pw@%2Fvar%2Frun%2Fpostgresql/hc",
      DATABASE_NAME: "hc",
      DATABASE_USER: "hc",
      DATABASE_PASSWORD: "pw",
      DATABASE_HOST: "/var/run/postgresql",
      DATABASE_PORT: "5432",
    });
  });

  it("a managed database: sslmode in the URL and on its own", () => {
    const s = appSettings(inputs({ database: MANAGED_DB }));
    expect(s.DATABASE_URL).toBe("postgres://hc:generated@private-db.example.internal:25060/hc?sslmode=require");
    expect(s.DATABASE_SSLMODE).toBe("require");
  });

  it("a value under one name, under several, or under none", () => {
    const s = appSettings(
      inputs({
        database: MANAGED_DB,
        envNames: {
          ...DEFAULT_NAMES,
          secretKey: ["SECRET_KEY"],
          databasePassword: ["DB_PASSWORD", "PGPASSWORD"],
          databaseName: ["DB_NAME"],
          databaseUser: ["DB_USER"],
          databaseHost: ["DB_HOST"],
          databasePort: ["DB_PORT"],
          databaseSslMode: [],
          databaseUrl: [],
          allowedHosts: ["ALLOWED_HOSTS"],
          siteUrl: ["SITE_ROOT"],
        },
      }),
    );
    expect(s).toStrictEqual({
      ALLOWED_HOSTS: "example.com,www.example.com,localhost",
      SITE_ROOT: "http://example.com",
      SECRET_KEY: "sk",
      DB_NAME: "hc",
      DB_USER: "hc",
      DB_PASSWORD: "generated",
      PGPASSWORD: "generated",
      DB_HOST: "private-db.example.internal",
      DB_PORT: "25060",
    });
  });

  it("no sslmode for a local database, whatever its name", () => {
    expect(appSettings(inputs())).not.toHaveProperty("DATABASE_SSLMODE");
  });

  it("app.env and secretEnv come along; the site's defaults give way to them", () => {
    const s = appSettings(
      inputs({
        envNames: { ...DEFAULT_NAMES, siteUrl: ["SITE_ROOT"] },
        env: { DJANGO_ALLOWED_HOSTS: "www.example.com", FEATURE: "on" },
        secretEnv: { SITE_ROOT: "https://example.com", SENTRY_DSN: "dsn" },
      }),
    );
    expect(s).toMatchObject({
      DJANGO_ALLOWED_HOSTS: "www.example.com",
      SITE_ROOT: "https://example.com",
      FEATURE: "on",
      SENTRY_DSN: "dsn",
    });
  });

  it("refuses app.env or secretEnv under a name the deploy fills (a program that skipped appConfig)", () => {
    expect(() => appSettings(inputs({ secretEnv: { DATABASE_PASSWORD: "other" } }))).toThrow(
      "secretEnv.DATABASE_PASSWORD: the deploy puts databasePassword under this name (app.envNames.databasePassword); set it in one place only",
    );
    expect(() =>
      appSettings(inputs({ envNames: { ...DEFAULT_NAMES, secretKey: ["SECRET_KEY"] }, env: { SECRET_KEY: "x" } })),
    ).toThrow("app.env.SECRET_KEY: the deploy puts secretKey under this name");
  });

  it("the site URL: the first name the site serves, else localhost", () => {
    expect(siteUrl("www.example.com example.com")).toBe("http://www.example.com");
    expect(siteUrl("*.example.com")).toBe("http://www.example.com");
    expect(siteUrl("_")).toBe("http://localhost");
  });
});

// ---------------------------------------------------------------------------
// DATABASE_URL read back by dj-database-url itself (installed into a temporary
// directory; without the registry, by the same urllib.parse steps its parse() takes).

const PARSE_WITH_URLLIB = `
import urllib.parse as u
def parse(url):
    s = u.urlsplit(url)
    options = {k: v[0] for k, v in u.parse_qs(s.query).items()}
    out = {"USER": u.unquote(s.username or ""), "PASSWORD": u.unquote(s.password or ""),
           "HOST": u.unquote(s.hostname or ""), "PORT": s.port or "", "NAME": u.unquote(s.path[1:])}
    if options: out["OPTIONS"] = options
    return out
`;

const PARSE = `
import json, sys
try:
    from dj_database_url import parse
    library = "dj-database-url"
except ImportError:
${PARSE_WITH_URLLIB.replace(/^/gm, "    ")}
    library = "urllib.parse"
keys = ("USER", "PASSWORD", "HOST", "PORT", "NAME", "OPTIONS")
print(json.dumps({"library": library, "parsed": [
    {k: v for k, v in parse(url).items() if k in keys} for url in json.load(sys.stdin)]}))
`;

let libDir: string;
let installed = false;

beforeAll(() => {
  libDir = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-dj-database-url-"));
  try {
    execFileSync(
      "python3",
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--disable-pip-version-check",
        "--target",
        libDir,
        "dj-database-url",
      ],
      { stdio: "ignore", timeout: 60_000 },
    );
    installed = true;
  } catch {
    // No registry: the urllib.parse steps below stand in (PARSE says which one ran).
  }
}, 90_000);

afterAll(() => fs.rmSync(libDir, { recursive: true, force: true }));

function parseUrls(urls: string[]): { library: string; parsed: Record<string, unknown>[] } {
  const out = execFileSync("python3", ["-c", PARSE], {
    input: JSON.stringify(urls),
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: libDir },
  });
  return JSON.parse(out);
}

describe("DATABASE_URL, as dj-database-url reads it", () => {
  const passwords = ["pw", "p@ss:w/rd%", "?#[]@!$&'()*+,;= ", "ünï/cødé%2F", "%2Fvar"];

  it("gives back the socket directory, port, name, user and every password", () => {
    const urls = passwords.map((password) => databaseUrl({ ...LOCAL_DB, user: "hc_user", password }));
    const { library, parsed } = parseUrls(urls);
    expect(library).toBe(installed ? "dj-database-url" : "urllib.parse");
    expect(parsed).toEqual(
      passwords.map((password) => ({
        USER: "hc_user",
        PASSWORD: password,
        HOST: "/var/run/postgresql",
        // No port for the socket directory: Django's default (5432) applies.
        PORT: "",
        NAME: "hc",
      })),
    );
  });

  it("gives back a managed database's host and sslmode", () => {
    const { parsed } = parseUrls([databaseUrl({ ...MANAGED_DB, password: "p@ss:w/rd%" })]);
    expect(parsed).toEqual([
      {
        USER: "hc",
        PASSWORD: "p@ss:w/rd%",
        HOST: "private-db.example.internal",
        PORT: 25060,
        NAME: "hc",
        OPTIONS: { sslmode: "require" },
      },
    ]);
  });

  it('encodes the socket directory as the host: percent-encoded, so no "/" ends the host early', () => {
    expect(databaseUrl({ ...LOCAL_DB, password: "p@ss:w/rd%" })).toBe(
      "postgres://hc:p%40ss%3Aw%2Frd%25@%2Fvar%2Frun%2Fpostgresql/hc",
    );
  });
});
