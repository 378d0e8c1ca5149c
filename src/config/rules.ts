// Checks a whole stack config against the settings table, in the table's
// order, and the rules between settings of different objects: exactly one of
// host and droplet, unknown and misplaced top-level keys, plain settings set
// with --secret, app.name against host.user, the database kind against the
// host, which database settings a kind uses, and the TLS key with the site's
// certificate.
import {
  closest,
  type Field,
  isObj,
  join,
  missing,
  type Obj,
  Problems,
  readField,
  type Scope,
  show,
  unknownKeys,
} from "./readers";
import { siteNames } from "./https";
import { SECRET_ACCESS_KEY } from "./formats";
import { checkProvidedCertificate } from "./providedCertificate";
import { checkSecretEnv, checkSshPrivateKey, type RawConfig, secretText, type SecretValues } from "./secrets";
import { APP, DATABASE, LOCAL_ONLY, MANAGED_ONLY, SETTINGS } from "./settings";
import type { DatabaseConfig, DeployConfig, DropletHost, ExistingHost, SiteConfig } from "./types";

const TOP_LEVEL: [string, Field][] = Object.entries(SETTINGS);
const TOP_LEVEL_KEYS = TOP_LEVEL.map(([key]) => key);
/** Settings stored in plain text at the top level: the objects. */
const PLAIN_KEYS = TOP_LEVEL.filter(([, f]) => !f.secret).map(([key]) => key);
/** Top-level settings Pulumi keeps as JSON. */
export const STRUCTURED_KEYS = TOP_LEVEL.filter(([, f]) => f.structured).map(([key]) => key);

/** Top-level keys that are none of ours: a typo, a nested setting set at the top, or something else. */
function checkTopLevelKeys(p: Problems, values: Obj): void {
  const sections = TOP_LEVEL.filter(([, f]) => !f.secret).map(([name, f]) => ({
    name,
    keys: Object.keys(f.fields ?? {}),
  }));
  for (const key of Object.keys(values)) {
    if (TOP_LEVEL_KEYS.includes(key)) continue;
    const near = closest(key, TOP_LEVEL_KEYS);
    const nested = near
      ? undefined
      : sections
          .map((s) => ({ section: s.name, key: s.keys.find((k) => k.toLowerCase() === key.toLowerCase()) }))
          .find((s) => s.key);
    p.add(
      key,
      near
        ? `unknown setting; did you mean "${near}"?`
        : nested
          ? `unknown setting; did you mean "${nested.section}.${nested.key}"? (pulumi config set --path ${nested.section}.${nested.key} …)`
          : `unknown setting (expected one of: ${TOP_LEVEL_KEYS.join(", ")})`,
    );
  }
}

function checkDatabase(p: Problems, v: unknown, appName: string, scope: Scope): DatabaseConfig | undefined {
  if (!missing(v) && !isObj(v)) {
    p.add("database", `expected ${DATABASE.expected}, got ${show(v)}`);
    return undefined;
  }
  const o: Obj = v ?? {};
  const f = DATABASE.fields;
  // A wrong kind is no kind: the settings of neither kind are checked then.
  const kind = missing(o.kind) ? f.kind.default : f.kind.read(p, "database.kind", o.kind, scope);
  if (kind === "local") {
    for (const key of Object.keys(o)) {
      if ((MANAGED_ONLY as readonly string[]).includes(key)) {
        p.add(join("database", key), 'only used with database.kind "managed"');
      }
    }
  }
  if (kind === "managed") {
    for (const key of Object.keys(o)) {
      if ((LOCAL_ONLY as readonly string[]).includes(key)) {
        p.add(
          join("database", key),
          'only used with database.kind "local" (a managed cluster has DigitalOcean\'s backups)',
        );
      }
    }
  }
  unknownKeys(p, "database", o, Object.keys(f));
  const name = readField(p, "database.name", o.name, f.name, scope) ?? appName;
  const user = readField(p, "database.user", o.user, f.user, scope) ?? appName;
  if (kind === "managed") {
    return {
      kind,
      name,
      user,
      size: readField(p, "database.size", o.size, f.size, scope)!,
      version: readField(p, "database.version", o.version, f.version, scope)!,
      protect: readField(p, "database.protect", o.protect, f.protect, scope)!,
    };
  }
  if (kind !== "local") return undefined;
  const copy = readField(p, "database.backupCopy", o.backupCopy, f.backupCopy, scope);
  return {
    kind,
    name,
    user,
    backupSchedule: readField(p, "database.backupSchedule", o.backupSchedule, f.backupSchedule, scope)!,
    backupKeep: readField(p, "database.backupKeep", o.backupKeep, f.backupKeep, scope)!,
    ...(copy === undefined ? {} : { backupCopy: copy }),
  };
}

/** backupCopySecretKey: set exactly when database.backupCopy is. "" when not used. */
function checkBackupCopySecretKey(
  p: Problems,
  raw: RawConfig,
  database: DatabaseConfig | undefined,
): string | undefined {
  const db = raw.values.database;
  // Set, though maybe invalid (reported already): its key is still the one it needs.
  const copying = database?.kind === "local" && isObj(db) && !missing(db.backupCopy);
  if (!copying) {
    if (database && !missing(raw.values.backupCopySecretKey)) {
      p.add(
        "backupCopySecretKey",
        database.kind === "managed"
          ? 'not used with database.kind "managed"; remove it (pulumi config rm backupCopySecretKey)'
          : "only used with database.backupCopy; set that, or remove it (pulumi config rm backupCopySecretKey)",
      );
    }
    return "";
  }
  const key = secretText(p, raw, "backupCopySecretKey", true);
  // It goes into rclone's config file: no spaces, quotes or line breaks.
  if (key !== undefined && !SECRET_ACCESS_KEY.test(key)) {
    p.add("backupCopySecretKey", `expected ${SETTINGS.backupCopySecretKey.expected} (value not shown)`);
    return undefined;
  }
  return key;
}

/**
 * tlsPrivateKey: set exactly when site.tls.mode is "provided", and then it and site.tls.certificate
 * must make a pair that serves site.serverName now (providedCertificate.ts). "" when not used.
 */
function checkTlsPrivateKey(p: Problems, raw: RawConfig, site: SiteConfig | undefined): string | undefined {
  if (!site) return undefined; // unreadable: reported already
  if (site.tls.mode !== "provided") {
    if (!missing(raw.values.tlsPrivateKey)) {
      p.add(
        "tlsPrivateKey",
        'only used with site.tls.mode "provided"; set that, or remove it (pulumi config rm tlsPrivateKey)',
      );
    }
    return "";
  }
  const key = secretText(p, raw, "tlsPrivateKey", true);
  if (key === undefined || site.tls.certificate === undefined) return undefined;
  checkProvidedCertificate(p, { certificate: site.tls.certificate, privateKey: key, names: siteNames(site) });
  return key;
}

export function checkAll(raw: RawConfig): {
  config?: Omit<DeployConfig, "secrets">;
  secrets?: SecretValues;
  errors: string[];
} {
  const p = new Problems();
  const values = raw.values;
  const scope: Scope = new Map();

  checkTopLevelKeys(p, values);
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
  const existingValue = readField(p, "host", values.host, SETTINGS.host, scope);
  const existing: ExistingHost | undefined = existingValue && { kind: "existing", ...existingValue };
  const dropletValue = readField(p, "droplet", values.droplet, SETTINGS.droplet, scope);
  const droplet: DropletHost | undefined = dropletValue && { kind: "droplet", ...dropletValue };
  const app = readField(p, "app", values.app, SETTINGS.app, scope);
  if (app && existing && app.name === existing.user) {
    p.add(
      "app.name",
      `${show(app.name)} is host.user, the SSH login; the app gets a user of its own: choose another name`,
    );
  }
  const site = readField(p, "site", values.site, SETTINGS.site, scope);
  const database = checkDatabase(p, values.database, app?.name ?? APP.fields.name.default!, scope);
  if (database?.kind === "managed" && hasHost && !hasDroplet) {
    p.add(
      "database.kind",
      '"managed" needs "droplet" (the database firewall admits only the droplet); use "local" with "host"',
    );
  }

  const sshPrivateKey = checkSshPrivateKey(p, raw, droplet);
  const tlsPrivateKey = checkTlsPrivateKey(p, raw, site);
  const backupCopySecretKey = checkBackupCopySecretKey(p, raw, database);
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
  const secretEnv = checkSecretEnv(p, raw, app?.env ?? {}, app?.envNames);

  const host = existing ?? droplet;
  if (
    p.list.length > 0 ||
    !host ||
    !app ||
    !site ||
    !database ||
    sshPrivateKey === undefined ||
    djangoSecretKey === undefined ||
    dbPassword === undefined ||
    tlsPrivateKey === undefined ||
    backupCopySecretKey === undefined
  ) {
    return { errors: p.list };
  }
  return {
    config: { host, app, site, database },
    secrets: { sshPrivateKey, djangoSecretKey, dbPassword, tlsPrivateKey, backupCopySecretKey, env: secretEnv },
    errors: [],
  };
}
