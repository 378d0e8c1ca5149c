/**
 * Stack config checking (src/config/config.ts): exact messages for bad
 * configurations, defaults for good ones, and loadConfig over real Pulumi
 * config (set with runtime.setAllConfig under mocks).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TLS_DEFAULT } from "./support/siteDefaults";
import { type IssuedCertificate, issueCertificate, makeTestCa } from "./support/testCertificates";

pulumi.runtime.setMocks(
  {
    newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
    call: (a) => a.inputs,
  },
  "djangozd",
  "test",
  false,
);
type ConfigModule = typeof import("../src/config/config");
type RawConfig = import("../src/config/config").RawConfig;
type KeyPair = import("../src/components/droplet").HostKeyPair;

// The program's modules load after setMocks (one import per file).
let formatConfigErrors: ConfigModule["formatConfigErrors"];
let loadConfig: ConfigModule["loadConfig"];
let validateConfig: ConfigModule["validateConfig"];
// Keys made for these tests only (fixed seeds: stable, never used anywhere).
let deployKey: KeyPair;
let otherKey: KeyPair;
let HOST_KEY: string;
// A site certificate for shop.io and www.shop.io, and one for shop.io alone (another key).
let siteCert: IssuedCertificate;
let otherCert: IssuedCertificate;

beforeAll(async () => {
  const ca = makeTestCa();
  siteCert = issueCertificate(ca, ["shop.io", "www.shop.io"]);
  otherCert = issueCertificate(ca, ["shop.io"]);
  ({ formatConfigErrors, loadConfig, validateConfig } = await import("../src/config/config"));
  const { ed25519HostKey } = await import("../src/components/droplet");
  deployKey = ed25519HostKey(Buffer.alloc(32, 7), "test deploy key");
  otherKey = ed25519HostKey(Buffer.alloc(32, 9));
  HOST_KEY = ed25519HostKey(Buffer.alloc(32, 3)).publicKey;
});
const SECRET = new Set(["sshPrivateKey", "djangoSecretKey", "dbPassword", "secretEnv", "backupCopySecretKey"]);

/** Authorized-keys form of a Node RSA key object. */
function sshPublicOf(key: crypto.KeyObject): string {
  const jwk = crypto.createPublicKey(key).export({ format: "jwk" });
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const mpint = (s: string | undefined) => {
    const b = Buffer.from(s ?? "", "base64url");
    return str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  return `ssh-rsa ${Buffer.concat([str(Buffer.from("ssh-rsa")), mpint(jwk.e), mpint(jwk.n)]).toString("base64")}`;
}

/** The smallest good droplet stack. */
function base(): Record<string, unknown> {
  return {
    droplet: { sshPublicKey: deployKey.publicKey },
    app: { source: "examples/app" },
    sshPrivateKey: deployKey.privateKey,
    djangoSecretKey: "not-a-real-secret",
    dbPassword: "not-a-real-password",
  };
}

/** base() with some top-level keys replaced; `undefined` removes a key. */
function withValues(over: Record<string, unknown>): Record<string, unknown> {
  const v = { ...base(), ...over };
  for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
  return v;
}

function raw(values: Record<string, unknown>, secretKeys: Set<string> = SECRET): RawConfig {
  return { values, secretKeys };
}

const noManagePy = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-config-test-"));
fs.writeFileSync(path.join(noManagePy, "requirements.txt"), "Django\n");
afterAll(() => fs.rmSync(noManagePy, { recursive: true, force: true }));

const SET_EXACTLY_ONE_HOST =
  'host: set exactly one of "host" (an existing server) or "droplet" (a new DigitalOcean droplet)';
const SET_EXACTLY_ONE_SOURCE =
  'app.source: set exactly one of "app.source" (a local directory) or "app.git" (a repository URL and ref)';
const existingHost = () => ({ address: "203.0.113.5", hostKey: HOST_KEY });

interface BadCase {
  name: string;
  /** Built when the test runs: the keys exist only then. */
  config: () => RawConfig;
  errors: string[];
}

const BAD: BadCase[] = [
  {
    name: "workers not a number",
    config: () => raw(withValues({ app: { source: "examples/app", workers: "lots" } })),
    errors: ['app.workers: expected a whole number from 1 to 64, got "lots"'],
  },
  {
    name: "both host and droplet",
    config: () => raw(withValues({ host: existingHost() })),
    errors: [SET_EXACTLY_ONE_HOST],
  },
  {
    name: "neither host nor droplet",
    config: () => raw(withValues({ droplet: undefined })),
    errors: [SET_EXACTLY_ONE_HOST],
  },
  {
    name: "unknown top-level keys: a typo, a misplaced nested key, something else",
    config: () => raw(withValues({ appp: { workers: 3 }, workers: 3, colour: "blue" })),
    errors: [
      'appp: unknown setting; did you mean "app"?',
      'workers: unknown setting; did you mean "app.workers"? (pulumi config set --path app.workers …)',
      "colour: unknown setting (expected one of: host, droplet, app, site, database, sshPrivateKey, tlsPrivateKey, djangoSecretKey, dbPassword, backupCopySecretKey, secretEnv)",
    ],
  },
  {
    name: "site.tls: acme needs domain names, its own port, and well-formed ACME settings",
    config: () =>
      raw(
        withValues({
          site: {
            serverName: "_",
            listen: "127.0.0.1:8443",
            tls: {
              mode: "acme",
              email: "ops",
              directoryUrl: "http://acme.example.net/dir",
              listen: "8443",
              hstsMaxAge: -1,
            },
          },
        }),
      ),
    errors: [
      'site.tls.email: expected an e-mail address like "ops@example.com", got "ops"',
      'site.tls.directoryUrl: expected an https URL like "https://acme.example.net/directory", got "http://acme.example.net/dir"',
      "site.tls.hstsMaxAge: expected seconds from 0 to 63072000 (2 years), got -1",
      'site.tls.mode: "acme" needs site.serverName to list domain names only (like "example.com www.example.com"); not "_"',
      "site.tls.listen: uses the port of site.listen (127.0.0.1:8443); HTTPS needs a port of its own",
    ],
  },
  {
    name: "unknown nested keys",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app", worker: 3, healthCheck: { timeout: 5 } },
          droplet: { sshPublicKey: deployKey.publicKey, regoin: "ams3" },
          site: { server_name: "example.com" },
        }),
      ),
    errors: [
      'droplet.regoin: unknown setting; did you mean "droplet.region"?',
      'app.worker: unknown setting; did you mean "app.workers"?',
      "app.healthCheck.timeout: unknown setting (expected one of: path, expectStatus, expectText, timeoutSeconds)",
      'site.server_name: unknown setting; did you mean "site.serverName"?',
    ],
  },
  {
    name: "secrets set in plain text",
    config: () => raw(withValues({ secretEnv: { API_TOKEN: "x" } }), new Set()),
    errors: [
      "sshPrivateKey: must be set with --secret (pulumi config set --secret sshPrivateKey …)",
      "djangoSecretKey: must be set with --secret (pulumi config set --secret djangoSecretKey …)",
      "dbPassword: must be set with --secret (pulumi config set --secret dbPassword …)",
      "secretEnv: must be set with --secret (pulumi config set --secret --path secretEnv.NAME …)",
    ],
  },
  {
    name: "a plain setting set with --secret",
    config: () => raw(base(), new Set([...SECRET, "app"])),
    errors: [
      'app: was set with --secret, but this setting is stored in plain text; set it without --secret (secret app settings belong in "secretEnv")',
    ],
  },
  {
    name: "secrets missing or empty",
    config: () => raw(withValues({ djangoSecretKey: undefined, dbPassword: "  " })),
    errors: [
      "djangoSecretKey: required; set it with pulumi config set --secret djangoSecretKey …",
      "dbPassword: expected a non-empty string (value not shown)",
    ],
  },
  {
    name: "bad CIDRs",
    config: () =>
      raw(
        withValues({
          droplet: {
            sshPublicKey: deployKey.publicKey,
            sshAllowFrom: ["10.0.0.300/8", "203.0.113.7", "::/129", "2001:db8::/48"],
          },
        }),
      ),
    errors: [
      'droplet.sshAllowFrom[0]: expected an address range like "203.0.113.0/24" or "2001:db8::/48", got "10.0.0.300/8"',
      'droplet.sshAllowFrom[1]: expected an address range like "203.0.113.0/24" or "2001:db8::/48", got "203.0.113.7"',
      'droplet.sshAllowFrom[2]: expected an address range like "203.0.113.0/24" or "2001:db8::/48", got "::/129"',
    ],
  },
  {
    name: "empty sshAllowFrom",
    config: () => raw(withValues({ droplet: { sshPublicKey: deployKey.publicKey, sshAllowFrom: [] } })),
    errors: ["droplet.sshAllowFrom: expected at least one address range (the deploy itself connects over SSH)"],
  },
  {
    name: "bad host key: hostname prefix (ssh-keyscan output)",
    config: () =>
      raw(withValues({ droplet: undefined, host: { address: "example.com", hostKey: `example.com ${HOST_KEY}` } })),
    errors: [
      `host.hostKey: expected the server's public host key like "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 HOST, without the host name), got "example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO1JKMYo…`,
    ],
  },
  {
    name: "bad host key: data of another key type",
    config: () =>
      raw(
        withValues({
          droplet: undefined,
          host: { address: "example.com", hostKey: "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB" },
        }),
      ),
    errors: ["host.hostKey: the key data is not of type ssh-ed25519 (cut short when copied?)"],
  },
  {
    name: "existing host: missing fields, bad port and user",
    config: () => raw(withValues({ droplet: undefined, host: { port: 0, user: "Root", addres: "x" } })),
    errors: [
      'host.addres: unknown setting; did you mean "host.address"?',
      "host.address: required; expected a host name or IP address",
      "host.port: expected a port number from 1 to 65535, got 0",
      'host.user: expected a unix user name like "root" or "deploy", got "Root"',
      `host.hostKey: required; expected the server's public host key like "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 HOST, without the host name)`,
    ],
  },
  {
    name: "bad listen",
    config: () => raw(withValues({ site: { listen: "localhost:80" } })),
    errors: [
      'site.listen: expected a port or address:port like "80", "127.0.0.1:8080" or "[::]:80", got "localhost:80"',
    ],
  },
  {
    name: "bad listen: port out of range (a number, as --path stores it)",
    config: () => raw(withValues({ site: { listen: 70000 } })),
    errors: ['site.listen: expected a port or address:port like "80", "127.0.0.1:8080" or "[::]:80", got 70000'],
  },
  {
    name: "env: reserved names, bad names, collisions between app.env and secretEnv",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app", env: { DATABASE_HOST: "db", "my-var": "x", DJANGO_DEBUG: "1", LIST: ["a"] } },
          secretEnv: { RELEASE_ID: "r", DJANGO_DEBUG: "0", API_TOKEN: "" },
        }),
      ),
    errors: [
      'app.env["my-var"]: expected a variable name of capital letters, digits and "_" (like "DJANGO_DEBUG")',
      'app.env.LIST: expected a string, got ["a"]',
      "app.env.DATABASE_HOST: the deploy puts databaseHost under this name (app.envNames.databaseHost); set it in one place only: remove it here, or give databaseHost another name (or []) in app.envNames",
      "secretEnv.RELEASE_ID: the deploy puts releaseId under this name (app.envNames.releaseId); set it in one place only: remove it here, or give releaseId another name (or []) in app.envNames",
      'secretEnv.DJANGO_DEBUG: also set in "app.env"; set it in one place only',
      "secretEnv.API_TOKEN: expected a non-empty string (value not shown)",
    ],
  },
  {
    name: "envNames: unknown values, bad names, a value that is no name or list",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            envNames: {
              secretkey: "SECRET_KEY",
              databaseUri: "DB_URL",
              redis: "REDIS_URL",
              databaseName: ["DB_NAME", 3, "db-name"],
              databaseUser: 5,
              databasePassword: { name: "DB_PASSWORD" },
            },
          },
        }),
      ),
    errors: [
      'app.envNames.secretkey: unknown setting; did you mean "app.envNames.secretKey"?',
      'app.envNames.databaseUri: unknown setting; did you mean "app.envNames.databaseUrl"?',
      "app.envNames.redis: unknown setting (expected one of: secretKey, allowedHosts, databaseUrl, databaseName, databaseUser, databasePassword, databaseHost, databasePort, databaseSslMode, siteUrl, releaseId)",
      "app.envNames.databaseName[1]: expected a variable name, got 3",
      'app.envNames.databaseName[2]: expected a variable name of capital letters, digits and "_" (like "DJANGO_DEBUG")',
      'app.envNames.databaseUser: expected a variable name like "SECRET_KEY", a list of them, or [] for none, got 5',
      'app.envNames.databasePassword: expected a variable name like "SECRET_KEY", a list of them, or [] for none, got {"name":"DB_PASSWORD"}',
    ],
  },
  {
    name: "envNames: two values under one name; a name also in app.env or secretEnv",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            envNames: { secretKey: "KEY", databasePassword: ["DB_PASSWORD", "KEY"], databaseUrl: "DB_URL" },
            // DATABASE_URL is free once databaseUrl goes under another name.
            env: { DB_URL: "postgres://elsewhere/db", DATABASE_URL: "free" },
          },
          secretEnv: { DB_PASSWORD: "x", DJANGO_SECRET_KEY: "free too" },
        }),
      ),
    errors: [
      'app.envNames.databasePassword: "KEY" is also app.envNames.secretKey; give each value a name of its own',
      "app.env.DB_URL: the deploy puts databaseUrl under this name (app.envNames.databaseUrl); set it in one place only: remove it here, or give databaseUrl another name (or []) in app.envNames",
      "secretEnv.DB_PASSWORD: the deploy puts databasePassword under this name (app.envNames.databasePassword); set it in one place only: remove it here, or give databasePassword another name (or []) in app.envNames",
    ],
  },
  {
    name: "jobs: bad names, duplicates, the reserved name web, missing command",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            jobs: [
              { name: "Send_Alerts", command: "python manage.py sendalerts" },
              { name: "alerts", command: "python manage.py sendalerts" },
              { name: "alerts", command: "python manage.py other", singleton: "yes" },
              { name: "web", command: "python manage.py x" },
              { name: "cron" },
              "python manage.py sendalerts",
            ],
          },
        }),
      ),
    errors: [
      'app.jobs[0].name: expected lowercase letters, digits and "-", starting with a letter, at most 31 characters (like "alerts"), got "Send_Alerts"',
      'app.jobs[2].name: "alerts" is already used by app.jobs[1]',
      'app.jobs[2].singleton: expected true or false, got "yes"',
      'app.jobs[3].name: "web" names the gunicorn program; choose another name',
      'app.jobs[4].command: required; expected a command on one line like "python manage.py sendalerts"',
      'app.jobs[5]: expected an object like {"name": "alerts", "command": "python manage.py sendalerts"}, got "python manage.py sendalerts"',
    ],
  },
  {
    name: "job command with a newline or a %",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            jobs: [
              { name: "a", command: "python manage.py x\nrm -rf /" },
              { name: "b", command: "date +%s" },
              { name: "c", command: "python manage.py label --name #1" },
              { name: "d", command: "python manage.py a ; rm -rf /" },
              { name: "e", command: "python manage.py tag --name=a#b;c" },
            ],
          },
        }),
      ),
    errors: [
      'app.jobs[0].command: expected a command on one line like "python manage.py sendalerts", got "python manage.py x\\nrm -rf /"',
      'app.jobs[1].command: must not contain "%" (supervisor expands it); move the command into a script',
      'app.jobs[2].command: must not contain " ;" or " #" (supervisor reads the rest as a comment), got "python manage.py label --name #1"; move the command into a script',
      'app.jobs[3].command: must not contain " ;" or " #" (supervisor reads the rest as a comment), got "python manage.py a ; rm -rf /"; move the command into a script',
    ],
  },
  {
    name: "manage commands: newline, empty, with python manage.py",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            manage: [
              "migrate\n--noinput",
              "",
              "python manage.py migrate",
              'shell -c "print(1)"',
              "check --deploy --fail-level=WARNING",
            ],
          },
        }),
      ),
    errors: [
      'app.manage[0]: expected a manage.py command on one line like "migrate --noinput", got "migrate\\n--noinput"',
      'app.manage[1]: expected a manage.py command on one line like "migrate --noinput", got ""',
      'app.manage[2]: give only what follows "manage.py", like "migrate --noinput", got "python manage.py migrate"',
      'app.manage[3]: expected plain words (no quotes or shell characters: the command is split on spaces), got "shell -c \\"print(1)\\""',
    ],
  },
  {
    name: "migrate with arguments; migrations named badly or in both lists",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            manage: ["migrate api 0003", "migrate --no-input"],
            migrations: {
              afterSwitch: ["api.0004_remove_ping_ua", "0004_remove"],
              allowUnsafe: ["api.0004_remove_ping_ua"],
              skip: [],
            },
          },
        }),
      ),
    errors: [
      'app.manage[0]: expected "migrate --noinput" (migrate runs checked, before and after the switch; name migrations in app.migrations), got "migrate api 0003"',
      "app.migrations.skip: unknown setting (expected one of: afterSwitch, allowUnsafe)",
      'app.migrations.afterSwitch[1]: expected a migration as "app_label.migration_name" like "api.0004_remove_ping_ua", got "0004_remove"',
      'app.migrations.allowUnsafe: "api.0004_remove_ping_ua" is also in app.migrations.afterSwitch (where nothing serves that could break); remove it from one',
    ],
  },
  {
    name: "protect: a yes/no, and database.protect only for a managed cluster",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app" },
          droplet: { sshPublicKey: "x", protect: "maybe" },
          database: { protect: false },
        }),
      ),
    errors: [
      'droplet.sshPublicKey: expected the deploy key\'s public half like "ssh-ed25519 AAAA… you@laptop", got "x"',
      'droplet.protect: expected true or false, got "maybe"',
      'database.protect: only used with database.kind "managed"',
    ],
  },
  {
    name: "app names of system accounts",
    config: () => raw(withValues({ app: { source: "examples/app", name: "postgres" } })),
    errors: ['app.name: "postgres" is a system account\'s name; the app gets a user of its own: choose another name'],
  },
  {
    name: "missing source directory",
    config: () => raw(withValues({ app: { source: "./nope" } })),
    errors: ['app.source: directory "./nope" does not exist'],
  },
  {
    name: "source without manage.py",
    config: () => raw(withValues({ app: { source: noManagePy } })),
    errors: ["app.source: must contain manage.py"],
  },
  {
    name: "source is a file",
    config: () => raw(withValues({ app: { source: "package.json" } })),
    errors: ['app.source: "package.json" is not a directory'],
  },
  {
    name: "both source and git",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app", git: { url: "https://github.com/example/app.git", ref: "main" } },
        }),
      ),
    errors: [SET_EXACTLY_ONE_SOURCE],
  },
  {
    name: "neither source nor git (no app at all)",
    config: () => raw(withValues({ app: undefined })),
    errors: [SET_EXACTLY_ONE_SOURCE],
  },
  {
    name: "bad git url and ref",
    config: () => raw(withValues({ app: { git: { url: "github.com/example/app", ref: "--upload-pack=x" } } })),
    errors: [
      'app.git.url: expected a repository URL like "https://github.com/you/app.git" or "git@github.com:you/app.git", got "github.com/example/app"',
      'app.git.ref: expected a branch, a tag or a full 40-character commit id, like "main" or "v1.2.0", got "--upload-pack=x"',
    ],
  },
  {
    // In the table's order, like the "expected one of" list of app.healthCheck.
    name: "health check out of range",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            healthCheck: { path: "about/", expectStatus: 99, expectText: "", timeoutSeconds: 601 },
          },
        }),
      ),
    errors: [
      'app.healthCheck.path: expected a URL path starting with "/" like "/healthz/", got "about/"',
      "app.healthCheck.expectStatus: expected an HTTP status from 100 to 599, got 99",
      'app.healthCheck.expectText: expected text on one line, got ""',
      "app.healthCheck.timeoutSeconds: expected a whole number from 1 to 600, got 601",
    ],
  },
  {
    name: "app name, keepReleases, wsgi, python",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app", name: "My-App", keepReleases: 0, wsgi: "hc.wsgi", python: "python3; rm" },
        }),
      ),
    errors: [
      'app.name: expected 2 to 31 lowercase letters and digits, starting with a letter (like "hc"), got "My-App"',
      'app.python: expected an interpreter name or path like "python3" or "/usr/bin/python3.12", got "python3; rm"',
      'app.wsgi: expected a WSGI application as "module:callable" like "config.wsgi:application", got "hc.wsgi"',
      "app.keepReleases: expected a whole number from 1 to 50, got 0",
    ],
  },
  {
    name: "shared dirs and how static files are served",
    config: () =>
      raw(
        withValues({
          app: { source: "examples/app", sharedDirs: ["media", "../etc", "/srv/x", "media/avatars", "venv", "media"] },
          site: { static: "whitenoise" },
        }),
      ),
    errors: [
      'app.sharedDirs[1]: expected a directory relative to the project like "media" or "data/uploads", got "../etc"',
      'app.sharedDirs[2]: expected a directory relative to the project like "media" or "data/uploads", got "/srv/x"',
      'app.sharedDirs[1]: "media/avatars" is inside "media"; list each shared directory once',
      'app.sharedDirs[2]: "venv" is the release\'s own; choose another directory',
      'app.sharedDirs[3]: "media" is listed twice; list each shared directory once',
      'site.static: expected "nginx" or "app", got "whitenoise"',
    ],
  },
  {
    name: "server, its application, system packages",
    config: () =>
      raw(
        withValues({
          app: {
            source: "examples/app",
            server: "uvicorn",
            packages: ["libpq-dev", "lib curl", "Gcc"],
          },
        }),
      ),
    errors: [
      'app.server: expected "gunicorn-wsgi" or "gunicorn-uvicorn", got "uvicorn"',
      'app.packages[1]: expected a package name like "libpq-dev", got "lib curl"',
      'app.packages[2]: expected a package name like "libpq-dev", got "Gcc"',
    ],
  },
  {
    name: "an application of the other interface",
    config: () =>
      raw(withValues({ app: { source: "examples/app", server: "gunicorn-uvicorn", wsgi: "config.wsgi:application" } })),
    errors: ['app.wsgi: app.server "gunicorn-uvicorn" serves the ASGI app: set app.asgi instead'],
  },
  {
    name: "droplet: bad region, tags, booleans, dns",
    config: () =>
      raw(
        withValues({
          droplet: {
            sshPublicKey: deployKey.publicKey,
            region: "Frankfurt",
            tags: ["web", "my tag"],
            monitoring: "yes",
            reservedIp: 1,
            dns: { domain: "localhost", record: "www.example.com" },
          },
        }),
      ),
    errors: [
      'droplet.region: expected a DigitalOcean region slug like "fra1", got "Frankfurt"',
      'droplet.monitoring: expected true or false, got "yes"',
      'droplet.tags[1]: expected a tag of letters, digits, ":", "-" and "_", got "my tag"',
      "droplet.reservedIp: expected true or false, got 1",
      'droplet.dns.domain: expected a domain managed in DigitalOcean like "example.com", got "localhost"',
    ],
  },
  {
    name: "dns record that repeats the domain",
    config: () =>
      raw(
        withValues({
          droplet: { sshPublicKey: deployKey.publicKey, dns: { domain: "example.com", record: "www.example.com" } },
        }),
      ),
    errors: ['droplet.dns.record: give the name relative to "example.com", like "www", got "www.example.com"'],
  },
  {
    name: "droplet.sshPublicKey that does not match sshPrivateKey",
    config: () => raw(withValues({ droplet: { sshPublicKey: otherKey.publicKey } })),
    errors: [
      "droplet.sshPublicKey: does not match sshPrivateKey (ssh-keygen -y -f KEYFILE prints the matching public key)",
    ],
  },
  {
    name: "droplet: sshPublicKey missing",
    config: () => raw(withValues({ droplet: { region: "ams3" } })),
    errors: [
      'droplet.sshPublicKey: required; expected the deploy key\'s public half like "ssh-ed25519 AAAA… you@laptop"',
    ],
  },
  {
    name: "sshPrivateKey is not a key (value never shown)",
    config: () => raw(withValues({ sshPrivateKey: "hunter2-this-is-not-a-key" })),
    errors: ['sshPrivateKey: expected a private key block ("-----BEGIN OPENSSH PRIVATE KEY-----" …) (value not shown)'],
  },
  {
    name: "sshPrivateKey in PKCS#8 form (the SSH client cannot read it)",
    config: () =>
      raw(
        withValues({
          sshPrivateKey: crypto
            .generateKeyPairSync("ed25519")
            .privateKey.export({ format: "pem", type: "pkcs8" }) as string,
        }),
      ),
    errors: [
      'sshPrivateKey: is a PKCS#8 key ("BEGIN PRIVATE KEY"), which the SSH client cannot use; rewrite it in OpenSSH form (ssh-keygen -p -N "" -f KEYFILE) or make a new key (ssh-keygen -t ed25519 -N "" -f KEYFILE)',
    ],
  },
  {
    name: "sshPrivateKey protected by a passphrase",
    config: () =>
      raw(
        withValues({
          sshPrivateKey: crypto.generateKeyPairSync("ed25519").privateKey.export({
            format: "pem",
            type: "pkcs8",
            cipher: "aes-256-cbc",
            passphrase: "pw",
          }) as string,
        }),
      ),
    errors: [
      'sshPrivateKey: is protected by a passphrase; set a key without one (ssh-keygen -p -N "" -f KEYFILE removes it)',
    ],
  },
  {
    name: "database: unknown kind, managed-only keys with local",
    config: () => raw(withValues({ database: { kind: "sqlite", name: "Bad-Name" } })),
    errors: [
      'database.kind: expected "local" or "managed", got "sqlite"',
      'database.name: expected a PostgreSQL name of lowercase letters, digits and "_", got "Bad-Name"',
    ],
  },
  {
    name: "database: size with a local database",
    config: () => raw(withValues({ database: { size: "db-s-1vcpu-1gb", version: 16 } })),
    errors: [
      'database.size: only used with database.kind "managed"',
      'database.version: only used with database.kind "managed"',
    ],
  },
  {
    name: "database: backups of a managed database, a bad schedule",
    config: () => raw(withValues({ database: { kind: "managed", backupKeep: 3 } })),
    errors: [
      'database.backupKeep: only used with database.kind "local" (a managed cluster has DigitalOcean\'s backups)',
      'dbPassword: not used with database.kind "managed" (DigitalOcean generates the password); remove it (pulumi config rm dbPassword)',
    ],
  },
  {
    name: "database: a backup schedule that is no cron schedule",
    config: () => raw(withValues({ database: { backupSchedule: "daily", backupKeep: 0 } })),
    errors: [
      'database.backupSchedule: expected a cron schedule of 5 fields like "17 3 * * *" (03:17 daily, the host\'s time), or "off", got "daily"',
      "database.backupKeep: expected a number of archives from 1 to 365, got 0",
    ],
  },
  {
    name: "database: a backup copy with a bad URL, a plain-HTTP endpoint elsewhere, no key id, no secret",
    config: () =>
      raw(
        withValues({
          database: { backupCopy: { url: "https://my-space/backups", endpoint: "http://nyc3.digitaloceanspaces.com" } },
        }),
      ),
    errors: [
      'database.backupCopy.url: expected an s3:// URL like "s3://my-space/backups/" (a bucket, then a prefix), got "https://my-space/backups"',
      'database.backupCopy.endpoint: expected an https URL like "https://nyc3.digitaloceanspaces.com" (http only on loopback), got "http://nyc3.digitaloceanspaces.com"',
      "database.backupCopy.accessKeyId: required; expected an access key id of 8 to 128 letters and digits",
      "backupCopySecretKey: required; set it with pulumi config set --secret backupCopySecretKey …",
    ],
  },
  {
    name: "database: a backup copy of a managed database; its key without a copy",
    config: () =>
      raw(
        withValues({
          database: { kind: "managed", backupCopy: { url: "s3://b1/x" } },
          dbPassword: undefined,
          backupCopySecretKey: "k",
        }),
      ),
    errors: [
      'database.backupCopy: only used with database.kind "local" (a managed cluster has DigitalOcean\'s backups)',
      'backupCopySecretKey: not used with database.kind "managed"; remove it (pulumi config rm backupCopySecretKey)',
    ],
  },
  {
    name: "database: a backup copy to a Space's origin endpoint (the bucket in its name); a secret with a space",
    config: () =>
      raw(
        withValues({
          database: {
            backupCopy: {
              url: "s3://shop-db/daily/",
              endpoint: "https://shop-db.ams3.digitaloceanspaces.com",
              accessKeyId: "DO00ABCDEFGH",
            },
          },
          backupCopySecretKey: "two words",
        }),
      ),
    errors: [
      "database.backupCopy.endpoint: names the bucket (shop-db); give the region's endpoint, like https://ams3.digitaloceanspaces.com",
      "backupCopySecretKey: expected a secret access key of 8 to 128 letters, digits and + / = _ . - (value not shown)",
    ],
  },
  {
    name: "managed database: dbPassword set, on an existing host",
    config: () =>
      raw(withValues({ droplet: undefined, host: existingHost(), database: { kind: "managed", version: "sixteen" } })),
    errors: [
      'database.version: expected a PostgreSQL major version like "16", got "sixteen"',
      'database.kind: "managed" needs "droplet" (the database firewall admits only the droplet); use "local" with "host"',
      'dbPassword: not used with database.kind "managed" (DigitalOcean generates the password); remove it (pulumi config rm dbPassword)',
    ],
  },
  {
    name: "structured settings given as plain text",
    config: () => raw(withValues({ site: "example.com", app: "hc", database: 5, secretEnv: "A=b" })),
    errors: [
      'app: expected an object (pulumi config set --path app.source ./app …), got "hc"',
      'site: expected an object (pulumi config set --path site.serverName example.com …), got "example.com"',
      "database: expected an object (pulumi config set --path database.kind local), got 5",
      "secretEnv: expected an object of NAME: value pairs (pulumi config set --secret --path secretEnv.NAME …) (value not shown)",
    ],
  },
  {
    name: "site: server name and body size",
    config: () => raw(withValues({ site: { serverName: "example.com; return 444", clientMaxBodySize: "10 MB" } })),
    errors: [
      'site.serverName: expected host names separated by spaces, or "_" for any (like "example.com www.example.com"), got "example.com; return 444"',
      'site.clientMaxBodySize: expected a size like "10m", "512k" or "1g", got "10 MB"',
    ],
  },
  {
    name: "many problems at once, in a stable order",
    config: () =>
      raw(
        withValues({
          appp: 1,
          host: { address: "203.0.113.5", hostKey: "AAAA" },
          app: {
            source: "./nope",
            workers: 0,
            jobs: [
              { name: "a", command: "x" },
              { name: "a", command: "y" },
            ],
          },
          site: { listen: "[::]80" },
          dbPassword: undefined,
        }),
        new Set(["djangoSecretKey"]),
      ),
    errors: [
      'appp: unknown setting; did you mean "app"?',
      SET_EXACTLY_ONE_HOST,
      'host.hostKey: expected the server\'s public host key like "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 HOST, without the host name), got "AAAA"',
      'app.source: directory "./nope" does not exist',
      "app.workers: expected a whole number from 1 to 64, got 0",
      'app.jobs[1].name: "a" is already used by app.jobs[0]',
      'site.listen: expected a port or address:port like "80", "127.0.0.1:8080" or "[::]:80", got "[::]80"',
      "sshPrivateKey: must be set with --secret (pulumi config set --secret sshPrivateKey …)",
      "dbPassword: required; set it with pulumi config set --secret dbPassword …",
    ],
  },
];

describe("validateConfig: bad configurations", () => {
  it.each(BAD)("$name", ({ config, errors }) => {
    const result = validateConfig(config());
    expect(result.errors).toEqual(errors);
    expect(result.config).toBeUndefined();
  });

  it("never prints a secret value", () => {
    const secret = "-----BEGIN NOT A KEY----- hunter2";
    const { errors } = validateConfig(
      raw(withValues({ sshPrivateKey: secret, djangoSecretKey: 42, secretEnv: { A: { deep: "hunter2" } } }), new Set()),
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).not.toMatch(/hunter2|42/);
  });
});

describe("validateConfig: site.tls.mode provided", () => {
  const SITE_NAMES = "shop.io www.shop.io";
  /** base() with a site on SITE_NAMES (or `serverName`), `tls`, and tlsPrivateKey set as a secret. */
  const provided = (tls: Record<string, unknown>, key: string | undefined, serverName = SITE_NAMES) =>
    raw(withValues({ site: { serverName, tls }, tlsPrivateKey: key }), new Set([...SECRET, "tlsPrivateKey"]));
  /** What of a key must never be in a message: any line of its body. */
  const keyBody = (pem: string) => pem.split("\n").filter((l) => l && !l.startsWith("-----"));
  afterEach(() => vi.useRealTimers());

  it("a good pair: the certificate in site.tls, the key among the secrets, no ACME defaults dropped", () => {
    const result = validateConfig(
      provided({ mode: "provided", certificate: siteCert.certificate }, siteCert.privateKey),
    );
    expect(result.errors).toEqual([]);
    expect(result.config?.site.tls).toStrictEqual({
      ...TLS_DEFAULT,
      mode: "provided",
      certificate: siteCert.certificate,
    });
  });

  const cases: { name: string; config: () => RawConfig; errors: () => string[] }[] = [
    {
      name: "neither certificate nor key",
      config: () => provided({ mode: "provided" }, undefined),
      errors: () => [
        'site.tls.certificate: required with site.tls.mode "provided" (pulumi config set --path site.tls.certificate -- "$(cat fullchain.pem)")',
        "tlsPrivateKey: required; set it with pulumi config set --secret tlsPrivateKey …",
      ],
    },
    {
      name: "the key without the certificate",
      config: () => provided({ mode: "provided" }, siteCert.privateKey),
      errors: () => [
        'site.tls.certificate: required with site.tls.mode "provided" (pulumi config set --path site.tls.certificate -- "$(cat fullchain.pem)")',
      ],
    },
    {
      name: "the certificate without the key",
      config: () => provided({ mode: "provided", certificate: siteCert.certificate }, undefined),
      errors: () => ["tlsPrivateKey: required; set it with pulumi config set --secret tlsPrivateKey …"],
    },
    {
      name: "a name the certificate does not cover",
      config: () =>
        provided({ mode: "provided", certificate: siteCert.certificate }, siteCert.privateKey, "shop.io api.shop.io"),
      errors: () => ['site.tls.certificate: does not cover "api.shop.io" (it names DNS:shop.io, DNS:www.shop.io)'],
    },
    {
      name: "a key that is not the certificate's",
      config: () => provided({ mode: "provided", certificate: siteCert.certificate }, otherCert.privateKey),
      errors: () => [
        "tlsPrivateKey: is not the key of site.tls.certificate (its first certificate); set the key made with it (value not shown)",
      ],
    },
    {
      name: "an expired certificate",
      config: () => {
        vi.useFakeTimers({ now: new Date(Date.now() + 60 * 86400_000), toFake: ["Date"] });
        return provided({ mode: "provided", certificate: siteCert.certificate }, siteCert.privateKey);
      },
      errors: () => [
        `site.tls.certificate: expired on ${new crypto.X509Certificate(siteCert.certificate).validTo}; set a current one`,
      ],
    },
    {
      name: "ACME settings in provided mode, and a site on any name",
      config: () =>
        provided(
          {
            mode: "provided",
            certificate: siteCert.certificate,
            email: "ops@shop.io",
            staging: true,
            directoryUrl: "https://ca.shop.io/dir",
          },
          siteCert.privateKey,
          "_",
        ),
      errors: () => [
        'site.tls.email: is for ACME; not used with site.tls.mode "provided": remove it',
        'site.tls.staging: is for ACME; not used with site.tls.mode "provided": remove it',
        'site.tls.directoryUrl: is for ACME; not used with site.tls.mode "provided": remove it',
        'site.tls.mode: "provided" needs site.serverName to list the names the certificate covers (like "example.com www.example.com"); not "_"',
      ],
    },
    {
      name: "certificate and key without provided mode",
      config: () => provided({ mode: "acme", certificate: siteCert.certificate }, siteCert.privateKey),
      errors: () => [
        'site.tls.certificate: only used with site.tls.mode "provided"; set that, or remove the certificate',
        'tlsPrivateKey: only used with site.tls.mode "provided"; set that, or remove it (pulumi config rm tlsPrivateKey)',
      ],
    },
    {
      name: "the key in the certificate's place, and no key at all",
      config: () => provided({ mode: "provided", certificate: siteCert.privateKey }, "hunter2"),
      errors: () => [
        "site.tls.certificate: holds a private key, which must not be in plain config: give the certificates only, and the key with pulumi config set --secret tlsPrivateKey … (value not shown)",
        'site.tls.certificate: required with site.tls.mode "provided" (pulumi config set --path site.tls.certificate -- "$(cat fullchain.pem)")',
      ],
    },
    {
      name: "a key that is not a key, set in plain text",
      config: () =>
        raw(
          withValues({
            site: { serverName: SITE_NAMES, tls: { mode: "provided", certificate: siteCert.certificate } },
            tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nhunter2\n-----END PRIVATE KEY-----",
          }),
        ),
      errors: () => [
        "tlsPrivateKey: must be set with --secret (pulumi config set --secret tlsPrivateKey …)",
        'tlsPrivateKey: expected a PEM private key block ("-----BEGIN PRIVATE KEY-----" …) without a passphrase (value not shown)',
      ],
    },
  ];

  it.each(cases)("$name", ({ config, errors }) => {
    const result = validateConfig(config());
    expect(result.errors).toEqual(errors());
    expect(result.config).toBeUndefined();
    const text = result.errors.join("\n");
    for (const line of [...keyBody(siteCert.privateKey), ...keyBody(otherCert.privateKey), "hunter2"]) {
      expect(text).not.toContain(line);
    }
  });
});

const MANAGE_DEFAULT = ["collectstatic --noinput", "migrate --noinput"];
const ENV_NAMES_DEFAULT = {
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
const HEALTH_DEFAULT = { path: "/", timeoutSeconds: 60 };

describe("validateConfig: good configurations", () => {
  it("a minimal droplet stack gets every default", () => {
    const result = validateConfig(raw(base()));
    expect(result.errors).toEqual([]);
    expect(result.config).toStrictEqual({
      host: {
        kind: "droplet",
        region: "fra1",
        size: "s-1vcpu-2gb",
        image: "ubuntu-24-04-x64",
        sshPublicKey: deployKey.publicKey,
        sshAllowFrom: ["0.0.0.0/0", "::/0"],
        monitoring: true,
        tags: [],
        reservedIp: false,
      },
      app: {
        name: "hc",
        source: "examples/app",
        python: "python3",
        server: "gunicorn-wsgi",
        packages: [],
        workers: 2,
        env: {},
        envNames: ENV_NAMES_DEFAULT,
        manage: MANAGE_DEFAULT,
        jobs: [],
        keepReleases: 5,
        sharedDirs: [],
        exclude: [],
        healthCheck: HEALTH_DEFAULT,
        migrations: { afterSwitch: [], allowUnsafe: [] },
      },
      site: { serverName: "_", listen: "80", clientMaxBodySize: "10m", static: "nginx", tls: TLS_DEFAULT },
      database: { kind: "local", name: "hc", user: "hc", backupSchedule: "17 3 * * *", backupKeep: 14 },
    });
  });

  it("an existing host from git with everything set, numbers as --path stores them", () => {
    const result = validateConfig(
      raw({
        host: { address: "sandbox.internal", port: "2222", user: "deploy", hostKey: HOST_KEY },
        app: {
          name: "shop",
          git: { url: "git@github.com:example/shop.git", ref: 2024 },
          python: "/usr/bin/python3.12",
          wsgi: "shop.wsgi:app",
          workers: 4,
          env: { DJANGO_DEBUG: false, DJANGO_ALLOWED_HOSTS: "shop.example.com", WEB_CONCURRENCY: 4 },
          // A name, several names, none ([] or null); the site's defaults may share a name with app.env.
          envNames: {
            secretKey: "SECRET_KEY",
            databasePassword: ["DB_PASSWORD", "PGPASSWORD"],
            databaseUrl: [],
            databaseSslMode: null,
            siteUrl: "SITE_ROOT",
          },
          manage: ["migrate --noinput"],
          jobs: [
            { name: "alerts", command: "python manage.py sendalerts", singleton: true },
            { name: "mail-out", command: "python manage.py sendmail" },
          ],
          keepReleases: 3,
          healthCheck: { path: "/healthz", expectStatus: 204, expectText: "ok", timeoutSeconds: 30 },
          migrations: { afterSwitch: ["shop.0042_remove_order_note"], allowUnsafe: ["auth.0013_alter_user_name"] },
        },
        site: {
          serverName: "shop.example.com www.shop.example.com",
          listen: 8080,
          clientMaxBodySize: "25m",
          tls: { mode: "acme", email: "ops@shop.example.com", staging: "true", listen: 8443, hstsMaxAge: "31536000" },
        },
        database: {
          kind: "local",
          name: "shop_db",
          user: "shop_user",
          backupSchedule: "30 2 * * 1-5",
          backupKeep: "7",
          backupCopy: {
            url: "s3://shop-backups/db/",
            endpoint: "https://ams3.digitaloceanspaces.com",
            accessKeyId: "DO00ABCDEFGH",
          },
        },
        backupCopySecretKey: "not-a-real-key",
        sshPrivateKey: deployKey.privateKey,
        djangoSecretKey: "not-a-real-secret",
        dbPassword: "not-a-real-password",
        secretEnv: { SENTRY_DSN: "https://example.invalid/1" },
      }),
    );
    expect(result.errors).toEqual([]);
    expect(result.config).toStrictEqual({
      host: { kind: "existing", address: "sandbox.internal", port: 2222, user: "deploy", hostKey: HOST_KEY },
      app: {
        name: "shop",
        git: { url: "git@github.com:example/shop.git", ref: "2024" },
        python: "/usr/bin/python3.12",
        wsgi: "shop.wsgi:app",
        server: "gunicorn-wsgi",
        packages: [],
        workers: 4,
        env: { DJANGO_DEBUG: "false", DJANGO_ALLOWED_HOSTS: "shop.example.com", WEB_CONCURRENCY: "4" },
        envNames: {
          ...ENV_NAMES_DEFAULT,
          secretKey: ["SECRET_KEY"],
          databasePassword: ["DB_PASSWORD", "PGPASSWORD"],
          databaseUrl: [],
          databaseSslMode: [],
          siteUrl: ["SITE_ROOT"],
        },
        manage: ["migrate --noinput"],
        jobs: [
          { name: "alerts", command: "python manage.py sendalerts", singleton: true },
          { name: "mail-out", command: "python manage.py sendmail", singleton: false },
        ],
        keepReleases: 3,
        sharedDirs: [],
        exclude: [],
        healthCheck: { path: "/healthz", expectStatus: 204, expectText: "ok", timeoutSeconds: 30 },
        migrations: { afterSwitch: ["shop.0042_remove_order_note"], allowUnsafe: ["auth.0013_alter_user_name"] },
      },
      site: {
        serverName: "shop.example.com www.shop.example.com",
        listen: "8080",
        clientMaxBodySize: "25m",
        static: "nginx",
        tls: { mode: "acme", email: "ops@shop.example.com", staging: true, listen: "8443", hstsMaxAge: 31536000 },
      },
      database: {
        kind: "local",
        name: "shop_db",
        user: "shop_user",
        backupSchedule: "30 2 * * 1-5",
        backupKeep: 7,
        backupCopy: {
          url: "s3://shop-backups/db/",
          endpoint: "https://ams3.digitaloceanspaces.com",
          region: "us-east-1",
          accessKeyId: "DO00ABCDEFGH",
        },
      },
    });
  });

  it("a droplet with reserved IP, DNS and a managed database; a PEM deploy key", () => {
    const pem = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const result = validateConfig(
      raw({
        droplet: {
          region: "ams3",
          size: "s-2vcpu-4gb",
          sshPublicKey: `${sshPublicOf(pem)} ci@example`,
          sshAllowFrom: ["203.0.113.0/24", "2001:db8::/48"],
          monitoring: false,
          tags: ["web", "env:prod"],
          reservedIp: true,
          dns: { domain: "example.com" },
        },
        app: { source: path.resolve("examples/app") },
        site: { listen: "[::]:80" },
        database: { kind: "managed", version: 17 },
        sshPrivateKey: pem.export({ format: "pem", type: "pkcs1" }) as string,
        djangoSecretKey: "not-a-real-secret",
      }),
    );
    expect(result.errors).toEqual([]);
    expect(result.config?.host).toStrictEqual({
      kind: "droplet",
      region: "ams3",
      size: "s-2vcpu-4gb",
      image: "ubuntu-24-04-x64",
      sshPublicKey: `${sshPublicOf(pem)} ci@example`,
      sshAllowFrom: ["203.0.113.0/24", "2001:db8::/48"],
      monitoring: false,
      tags: ["web", "env:prod"],
      reservedIp: true,
      dns: { domain: "example.com", record: "@" },
    });
    expect(result.config?.site.listen).toBe("[::]:80");
    expect(result.config?.database).toStrictEqual({
      kind: "managed",
      name: "hc",
      user: "hc",
      size: "db-s-1vcpu-1gb",
      version: "17",
      protect: true,
    });
  });

  it("null values (an emptied YAML key) count as unset", () => {
    const result = validateConfig(
      raw(withValues({ site: null, app: { source: "examples/app", workers: null, env: null } })),
    );
    expect(result.errors).toEqual([]);
    expect(result.config?.app.workers).toBe(2);
    expect(result.config?.site).toStrictEqual({
      serverName: "_",
      listen: "80",
      clientMaxBodySize: "10m",
      static: "nginx",
      tls: TLS_DEFAULT,
    });
  });

  it("management commands are trimmed (the release recognises migrate at the start of the line)", () => {
    const result = validateConfig(
      raw(withValues({ app: { source: "examples/app", manage: [" migrate --noinput ", "collectstatic --noinput"] } })),
    );
    expect(result.errors).toEqual([]);
    expect(result.config?.app.manage).toEqual(["migrate --noinput", "collectstatic --noinput"]);
  });
});

describe("formatConfigErrors", () => {
  it("one header line, then one problem per line", () => {
    expect(formatConfigErrors(["a: x", "b: y"])).toBe("Invalid stack configuration:\n  - a: x\n  - b: y");
  });
});

describe("loadConfig (real Pulumi config, project djangozd)", () => {
  function setConfig(values: Record<string, unknown>, secret: string[]): void {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) flat[`djangozd:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    // Other namespaces are not ours to check.
    flat["digitalocean:token"] = "not-a-real-token";
    pulumi.runtime.setAllConfig(
      flat,
      secret.map((k) => `djangozd:${k}`),
    );
  }

  it("returns the checked config with secrets as secret Outputs", async () => {
    setConfig({ ...base(), secretEnv: { API_TOKEN: "t0k3n" } }, [
      "sshPrivateKey",
      "djangoSecretKey",
      "dbPassword",
      "secretEnv",
      "digitalocean:token",
    ]);
    const cfg = loadConfig();
    expect(cfg.host.kind).toBe("droplet");
    expect(cfg.app.source).toBe("examples/app");
    const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
    for (const o of [cfg.secrets.sshPrivateKey, cfg.secrets.djangoSecretKey, cfg.secrets.dbPassword, cfg.secrets.env]) {
      expect(await pulumi.isSecret(o as pulumi.Output<unknown>)).toBe(true);
    }
    expect(await value(cfg.secrets.sshPrivateKey)).toBe(deployKey.privateKey);
    expect(await value(cfg.secrets.djangoSecretKey)).toBe("not-a-real-secret");
    expect(await value(cfg.secrets.dbPassword)).toBe("not-a-real-password");
    expect(await value(cfg.secrets.env)).toEqual({ API_TOKEN: "t0k3n" });
  });

  it('provided mode: tlsPrivateKey as a secret Output ("" and still secret without it)', async () => {
    const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
    const site = { serverName: "shop.io", tls: { mode: "provided", certificate: siteCert.certificate } };
    setConfig({ ...base(), site, tlsPrivateKey: siteCert.privateKey }, [
      "sshPrivateKey",
      "djangoSecretKey",
      "dbPassword",
      "tlsPrivateKey",
    ]);
    const cfg = loadConfig();
    expect(await pulumi.isSecret(cfg.secrets.tlsPrivateKey)).toBe(true);
    expect(await value(cfg.secrets.tlsPrivateKey)).toBe(siteCert.privateKey);

    setConfig(base(), ["sshPrivateKey", "djangoSecretKey", "dbPassword"]);
    const plain = loadConfig();
    expect(await pulumi.isSecret(plain.secrets.tlsPrivateKey)).toBe(true);
    expect(await value(plain.secrets.tlsPrivateKey)).toBe("");
  });

  it("throws one RunError listing every problem, secrets never shown", () => {
    setConfig({ ...base(), app: "hc", appp: { workers: 2 } }, ["djangoSecretKey", "dbPassword"]);
    let error: unknown;
    try {
      loadConfig();
    } catch (e) {
      error = e;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      [
        "Invalid stack configuration:",
        '  - appp: unknown setting; did you mean "app"?',
        '  - app: expected an object (pulumi config set --path app.source ./app …), got "hc"',
        "  - sshPrivateKey: must be set with --secret (pulumi config set --secret sshPrivateKey …)",
      ].join("\n"),
    );
    expect((error as Error).message).not.toContain("OPENSSH");
  });
});
