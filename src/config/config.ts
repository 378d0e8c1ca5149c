// Stack configuration: read from `pulumi config`, checked as a whole, and
// turned into the defaulted `DeployConfig` before any resource exists.
//
// `validateConfig` is pure (it only looks at the local source directory) and
// reports every problem at once, each message naming the setting's path and
// what is expected, e.g. `app.workers: expected a whole number from 1 to 64,
// got "lots"`. `loadConfig` is the thin Pulumi layer around it.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type {
  AppConfig,
  DatabaseConfig,
  DeployConfig,
  DropletHost,
  ExistingHost,
  HealthCheck,
  Job,
  Migrations,
  SiteConfig,
} from "./types";
import { inspectPrivateKey, isPublicKeyOfType } from "../host/sshKeys";

/** Stack config as Pulumi hands it over, before any checking. */
export interface RawConfig {
  /** Top-level key (without the "<project>:" prefix) → parsed value: objects for structured config, else scalars. */
  values: Record<string, unknown>;
  /** Keys that were set with `--secret`. */
  secretKeys: Set<string>;
}

/** Environment variables the deploy sets itself; `app.env` and `secretEnv` may not use them. */
export const RESERVED_ENV_NAMES: readonly string[] = [
  "DJANGO_SECRET_KEY",
  "DATABASE_NAME",
  "DATABASE_USER",
  "DATABASE_PASSWORD",
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_SSLMODE",
  "STATIC_ROOT",
  "RELEASE_ID",
];

/** Structured (object) settings stored in plain text. */
const PLAIN_KEYS = ["host", "droplet", "app", "site", "database"] as const;
/** Settings that must be set with `--secret`. */
const SECRET_KEYS = ["sshPrivateKey", "djangoSecretKey", "dbPassword", "secretEnv"] as const;
const TOP_LEVEL_KEYS: readonly string[] = [...PLAIN_KEYS, ...SECRET_KEYS];

const HOST_KEYS = ["address", "port", "user", "hostKey"];
const DROPLET_KEYS = [
  "region",
  "size",
  "image",
  "sshPublicKey",
  "sshAllowFrom",
  "monitoring",
  "tags",
  "reservedIp",
  "dns",
  "protect",
];
const DNS_KEYS = ["domain", "record"];
const APP_KEYS = [
  "name",
  "source",
  "git",
  "python",
  "wsgi",
  "workers",
  "env",
  "manage",
  "jobs",
  "keepReleases",
  "healthCheck",
  "migrations",
];
const MIGRATIONS_KEYS = ["afterSwitch", "allowUnsafe"];
const GIT_KEYS = ["url", "ref"];
const JOB_KEYS = ["name", "command", "singleton"];
const HEALTH_CHECK_KEYS = ["path", "expectStatus", "expectText", "timeoutSeconds"];
const SITE_KEYS = ["serverName", "listen", "clientMaxBodySize"];
const LOCAL_DB_KEYS = ["kind", "name", "user"];
const MANAGED_DB_KEYS = ["kind", "name", "user", "size", "version", "protect"];

/** Where each nested setting lives, to point a misplaced top-level key at it. */
const NESTED_KEYS: Record<string, readonly string[]> = {
  host: HOST_KEYS,
  droplet: DROPLET_KEYS,
  app: APP_KEYS,
  site: SITE_KEYS,
  database: MANAGED_DB_KEYS,
};

const DEFAULTS = {
  host: { port: 22, user: "root" },
  droplet: {
    region: "fra1",
    size: "s-1vcpu-2gb",
    image: "ubuntu-24-04-x64",
    sshAllowFrom: ["0.0.0.0/0", "::/0"],
    monitoring: true,
    tags: [] as string[],
    reservedIp: false,
    dnsRecord: "@",
  },
  app: {
    name: "hc",
    python: "python3",
    wsgi: "hc.wsgi:application",
    workers: 2,
    manage: ["collectstatic --noinput", "migrate --noinput"],
    keepReleases: 5,
    jobSingleton: false,
  },
  healthCheck: { path: "/about/", expectStatus: 200, timeoutSeconds: 60 },
  site: { serverName: "_", listen: "80", clientMaxBodySize: "10m" },
  database: { kind: "local", managedSize: "db-s-1vcpu-1gb", managedVersion: "16" },
} as const;

// ---------------------------------------------------------------------------
// Formats

const APP_NAME = /^[a-z][a-z0-9]{1,30}$/;
// Accounts of Debian and Ubuntu images (and of the packages the bootstrap installs) that fit APP_NAME.
const SYSTEM_ACCOUNTS = new Set(
  "root daemon bin sys sync games man lp mail news uucp proxy backup list irc gnats nobody postgres sshd ubuntu debian admin syslog messagebus polkitd tss uuidd tcpdump landscape pollinate fwupd lxd dnsmasq usbmux ntp chrony sudo adm staff users nogroup www".split(
    " ",
  ),
);
// A Django migration: app label and module name.
const MIGRATION = /^[A-Za-z_]\w*\.\w+$/;
const JOB_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+$/;
const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) ([A-Za-z0-9+/=]+)( [^\r\n]*)?$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
const DOMAIN = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})+$`);
const RECORD_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const DNS_RECORD = new RegExp(`^(@|${RECORD_LABEL}(?:\\.${RECORD_LABEL})*)$`);
const REGION = /^[a-z]{3}[0-9]$/;
const SLUG = /^[a-z0-9][a-z0-9.-]*$/;
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
const PYTHON = /^[A-Za-z0-9._/-]+$/;
const WSGI = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/;
const GIT_URL = /^((https?|ssh|git|file):\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;
const GIT_REF = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
const SERVER_NAME = /^[A-Za-z0-9*._-]+( [A-Za-z0-9*._-]+)*$/;
const BODY_SIZE = /^[0-9]+[kKmMgG]?$/;
const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const PG_VERSION = /^[0-9]{2}$/;
export function isCidr(s: string): boolean {
  const m = /^([^/]+)\/([0-9]{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (net.isIPv4(m[1])) return bits <= 32;
  if (net.isIPv6(m[1])) return bits <= 128;
  return false;
}

function isPort(s: string): boolean {
  return /^[0-9]{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;
}

/** nginx `listen` argument: "80", "127.0.0.1:8080" or "[::]:80". */
export function isListen(s: string): boolean {
  if (isPort(s)) return true;
  const v4 = /^([0-9.]+):([0-9]+)$/.exec(s);
  if (v4) return net.isIPv4(v4[1]) && isPort(v4[2]);
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:([0-9]+)$/.exec(s);
  if (v6) return net.isIPv6(v6[1]) && isPort(v6[2]);
  return false;
}

// ---------------------------------------------------------------------------
// Problem collection and readers. A reader returns the value when it is
// usable, `undefined` when it is missing or wrong (and then records why).

type Obj = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(at: string, message: string): void {
    this.list.push(`${at}: ${message}`);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function missing(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/** A value as it appears in a message: JSON, cut short. Never used on secrets. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** "app" + "env" → "app.env"; odd keys are bracketed: app.env["my-var"]. */
function join(at: string, key: string | number): string {
  if (typeof key === "number") return `${at}[${key}]`;
  const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!at) return k;
  return k.startsWith("[") ? `${at}${k}` : `${at}.${k}`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, if it is close enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.min(2, Math.ceil(key.length / 3)) ? best : undefined;
}

function unknownKeys(p: Problems, at: string, value: Obj, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    p.add(
      join(at, key),
      near
        ? `unknown setting; did you mean "${join(at, near)}"?`
        : `unknown setting (expected one of: ${known.join(", ")})`,
    );
  }
}

/** An object of settings, or undefined when it is not one (recorded). Unknown keys are reported. */
function object(p: Problems, at: string, v: unknown, known: readonly string[], what = "an object"): Obj | undefined {
  if (!isObj(v)) {
    p.add(at, `expected ${what}, got ${show(v)}`);
    return undefined;
  }
  unknownKeys(p, at, v, known);
  return v;
}

/** Text, checked by `ok`. Whole numbers are taken as their digits (`--path` stores "16" as 16). */
function text(
  p: Problems,
  at: string,
  v: unknown,
  what: string,
  ok: (s: string) => boolean = (s) => s !== "",
): string | undefined {
  if (missing(v)) return undefined;
  const s = typeof v === "number" && Number.isInteger(v) ? String(v) : v;
  if (typeof s !== "string" || !ok(s)) {
    p.add(at, `expected ${what}, got ${show(v)}`);
    return undefined;
  }
  return s;
}

function requiredText(
  p: Problems,
  at: string,
  v: unknown,
  what: string,
  ok?: (s: string) => boolean,
): string | undefined {
  if (missing(v)) {
    p.add(at, `required; expected ${what}`);
    return undefined;
  }
  return text(p, at, v, what, ok);
}

function pattern(re: RegExp): (s: string) => boolean {
  return (s) => re.test(s);
}

function wholeNumber(p: Problems, at: string, v: unknown, min: number, max: number, what?: string): number | undefined {
  if (missing(v)) return undefined;
  const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    p.add(at, `expected ${what ?? `a whole number from ${min} to ${max}`}, got ${show(v)}`);
    return undefined;
  }
  return n;
}

function bool(p: Problems, at: string, v: unknown): boolean | undefined {
  if (missing(v)) return undefined;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  p.add(at, `expected true or false, got ${show(v)}`);
  return undefined;
}

function list(p: Problems, at: string, v: unknown, what: string): unknown[] | undefined {
  if (missing(v)) return undefined;
  if (!Array.isArray(v)) {
    p.add(at, `expected ${what}, got ${show(v)}`);
    return undefined;
  }
  return v;
}

/** An authorized-keys line whose base64 really holds a key of the named type. */
function publicKey(p: Problems, at: string, v: unknown, re: RegExp, what: string): string | undefined {
  const s = requiredText(p, at, v, what, pattern(re));
  if (s === undefined) return undefined;
  const type = s.split(" ")[0];
  if (!isPublicKeyOfType(s, type)) {
    p.add(at, `the key data is not of type ${type} (cut short when copied?)`);
    return undefined;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Sections

function checkExistingHost(p: Problems, v: unknown): ExistingHost | undefined {
  const o = object(p, "host", v, HOST_KEYS, "an object (pulumi config set --path host.address …)");
  if (!o) return undefined;
  const address = requiredText(
    p,
    "host.address",
    o.address,
    "a host name or IP address",
    (s) => net.isIP(s) !== 0 || HOSTNAME.test(s),
  );
  const port = wholeNumber(p, "host.port", o.port, 1, 65535, "a port number from 1 to 65535") ?? DEFAULTS.host.port;
  const user =
    text(p, "host.user", o.user, 'a unix user name like "root" or "deploy"', pattern(UNIX_USER)) ?? DEFAULTS.host.user;
  const hostKey = publicKey(
    p,
    "host.hostKey",
    o.hostKey,
    HOST_KEY,
    'the server\'s public host key like "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 HOST, without the host name)',
  );
  if (address === undefined || hostKey === undefined) return undefined;
  return { kind: "existing", address, port, user, hostKey };
}

function checkDroplet(p: Problems, v: unknown): DropletHost | undefined {
  const o = object(p, "droplet", v, DROPLET_KEYS, "an object (pulumi config set --path droplet.sshPublicKey …)");
  if (!o) return undefined;
  const d = DEFAULTS.droplet;
  const region =
    text(p, "droplet.region", o.region, 'a DigitalOcean region slug like "fra1"', pattern(REGION)) ?? d.region;
  const size = text(p, "droplet.size", o.size, 'a DigitalOcean size slug like "s-1vcpu-2gb"', pattern(SLUG)) ?? d.size;
  const image =
    text(p, "droplet.image", o.image, 'a DigitalOcean image slug like "ubuntu-24-04-x64"', pattern(SLUG)) ?? d.image;
  const sshPublicKey = publicKey(
    p,
    "droplet.sshPublicKey",
    o.sshPublicKey,
    PUBLIC_KEY,
    'the deploy key\'s public half like "ssh-ed25519 AAAA… you@laptop"',
  );

  let sshAllowFrom: string[] = [...d.sshAllowFrom];
  const ranges = list(p, "droplet.sshAllowFrom", o.sshAllowFrom, 'a list of address ranges like ["203.0.113.0/24"]');
  if (ranges) {
    if (ranges.length === 0)
      p.add("droplet.sshAllowFrom", "expected at least one address range (the deploy itself connects over SSH)");
    sshAllowFrom = ranges.map(
      (r, i) =>
        text(
          p,
          join("droplet.sshAllowFrom", i),
          r,
          'an address range like "203.0.113.0/24" or "2001:db8::/48"',
          isCidr,
        ) ?? "",
    );
  }

  const monitoring = bool(p, "droplet.monitoring", o.monitoring) ?? d.monitoring;
  let tags: string[] = [...d.tags];
  const tagList = list(p, "droplet.tags", o.tags, 'a list of tags like ["web", "prod"]');
  if (tagList) {
    tags = tagList.map(
      (t, i) => text(p, join("droplet.tags", i), t, 'a tag of letters, digits, ":", "-" and "_"', pattern(TAG)) ?? "",
    );
  }
  const reservedIp = bool(p, "droplet.reservedIp", o.reservedIp) ?? d.reservedIp;
  const protect = bool(p, "droplet.protect", o.protect);

  let dns: DropletHost["dns"];
  if (!missing(o.dns)) {
    const dnsObj = object(p, "droplet.dns", o.dns, DNS_KEYS, 'an object like {"domain": "example.com", "record": "@"}');
    if (dnsObj) {
      const domain = requiredText(
        p,
        "droplet.dns.domain",
        dnsObj.domain,
        'a domain managed in DigitalOcean like "example.com"',
        pattern(DOMAIN),
      );
      const record =
        text(
          p,
          "droplet.dns.record",
          dnsObj.record,
          '"@" (the domain itself) or a name like "www"',
          pattern(DNS_RECORD),
        ) ?? d.dnsRecord;
      if (domain && record !== "@" && record.toLowerCase().endsWith(`.${domain.toLowerCase()}`)) {
        p.add(
          "droplet.dns.record",
          `give the name relative to "${domain}", like "${record.slice(0, -domain.length - 1)}", got ${show(record)}`,
        );
      }
      if (domain) dns = { domain, record };
    }
  }

  if (sshPublicKey === undefined) return undefined;
  return {
    kind: "droplet",
    region,
    size,
    image,
    sshPublicKey,
    sshAllowFrom,
    monitoring,
    tags,
    reservedIp,
    ...(dns ? { dns } : {}),
    ...(protect !== undefined ? { protect } : {}),
  };
}

/** Checks env names (format, reserved, duplicates); values are checked by the caller. */
function checkEnvName(
  p: Problems,
  at: string,
  name: string,
  elsewhere?: { names: Set<string>; where: string },
): boolean {
  if (!ENV_NAME.test(name)) {
    p.add(at, 'expected a variable name of capital letters, digits and "_" (like "DJANGO_DEBUG")');
    return false;
  }
  if (RESERVED_ENV_NAMES.includes(name)) {
    p.add(at, "set by the deploy itself; remove it");
    return false;
  }
  if (elsewhere?.names.has(name)) {
    p.add(at, `also set in "${elsewhere.where}"; set it in one place only`);
    return false;
  }
  return true;
}

function checkEnv(p: Problems, v: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (missing(v)) return env;
  if (!isObj(v)) {
    p.add(
      "app.env",
      `expected an object of NAME: value pairs (pulumi config set --path app.env.NAME value), got ${show(v)}`,
    );
    return env;
  }
  for (const [name, value] of Object.entries(v)) {
    const at = join("app.env", name);
    const ok = checkEnvName(p, at, name);
    if (
      typeof value === "string" ||
      typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      if (ok) env[name] = String(value);
    } else {
      p.add(at, `expected a string, got ${show(value)}`);
    }
  }
  return env;
}

function checkManage(p: Problems, v: unknown): string[] {
  const commands = list(p, "app.manage", v, 'a list of manage.py commands like ["migrate --noinput"]');
  if (!commands) return [...DEFAULTS.app.manage];
  return commands.map((c, i) => {
    const at = join("app.manage", i);
    const cmd = text(
      p,
      at,
      c,
      'a manage.py command on one line like "migrate --noinput"',
      (s) => s.trim() !== "" && !/[\r\n]/.test(s),
    );
    if (cmd !== undefined && /^\s*(python[0-9.]*\s+)?(\S*\/)?manage\.py\b/.test(cmd)) {
      p.add(at, `give only what follows "manage.py", like "migrate --noinput", got ${show(cmd)}`);
    } else if (
      cmd !== undefined &&
      /^migrate(\s|$)/.test(cmd.trim()) &&
      !/^migrate(\s+--no-?input)?$/.test(cmd.trim())
    ) {
      // The release runs migrate itself, in two checked phases (templates/migrate.py).
      p.add(
        at,
        `expected "migrate --noinput" (migrate runs checked, before and after the switch; name migrations in app.migrations), got ${show(cmd)}`,
      );
    } else if (cmd !== undefined && /[^\w\s.,:=@%+/-]/.test(cmd)) {
      // The release script splits the line on spaces, without any shell quoting.
      p.add(
        at,
        `expected plain words (no quotes or shell characters: the command is split on spaces), got ${show(cmd)}`,
      );
    }
    // Trimmed: the release matches "migrate" at the start of the line.
    return cmd?.trim() ?? "";
  });
}

function checkMigrations(p: Problems, v: unknown): Migrations {
  const o = missing(v)
    ? {}
    : object(p, "app.migrations", v, MIGRATIONS_KEYS, 'an object like {"afterSwitch": ["api.0004_remove_ping_ua"]}');
  const named = (key: keyof Migrations): string[] => {
    const at = `app.migrations.${key}`;
    const items =
      o && list(p, at, o[key], 'a list of migrations as "app_label.migration_name" like ["api.0004_remove_ping_ua"]');
    return (items ?? []).flatMap((item, i) => {
      const name = text(
        p,
        join(at, i),
        item,
        'a migration as "app_label.migration_name" like "api.0004_remove_ping_ua"',
        pattern(MIGRATION),
      );
      return name === undefined ? [] : [name];
    });
  };
  const migrations = { afterSwitch: named("afterSwitch"), allowUnsafe: named("allowUnsafe") };
  for (const name of migrations.afterSwitch.filter((n) => migrations.allowUnsafe.includes(n))) {
    p.add(
      "app.migrations.allowUnsafe",
      `${show(name)} is also in app.migrations.afterSwitch (where nothing serves that could break); remove it from one`,
    );
  }
  return migrations;
}

function checkJobs(p: Problems, v: unknown): Job[] {
  const items = list(
    p,
    "app.jobs",
    v,
    'a list of jobs like [{"name": "alerts", "command": "python manage.py sendalerts"}]',
  );
  if (!items) return [];
  const seen = new Map<string, string>();
  const jobs: Job[] = [];
  items.forEach((item, i) => {
    const at = join("app.jobs", i);
    const o = object(
      p,
      at,
      item,
      JOB_KEYS,
      'an object like {"name": "alerts", "command": "python manage.py sendalerts"}',
    );
    if (!o) return;
    const name = requiredText(
      p,
      `${at}.name`,
      o.name,
      'lowercase letters, digits and "-", starting with a letter, at most 31 characters (like "alerts")',
      pattern(JOB_NAME),
    );
    if (name === "web" || name === "site") {
      p.add(
        `${at}.name`,
        `"${name}" names the ${name === "web" ? "gunicorn" : "site's nginx"} program; choose another name`,
      );
    } else if (name !== undefined) {
      const first = seen.get(name);
      if (first) p.add(`${at}.name`, `"${name}" is already used by ${first}`);
      else seen.set(name, at);
    }
    const command = requiredText(
      p,
      `${at}.command`,
      o.command,
      'a command on one line like "python manage.py sendalerts"',
      (s) => s.trim() !== "" && !/[\r\n]/.test(s),
    );
    if (command?.includes("%"))
      p.add(`${at}.command`, 'must not contain "%" (supervisor expands it); move the command into a script');
    else if (command !== undefined && /\s[;#]/.test(command)) {
      // supervisor's config reader ends the line at " ;" or " #": "--label #1" would run as "--label".
      p.add(
        `${at}.command`,
        `must not contain " ;" or " #" (supervisor reads the rest as a comment), got ${show(command)}; move the command into a script`,
      );
    }
    const singleton = bool(p, `${at}.singleton`, o.singleton) ?? DEFAULTS.app.jobSingleton;
    if (name !== undefined && command !== undefined) jobs.push({ name, command, singleton });
  });
  return jobs;
}

function checkHealthCheck(p: Problems, v: unknown): HealthCheck {
  const d = DEFAULTS.healthCheck;
  const o = missing(v) ? {} : object(p, "app.healthCheck", v, HEALTH_CHECK_KEYS);
  if (!o) return { ...d };
  const hc: HealthCheck = {
    path:
      text(p, "app.healthCheck.path", o.path, 'a URL path starting with "/" like "/about/"', pattern(/^\/\S*$/)) ??
      d.path,
    expectStatus:
      wholeNumber(p, "app.healthCheck.expectStatus", o.expectStatus, 100, 599, "an HTTP status from 100 to 599") ??
      d.expectStatus,
    timeoutSeconds: wholeNumber(p, "app.healthCheck.timeoutSeconds", o.timeoutSeconds, 1, 600) ?? d.timeoutSeconds,
  };
  const expectText = text(
    p,
    "app.healthCheck.expectText",
    o.expectText,
    "text on one line",
    (s) => s !== "" && !/[\r\n]/.test(s),
  );
  if (expectText !== undefined) hc.expectText = expectText;
  return hc;
}

function checkSource(p: Problems, source: string): void {
  const dir = path.resolve(process.cwd(), source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    p.add("app.source", `directory ${show(source)} does not exist`);
    return;
  }
  if (!stat.isDirectory()) {
    p.add("app.source", `${show(source)} is not a directory`);
    return;
  }
  for (const file of ["manage.py", "requirements.txt"]) {
    if (!fs.existsSync(path.join(dir, file))) p.add("app.source", `must contain ${file}`);
  }
}

function checkApp(p: Problems, v: unknown): AppConfig | undefined {
  const o = missing(v) ? {} : object(p, "app", v, APP_KEYS, "an object (pulumi config set --path app.source ./app …)");
  if (!o) return undefined;
  const d = DEFAULTS.app;
  const name =
    text(
      p,
      "app.name",
      o.name,
      '2 to 31 lowercase letters and digits, starting with a letter (like "hc")',
      pattern(APP_NAME),
    ) ?? d.name;
  if (SYSTEM_ACCOUNTS.has(name)) {
    // The app runs as a unix user of this name, and owns a database role of it by default.
    p.add("app.name", `${show(name)} is a system account's name; the app gets a user of its own: choose another name`);
  }

  const hasSource = !missing(o.source);
  const hasGit = !missing(o.git);
  if (hasSource === hasGit) {
    p.add("app.source", 'set exactly one of "app.source" (a local directory) or "app.git" (a repository URL and ref)');
  }
  const source = text(p, "app.source", o.source, "a path to a local directory");
  if (source !== undefined) checkSource(p, source);
  let git: AppConfig["git"];
  if (hasGit) {
    const g = object(
      p,
      "app.git",
      o.git,
      GIT_KEYS,
      'an object like {"url": "https://github.com/you/app.git", "ref": "main"}',
    );
    if (g) {
      const url = requiredText(
        p,
        "app.git.url",
        g.url,
        'a repository URL like "https://github.com/you/app.git" or "git@github.com:you/app.git"',
        pattern(GIT_URL),
      );
      const ref = requiredText(
        p,
        "app.git.ref",
        g.ref,
        'a branch, a tag or a full 40-character commit id, like "main" or "v1.2.0"',
        pattern(GIT_REF),
      );
      if (url !== undefined && ref !== undefined) git = { url, ref };
    }
  }

  const app: AppConfig = {
    name,
    python:
      text(
        p,
        "app.python",
        o.python,
        'an interpreter name or path like "python3" or "/usr/bin/python3.12"',
        pattern(PYTHON),
      ) ?? d.python,
    wsgi:
      text(
        p,
        "app.wsgi",
        o.wsgi,
        'a WSGI application as "module:callable" like "hc.wsgi:application"',
        pattern(WSGI),
      ) ?? d.wsgi,
    workers: wholeNumber(p, "app.workers", o.workers, 1, 64) ?? d.workers,
    env: checkEnv(p, o.env),
    manage: checkManage(p, o.manage),
    jobs: checkJobs(p, o.jobs),
    keepReleases: wholeNumber(p, "app.keepReleases", o.keepReleases, 1, 50) ?? d.keepReleases,
    healthCheck: checkHealthCheck(p, o.healthCheck),
    migrations: checkMigrations(p, o.migrations),
  };
  if (source !== undefined) app.source = source;
  if (git) app.git = git;
  return app;
}

function checkSite(p: Problems, v: unknown): SiteConfig | undefined {
  const o = missing(v)
    ? {}
    : object(p, "site", v, SITE_KEYS, "an object (pulumi config set --path site.serverName example.com …)");
  if (!o) return undefined;
  const d = DEFAULTS.site;
  return {
    serverName:
      text(
        p,
        "site.serverName",
        o.serverName,
        'host names separated by spaces, or "_" for any (like "example.com www.example.com")',
        pattern(SERVER_NAME),
      ) ?? d.serverName,
    listen:
      text(p, "site.listen", o.listen, 'a port or address:port like "80", "127.0.0.1:8080" or "[::]:80"', isListen) ??
      d.listen,
    clientMaxBodySize:
      text(p, "site.clientMaxBodySize", o.clientMaxBodySize, 'a size like "10m", "512k" or "1g"', pattern(BODY_SIZE)) ??
      d.clientMaxBodySize,
  };
}

function checkDatabase(p: Problems, v: unknown, appName: string): DatabaseConfig | undefined {
  if (!missing(v) && !isObj(v)) {
    p.add("database", `expected an object (pulumi config set --path database.kind local), got ${show(v)}`);
    return undefined;
  }
  const o: Obj = v ?? {};
  const kindText = text(p, "database.kind", o.kind, '"local" or "managed"', (s) => s === "local" || s === "managed");
  const kind = kindText ?? (missing(o.kind) ? DEFAULTS.database.kind : undefined);
  if (kind === "local") {
    for (const key of Object.keys(o)) {
      if (MANAGED_DB_KEYS.includes(key) && !LOCAL_DB_KEYS.includes(key))
        p.add(join("database", key), 'only used with database.kind "managed"');
    }
  }
  unknownKeys(p, "database", o, MANAGED_DB_KEYS);
  const name =
    text(p, "database.name", o.name, 'a PostgreSQL name of lowercase letters, digits and "_"', pattern(PG_IDENT)) ??
    appName;
  const user =
    text(p, "database.user", o.user, 'a PostgreSQL role of lowercase letters, digits and "_"', pattern(PG_IDENT)) ??
    appName;
  if (kind === "managed") {
    return {
      kind: "managed",
      name,
      user,
      size:
        text(p, "database.size", o.size, 'a DigitalOcean database size slug like "db-s-1vcpu-1gb"', pattern(SLUG)) ??
        DEFAULTS.database.managedSize,
      version:
        text(p, "database.version", o.version, 'a PostgreSQL major version like "16"', pattern(PG_VERSION)) ??
        DEFAULTS.database.managedVersion,
      protect: bool(p, "database.protect", o.protect) ?? true,
    };
  }
  return kind === "local" ? { kind: "local", name, user } : undefined;
}

/** The secrets' plain values after checking; `loadConfig` wraps them as secret Outputs. */
interface SecretValues {
  sshPrivateKey: string;
  djangoSecretKey: string;
  dbPassword: string;
  env: Record<string, string>;
}

/** A secret string: present, set with --secret, non-empty. Its value never appears in a message. */
function secretText(p: Problems, raw: RawConfig, key: string, required: boolean): string | undefined {
  const v = raw.values[key];
  if (missing(v)) {
    if (required) p.add(key, `required; set it with pulumi config set --secret ${key} …`);
    return undefined;
  }
  if (!raw.secretKeys.has(key)) p.add(key, `must be set with --secret (pulumi config set --secret ${key} …)`);
  if (typeof v !== "string" || v.trim() === "") {
    p.add(key, "expected a non-empty string (value not shown)");
    return undefined;
  }
  return v;
}

function checkSshPrivateKey(p: Problems, raw: RawConfig, host: DropletHost | undefined): string | undefined {
  const key = secretText(p, raw, "sshPrivateKey", true);
  if (key === undefined) return undefined;
  const info = inspectPrivateKey(key);
  if (!info) {
    p.add("sshPrivateKey", 'expected a private key block ("-----BEGIN OPENSSH PRIVATE KEY-----" …) (value not shown)');
    return undefined;
  }
  if (info.encrypted) {
    p.add(
      "sshPrivateKey",
      'is protected by a passphrase; set a key without one (ssh-keygen -p -N "" -f KEYFILE removes it)',
    );
    return undefined;
  }
  if (host && info.publicBlob) {
    const configured = Buffer.from(host.sshPublicKey.split(" ")[1], "base64");
    if (!configured.equals(info.publicBlob)) {
      p.add(
        "droplet.sshPublicKey",
        "does not match sshPrivateKey (ssh-keygen -y -f KEYFILE prints the matching public key)",
      );
    }
  }
  return key;
}

function checkSecretEnv(p: Problems, raw: RawConfig, plainEnv: Record<string, string>): Record<string, string> {
  const v = raw.values.secretEnv;
  const env: Record<string, string> = {};
  if (missing(v)) return env;
  if (!raw.secretKeys.has("secretEnv")) {
    p.add("secretEnv", "must be set with --secret (pulumi config set --secret --path secretEnv.NAME …)");
  }
  if (!isObj(v)) {
    p.add(
      "secretEnv",
      "expected an object of NAME: value pairs (pulumi config set --secret --path secretEnv.NAME …) (value not shown)",
    );
    return env;
  }
  const plainNames = { names: new Set(Object.keys(plainEnv)), where: "app.env" };
  for (const [name, value] of Object.entries(v)) {
    const at = join("secretEnv", name);
    const ok = checkEnvName(p, at, name, plainNames);
    const s =
      typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) ? String(value) : value;
    if (typeof s !== "string" || s === "") p.add(at, "expected a non-empty string (value not shown)");
    else if (ok) env[name] = s;
  }
  return env;
}

function checkAll(raw: RawConfig): {
  config?: Omit<DeployConfig, "secrets">;
  secrets?: SecretValues;
  errors: string[];
} {
  const p = new Problems();
  const values = raw.values;

  for (const key of Object.keys(values)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const near = closest(key, TOP_LEVEL_KEYS);
    const nested = near
      ? undefined
      : Object.keys(NESTED_KEYS).find((s) => NESTED_KEYS[s].some((k) => k.toLowerCase() === key.toLowerCase()));
    const nestedKey = nested && NESTED_KEYS[nested].find((k) => k.toLowerCase() === key.toLowerCase());
    p.add(
      key,
      near
        ? `unknown setting; did you mean "${near}"?`
        : nestedKey
          ? `unknown setting; did you mean "${nested}.${nestedKey}"? (pulumi config set --path ${nested}.${nestedKey} …)`
          : `unknown setting (expected one of: ${TOP_LEVEL_KEYS.join(", ")})`,
    );
  }
  for (const key of PLAIN_KEYS) {
    if (raw.secretKeys.has(key) && !missing(values[key])) {
      p.add(
        key,
        'was set with --secret, but this setting is stored in plain text; set it without --secret (secret app settings belong in "secretEnv")',
      );
    }
  }

  const hasHost = !missing(values.host);
  const hasDroplet = !missing(values.droplet);
  if (hasHost === hasDroplet) {
    p.add("host", 'set exactly one of "host" (an existing server) or "droplet" (a new DigitalOcean droplet)');
  }
  const existing = hasHost ? checkExistingHost(p, values.host) : undefined;
  const droplet = hasDroplet ? checkDroplet(p, values.droplet) : undefined;
  const app = checkApp(p, values.app);
  if (app && existing && app.name === existing.user) {
    p.add(
      "app.name",
      `${show(app.name)} is host.user, the SSH login; the app gets a user of its own: choose another name`,
    );
  }
  const site = checkSite(p, values.site);
  const database = checkDatabase(p, values.database, app?.name ?? DEFAULTS.app.name);
  if (database?.kind === "managed" && hasHost && !hasDroplet) {
    p.add(
      "database.kind",
      '"managed" needs "droplet" (the database firewall admits only the droplet); use "local" with "host"',
    );
  }

  const sshPrivateKey = checkSshPrivateKey(p, raw, droplet);
  const djangoSecretKey = secretText(p, raw, "djangoSecretKey", true);
  let dbPassword: string | undefined = "";
  if (database?.kind === "managed") {
    if (!missing(values.dbPassword)) {
      p.add(
        "dbPassword",
        'not used with database.kind "managed" (DigitalOcean generates the password); remove it (pulumi config rm dbPassword)',
      );
    }
  } else {
    dbPassword = secretText(p, raw, "dbPassword", true);
  }
  const secretEnv = checkSecretEnv(p, raw, app?.env ?? {});

  const host = existing ?? droplet;
  if (
    p.list.length > 0 ||
    !host ||
    !app ||
    !site ||
    !database ||
    sshPrivateKey === undefined ||
    djangoSecretKey === undefined ||
    dbPassword === undefined
  ) {
    return { errors: p.list };
  }
  return {
    config: { host, app, site, database },
    secrets: { sshPrivateKey, djangoSecretKey, dbPassword, env: secretEnv },
    errors: [],
  };
}

/**
 * Checks raw stack config and applies defaults. Pure apart from looking at
 * `app.source` on disk. Returns the config only when there are no errors;
 * otherwise every problem, one message each, in a stable order.
 */
export function validateConfig(raw: RawConfig): { config?: Omit<DeployConfig, "secrets">; errors: string[] } {
  const { config, errors } = checkAll(raw);
  return config ? { config, errors } : { errors };
}

/** One message for all problems, as `loadConfig` throws it. */
export function formatConfigErrors(errors: string[]): string {
  return ["Invalid stack configuration:", ...errors.map((e) => `  - ${e}`)].join("\n");
}

// ---------------------------------------------------------------------------
// The Pulumi layer

/**
 * Whether a config key was set with --secret. @pulumi/pulumi 3.182 has no
 * public API for this: `runtime.isConfigSecret` exists (marked internal, not
 * in the typings) and reads the same store as the config itself, so it also
 * sees `runtime.setAllConfig` (Automation API, tests). Fallback: the
 * language host's PULUMI_CONFIG_SECRET_KEYS variable (a JSON list of full keys).
 */
function isSetAsSecret(namespace: string, key: string): boolean {
  const candidates = [`${namespace}:${key}`, `${namespace}:config:${key}`];
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") return candidates.some((k) => runtime.isConfigSecret!(k));
  try {
    const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
    return Array.isArray(keys) && candidates.some((k) => keys.includes(k));
  } catch {
    return false;
  }
}

/** Reads every key of this project's namespace: objects parsed, everything else as text. */
export function readRawConfig(cfg: pulumi.Config = new pulumi.Config()): RawConfig {
  const prefix = `${cfg.name}:`;
  const keys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length));
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const key of keys) {
    if ((PLAIN_KEYS as readonly string[]).includes(key) || key === "secretEnv") {
      try {
        values[key] = cfg.getObject(key);
      } catch {
        values[key] = cfg.get(key); // not JSON: reported as "expected an object"
      }
    } else {
      values[key] = cfg.get(key);
    }
    if (isSetAsSecret(cfg.name, key)) secretKeys.add(key);
  }
  return { values, secretKeys };
}

/**
 * The stack's checked config, secrets as secret Outputs. Throws one error
 * listing every problem, so `pulumi preview`/`up` stop before any resource.
 */
export function loadConfig(): DeployConfig {
  const cfg = new pulumi.Config();
  const { config, secrets, errors } = checkAll(readRawConfig(cfg));
  if (!config || !secrets) throw new pulumi.RunError(formatConfigErrors(errors));
  return {
    ...config,
    secrets: {
      sshPrivateKey: cfg.requireSecret("sshPrivateKey"),
      djangoSecretKey: cfg.requireSecret("djangoSecretKey"),
      dbPassword: config.database.kind === "local" ? cfg.requireSecret("dbPassword") : pulumi.secret(""),
      env: pulumi.secret(secrets.env),
    },
  };
}
