// What the app is told: the values the deploy provides (its secret key, the
// database, the site's names), each under the env names the app reads
// (app.envNames), merged with app.env and secretEnv. Pure: DjangoApp calls
// it inside an apply and hands the result to the release as a secret.
import * as net from "node:net";
import { providedClash, providedNames, SITE_DEFAULTS } from "../config/envNames";
import type { EnvNames } from "../config/types";

/** The database as the app reaches it, resolved. */
export interface DatabaseValues {
  name: string;
  user: string;
  password: string;
  /** A host name, or a directory: the unix socket of a local database. */
  host: string;
  port: string;
  sslMode?: string;
}

const siteNames = (serverName: string) => serverName.split(/\s+/).filter((n) => n && n !== "_" && !n.startsWith("~"));

/** ALLOWED_HOSTS when the user has not set it: the site's names (nginx's "*.example.com" is Django's ".example.com"), and localhost. */
export function defaultAllowedHosts(serverName: string): string {
  if (serverName === "_") return "*";
  return [...siteNames(serverName).map((n) => (n.startsWith("*.") ? n.slice(1) : n)), "localhost"].join(",");
}

/**
 * The site's first name as a host to send (the health check's Host, the site URL): so that the
 * app's own ALLOWED_HOSTS (say www.example.com only) admits it; "localhost" when the site has none.
 */
export function healthCheckHost(serverName: string): string {
  // A name nginx matches by a trailing wildcard ("example.*") is no host name to send.
  const first = siteNames(serverName).find((n) => !n.replace(/^\*\./, "").includes("*"));
  if (!first) return "localhost";
  return first.startsWith("*.") ? `www${first.slice(1)}` : first.startsWith(".") ? `www${first}` : first;
}

/** The site's address for links the app builds: https when the site serves HTTPS (site.tls). */
export function siteUrl(serverName: string, https = false): string {
  return `${https ? "https" : "http"}://${healthCheckHost(serverName)}`;
}

/**
 * DATABASE_URL as dj-database-url parses it: user, password and name percent-encoded; a socket
 * directory as the host, percent-encoded too (urlsplit's hostname, then unquote, gives it back).
 */
export function databaseUrl(db: DatabaseValues): string {
  const host = net.isIPv6(db.host) ? `[${db.host}]` : encodeURIComponent(db.host);
  const auth = `${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}`;
  const query = db.sslMode ? `?sslmode=${encodeURIComponent(db.sslMode)}` : "";
  // A socket directory with the default port goes without it: dj-database-url before 3.x reads
  // "%2Fvar%2Frun%2Fpostgresql:5432" as one host, socket path and port together.
  const port = db.host.startsWith("/") && db.port === "5432" ? "" : `:${db.port}`;
  return `postgres://${auth}@${host}${port}/${encodeURIComponent(db.name)}${query}`;
}

export interface AppSettingsInputs {
  /** nginx server_name: the default ALLOWED_HOSTS and site URL come from it. */
  serverName: string;
  /** The site serves HTTPS (site.tls). */
  https?: boolean;
  secretKey: string;
  database: DatabaseValues;
  envNames: EnvNames;
  /** app.env. */
  env: Record<string, string>;
  /** secretEnv. */
  secretEnv: Record<string, string>;
}

/** Each provided value under its names. The release id is added by Release (under `envNames.releaseId`). */
export function appSettings(a: AppSettingsInputs): Record<string, string> {
  const { database: db, envNames } = a;
  // Stack config was checked already (app.envNames); a program that calls DjangoApp itself may not have.
  const provided = providedNames(envNames);
  for (const [at, env] of [
    ["app.env", a.env],
    ["secretEnv", a.secretEnv],
  ] as const) {
    for (const name of Object.keys(env)) {
      const clash = providedClash(name, provided);
      if (clash) throw new Error(`${at}.${name}: ${clash}`);
    }
  }
  const values: Record<Exclude<keyof EnvNames, "releaseId">, string | undefined> = {
    allowedHosts: defaultAllowedHosts(a.serverName),
    siteUrl: siteUrl(a.serverName, a.https),
    secretKey: a.secretKey,
    databaseUrl: databaseUrl(db),
    databaseName: db.name,
    databaseUser: db.user,
    databasePassword: db.password,
    databaseHost: db.host,
    databasePort: db.port,
    databaseSslMode: db.sslMode,
  };
  const named = (keys: (keyof typeof values)[]) =>
    Object.fromEntries(
      keys.flatMap((key) => (values[key] === undefined ? [] : envNames[key].map((name) => [name, values[key]!]))),
    );
  const keys = Object.keys(values) as (keyof typeof values)[];
  const siteDefaults = keys.filter((k) => SITE_DEFAULTS.includes(k));
  return {
    // The site's defaults give way to app.env and secretEnv; nothing else may be set twice (checked above).
    ...named(siteDefaults),
    ...a.env,
    ...a.secretEnv,
    ...named(keys.filter((k) => !siteDefaults.includes(k))),
  };
}
