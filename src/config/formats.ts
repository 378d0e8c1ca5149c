// The shapes single settings must have: patterns, address checks, names the
// deploy keeps for itself, and the checks that look at one value closely
// (environment names, manage.py commands, the app's source directory).
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { isPublicKeyOfType } from "../host/sshKeys";
import { type Format, isObj, join, missing, pattern, Problems, show, text } from "./readers";

// A directory inside the project: names joined by "/", each starting with a letter, digit or "_"
// (so never "." or "..").
export const SHARED_DIR = /^[A-Za-z0-9_][\w.-]*(\/[A-Za-z0-9_][\w.-]*)*$/;
// What a release needs of its own: a shared dir may not stand in for it.
const RELEASE_OWN = new Set(["manage.py", "requirements.txt", "venv", ".env"]);

/** app.sharedDirs: no duplicates, none inside another, none over what the release itself needs. */
export function checkSharedDirs(p: Problems, at: string, dirs: string[]): void {
  dirs.forEach((dir, i) => {
    if (RELEASE_OWN.has(dir.split("/")[0])) {
      p.add(join(at, i), `${show(dir)} is the release's own; choose another directory`);
    }
    const other = dirs.findIndex((d, j) => j !== i && (d === dir ? j < i : dir.startsWith(`${d}/`)));
    if (other >= 0) {
      const why = dirs[other] === dir ? "is listed twice" : `is inside ${show(dirs[other])}`;
      p.add(join(at, i), `${show(dir)} ${why}; list each shared directory once`);
    }
  });
}

// A Debian package name (Debian Policy 5.6.7), optionally with an architecture like ":amd64".
export const DEB_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

export const APP_NAME = /^[a-z][a-z0-9]{1,30}$/;
// Accounts of Debian and Ubuntu images (and of the packages the bootstrap installs) that fit APP_NAME.
export const SYSTEM_ACCOUNTS = new Set(
  "root daemon bin sys sync games man lp mail news uucp proxy backup list irc gnats nobody postgres sshd ubuntu debian admin syslog messagebus polkitd tss uuidd tcpdump landscape pollinate fwupd lxd dnsmasq usbmux ntp chrony sudo adm staff users nogroup www".split(
    " ",
  ),
);
// A Django migration: app label and module name.
export const MIGRATION = /^[A-Za-z_]\w*\.\w+$/;
export const JOB_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) [A-Za-z0-9+/=]+$/;
export const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp256|ssh-rsa) ([A-Za-z0-9+/=]+)( [^\r\n]*)?$/;
export const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
export const HOSTNAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
export const DOMAIN = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})+$`);
const RECORD_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
export const DNS_RECORD = new RegExp(`^(@|${RECORD_LABEL}(?:\\.${RECORD_LABEL})*)$`);
export const REGION = /^[a-z]{3}[0-9]$/;
export const SLUG = /^[a-z0-9][a-z0-9.-]*$/;
export const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
export const PYTHON = /^[A-Za-z0-9._/-]+$/;
export const WSGI = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$/;
export const GIT_URL = /^((https?|ssh|git|file):\/\/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+)$/;
export const GIT_REF = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
export const SERVER_NAME = /^[A-Za-z0-9*._-]+( [A-Za-z0-9*._-]+)*$/;
export const EMAIL = /^[^\s@"'<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;
export const HTTPS_URL = /^https:\/\/[^\s"'\\]+$/;
// A bucket (S3's naming rules) and an optional key prefix.
export const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()/-]*)?$/;
export const ACCESS_KEY_ID = /^[A-Za-z0-9]{8,128}$/;
export const SECRET_ACCESS_KEY = /^[A-Za-z0-9+/=_.-]{8,128}$/;
export const SIGNING_REGION = /^[a-z0-9-]{2,32}$/;
export const PEM_CERTIFICATE = /^\s*-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;
// One or more certificates, one after the other: a chain.
const PEM_CHAIN = /^\s*(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;
export const BODY_SIZE = /^[0-9]+[kKmMgG]?$/;
export const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
export const PG_VERSION = /^[0-9]{2}$/;

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

/** The port of a valid listen value ("443", "127.0.0.1:8443", "[::]:443"). */
export function listenPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(":") + 1));
}

export function isOneLine(s: string): boolean {
  return s.trim() !== "" && !/[\r\n]/.test(s);
}

/** Checks an env name (format, set elsewhere too); false when it is not to be used. */
export function checkEnvName(
  p: Problems,
  at: string,
  name: string,
  elsewhere?: { names: Set<string>; where: string },
): boolean {
  if (!ENV_NAME.test(name)) {
    p.add(at, 'expected a variable name of capital letters, digits and "_" (like "DJANGO_DEBUG")');
    return false;
  }
  if (elsewhere?.names.has(name)) {
    p.add(at, `also set in "${elsewhere.where}"; set it in one place only`);
    return false;
  }
  return true;
}

/** One `app.envNames` entry: a name, a list of names, or [] for none. Wrong names are reported and left out. */
export const envNameList: Format<string[]> = {
  expected: 'a variable name like "SECRET_KEY", a list of them, or [] for none',
  read(p, at, v) {
    if (missing(v)) return undefined;
    const names: unknown[] | undefined = typeof v === "string" ? [v] : Array.isArray(v) ? v : undefined;
    if (!names) {
      p.add(at, `expected ${envNameList.expected}, got ${show(v)}`);
      return undefined;
    }
    const ok = names.filter((name, i): name is string => {
      const nameAt = Array.isArray(v) ? join(at, i) : at;
      if (typeof name === "string") return checkEnvName(p, nameAt, name);
      p.add(nameAt, `expected a variable name, got ${show(name)}`);
      return false;
    });
    return [...new Set(ok)];
  },
};

/** `app.env`: NAME → text; numbers and booleans become text. Wrong entries are reported and left out. */
export const envVars: Format<Record<string, string>> = {
  expected: "an object of NAME: value pairs (pulumi config set --path app.env.NAME value)",
  structured: true,
  read(p, at, v) {
    const env: Record<string, string> = {};
    if (missing(v)) return env;
    if (!isObj(v)) {
      p.add(at, `expected ${envVars.expected}, got ${show(v)}`);
      return env;
    }
    for (const [name, value] of Object.entries(v)) {
      const entryAt = join(at, name);
      const ok = checkEnvName(p, entryAt, name);
      if (
        typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && Number.isFinite(value))
      ) {
        if (ok) env[name] = String(value);
      } else {
        p.add(entryAt, `expected a string, got ${show(value)}`);
      }
    }
    return env;
  },
};

const manageLine = text('a manage.py command on one line like "migrate --noinput"', isOneLine);

/** One `app.manage` entry: what follows "manage.py", trimmed (the release matches "migrate" at the start). */
export const manageCommand: Format<string> = {
  expected: manageLine.expected,
  read(p, at, v, scope) {
    const cmd = manageLine.read(p, at, v, scope);
    if (cmd === undefined) return undefined;
    if (/^\s*(python[0-9.]*\s+)?(\S*\/)?manage\.py\b/.test(cmd)) {
      p.add(at, `give only what follows "manage.py", like "migrate --noinput", got ${show(cmd)}`);
    } else if (/^migrate(\s|$)/.test(cmd.trim()) && !/^migrate(\s+--no-?input)?$/.test(cmd.trim())) {
      // The release runs migrate itself, in two checked phases (templates/migrate.py).
      p.add(
        at,
        `expected "migrate --noinput" (migrate runs checked, before and after the switch; name migrations in app.migrations), got ${show(cmd)}`,
      );
    } else if (/[^\w\s.,:=@%+/-]/.test(cmd)) {
      // The release script splits the line on spaces, without any shell quoting.
      p.add(
        at,
        `expected plain words (no quotes or shell characters: the command is split on spaces), got ${show(cmd)}`,
      );
    }
    return cmd.trim();
  },
};

/** `app.source` on disk: a directory with manage.py and requirements.txt. */
export function checkSource(p: Problems, at: string, source: string): void {
  const dir = path.resolve(process.cwd(), source);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    p.add(at, `directory ${show(source)} does not exist`);
    return;
  }
  if (!stat.isDirectory()) {
    p.add(at, `${show(source)} is not a directory`);
    return;
  }
  for (const file of ["manage.py", "requirements.txt"]) {
    if (!fs.existsSync(path.join(dir, file))) p.add(at, `must contain ${file}`);
  }
}

/** An authorized-keys line whose data really holds a key of the type it names. */
export function publicKey(expected: string, re: RegExp): Format<string> {
  const line = text(expected, pattern(re));
  return {
    expected,
    read(p, at, v, scope) {
      const s = line.read(p, at, v, scope);
      if (s === undefined) return undefined;
      const type = s.split(" ")[0];
      if (!isPublicKeyOfType(s, type)) {
        p.add(at, `the key data is not of type ${type} (cut short when copied?)`);
        return undefined;
      }
      return s;
    },
  };
}

/**
 * PEM certificates (site.tls.certificate). Public, but never shown either: a private key pasted
 * here by mistake must not reach a message (and a chain is too long for one anyway).
 */
export function pemChain(expected: string): Format<string> {
  return {
    expected,
    read(p, at, v) {
      if (missing(v)) return undefined;
      if (typeof v === "string" && /PRIVATE KEY-----/.test(v)) {
        p.add(
          at,
          "holds a private key, which must not be in plain config: give the certificates only, and the key with pulumi config set --secret tlsPrivateKey … (value not shown)",
        );
        return undefined;
      }
      if (typeof v !== "string" || !PEM_CHAIN.test(v)) {
        p.add(at, `expected ${expected} (value not shown)`);
        return undefined;
      }
      return v;
    },
  };
}

/** A secret's format: text, never shown. Presence and --secret are checked in secrets.ts. */
export function secretText(expected: string): Format<string> {
  return {
    expected,
    read(p, at, v) {
      if (typeof v !== "string" || v.trim() === "") {
        p.add(at, "expected a non-empty string (value not shown)");
        return undefined;
      }
      return v;
    },
  };
}

/** A cron schedule of five fields (numbers, ranges, lists, steps, *), or "off". */
/** An object storage endpoint: https, or http on loopback only (a local test server). */
export function isStorageEndpoint(s: string): boolean {
  if (HTTPS_URL.test(s)) return true;
  return /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?\/?$/.test(s);
}

export function isBackupSchedule(s: string): boolean {
  if (s === "off") return true;
  const field = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
  const fields = s.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => field.test(f));
}
