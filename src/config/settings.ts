// Every stack setting, defined once: its path, format (with the "expected …"
// text messages use), default, one line of help, and whether it is secret.
// Checking (rules.ts, secrets.ts), the TypeScript types (types.ts), the
// defaults and the README's settings reference (docs.ts) all come from here.
// Rules between settings of different objects live in rules.ts.
//
// Longer than 300 lines on purpose: it is the one table of every setting,
// and reads best whole.
import * as net from "node:net";
import {
  ACCESS_KEY_ID,
  APP_NAME,
  BODY_SIZE,
  checkSource,
  DNS_RECORD,
  DOMAIN,
  EMAIL,
  HTTPS_URL,
  isStorageEndpoint,
  S3_URL,
  SIGNING_REGION,
  listenPort,
  PEM_CERTIFICATE,
  pemChain,
  envNameList,
  envVars,
  GIT_REF,
  GIT_URL,
  HOST_KEY,
  HOSTNAME,
  isBackupSchedule,
  isCidr,
  isListen,
  isOneLine,
  JOB_NAME,
  manageCommand,
  MIGRATION,
  PG_IDENT,
  PG_VERSION,
  PUBLIC_KEY,
  publicKey,
  PYTHON,
  REGION,
  secretText,
  SERVER_NAME,
  SHARED_DIR,
  checkSharedDirs,
  DEB_PACKAGE,
  SLUG,
  SYSTEM_ACCOUNTS,
  TAG,
  UNIX_USER,
  WSGI,
} from "./formats";
import { checkDistinctNames, checkNotProvided } from "./envNames";
import { choice, type Format, isObj, list, pattern, section, setting, show, text, wholeNumber, yesNo } from "./readers";

export const HOST = section(
  {
    address: setting(
      text("a host name or IP address", (s) => net.isIP(s) !== 0 || HOSTNAME.test(s)),
      { required: true, help: "Address to SSH to." },
    ),
    port: setting(wholeNumber(1, 65535, "a port number from 1 to 65535"), { default: 22, help: "SSH port." }),
    user: setting(text('a unix user name like "root" or "deploy"', pattern(UNIX_USER)), {
      default: "root",
      help: "Login user with passwordless root (root or sudo).",
    }),
    hostKey: setting(
      publicKey(
        'the server\'s public host key like "ssh-ed25519 AAAA…" (ssh-keyscan -t ed25519 HOST, without the host name)',
        HOST_KEY,
      ),
      { required: true, help: "The host's public key; pinned on every connection." },
    ),
  },
  { expected: "an object (pulumi config set --path host.address …)" },
);

export const DNS = section(
  {
    domain: setting(text('a domain managed in DigitalOcean like "example.com"', pattern(DOMAIN)), {
      required: true,
      help: "A domain whose DNS DigitalOcean manages; gets an A record for the droplet.",
    }),
    record: setting(text('"@" (the domain itself) or a name like "www"', pattern(DNS_RECORD)), {
      default: "@",
      help: "The record's name, relative to the domain.",
    }),
  },
  {
    expected: 'an object like {"domain": "example.com", "record": "@"}',
    rule(p, at, { domain, record }) {
      if (domain && record && record !== "@" && record.toLowerCase().endsWith(`.${domain.toLowerCase()}`)) {
        p.add(
          `${at}.record`,
          `give the name relative to "${domain}", like "${record.slice(0, -domain.length - 1)}", got ${show(record)}`,
        );
      }
    },
  },
);

export const DROPLET = section(
  {
    region: setting(text('a DigitalOcean region slug like "fra1"', pattern(REGION)), {
      default: "fra1",
      help: "DigitalOcean region.",
    }),
    size: setting(text('a DigitalOcean size slug like "s-1vcpu-2gb"', pattern(SLUG)), {
      default: "s-1vcpu-2gb",
      help: "Droplet size.",
    }),
    image: setting(text('a DigitalOcean image slug like "ubuntu-24-04-x64"', pattern(SLUG)), {
      default: "ubuntu-24-04-x64",
      help: "Droplet image.",
    }),
    sshPublicKey: setting(publicKey('the deploy key\'s public half like "ssh-ed25519 AAAA… you@laptop"', PUBLIC_KEY), {
      required: true,
      help: "Public half of the deploy key (matches sshPrivateKey).",
    }),
    sshAllowFrom: setting(
      list(
        'a list of address ranges like ["203.0.113.0/24"]',
        text('an address range like "203.0.113.0/24" or "2001:db8::/48"', isCidr),
        { nonEmpty: "expected at least one address range (the deploy itself connects over SSH)" },
      ),
      {
        default: ["0.0.0.0/0", "::/0"],
        help: "Address ranges allowed to reach SSH; ports 80 and 443 stay open to all.",
      },
    ),
    monitoring: setting(yesNo, { default: true, help: "DigitalOcean monitoring agent." }),
    tags: setting(
      list('a list of tags like ["web", "prod"]', text('a tag of letters, digits, ":", "-" and "_"', pattern(TAG))),
      { default: [], help: "Tags on the droplet." },
    ),
    reservedIp: setting(yesNo, { default: false, help: "A reserved (static) IP that survives the droplet." }),
    dns: setting(DNS, { help: "An A record for the droplet in a domain DigitalOcean manages." }),
    protect: setting(yesNo, {
      defaultText: 'true while database.kind is "local"',
      help: "Pulumi protect: destroying or replacing the droplet fails until it is turned off.",
    }),
  },
  { expected: "an object (pulumi config set --path droplet.sshPublicKey …)" },
);

export const GIT = section(
  {
    url: setting(
      text('a repository URL like "https://github.com/you/app.git" or "git@github.com:you/app.git"', pattern(GIT_URL)),
      { required: true, help: "The repository to deploy from." },
    ),
    ref: setting(text('a branch, a tag or a full 40-character commit id, like "main" or "v1.2.0"', pattern(GIT_REF)), {
      required: true,
      help: "Resolved to a commit at deploy time.",
    }),
  },
  { expected: 'an object like {"url": "https://github.com/you/app.git", "ref": "main"}' },
);

export const JOB = section(
  {
    name: setting(
      text(
        'lowercase letters, digits and "-", starting with a letter, at most 31 characters (like "alerts")',
        pattern(JOB_NAME),
      ),
      {
        required: true,
        help: "Names the job's supervisor program.",
        check(p, at, name, seen) {
          if (name === "web" || name === "site") {
            p.add(
              at,
              `"${name}" names the ${name === "web" ? "gunicorn" : "site's nginx"} program; choose another name`,
            );
            return false;
          }
          const job = at.slice(0, -".name".length);
          const first = seen.get(name);
          if (first) p.add(at, `"${name}" is already used by ${first}`);
          else seen.set(name, job);
        },
      },
    ),
    command: setting(text('a command on one line like "python manage.py sendalerts"', isOneLine), {
      required: true,
      help: "Run in the release with its venv and settings.",
      check(p, at, command) {
        if (command.includes("%")) {
          p.add(at, 'must not contain "%" (supervisor expands it); move the command into a script');
        } else if (/\s[;#]/.test(command)) {
          // supervisor's config reader ends the line at " ;" or " #": "--label #1" would run as "--label".
          p.add(
            at,
            `must not contain " ;" or " #" (supervisor reads the rest as a comment), got ${show(command)}; move the command into a script`,
          );
        }
      },
    }),
    singleton: setting(yesNo, {
      default: false,
      help: "Never run two at once: the old one stops before the new one starts.",
    }),
  },
  { expected: 'an object like {"name": "alerts", "command": "python manage.py sendalerts"}' },
);

export const HEALTH_CHECK = section({
  path: setting(text('a URL path starting with "/" like "/healthz/"', pattern(/^\/\S*$/)), {
    default: "/",
    help: "Requested on the new release before the switch.",
  }),
  expectStatus: setting(wholeNumber(100, 599, "an HTTP status from 100 to 599"), {
    defaultText: "any 2xx or 3xx",
    help: "The HTTP status the health check expects (unset: a redirect to a login page passes, a 4xx fails).",
  }),
  expectText: setting(
    text("text on one line", (s) => s !== "" && !/[\r\n]/.test(s)),
    {
      help: "Text the response body must contain.",
    },
  ),
  timeoutSeconds: setting(wholeNumber(1, 600), {
    default: 60,
    help: "How long to keep trying before the release is declared unhealthy.",
  }),
});

const migrationList = list(
  'a list of migrations as "app_label.migration_name" like ["api.0004_remove_ping_ua"]',
  text('a migration as "app_label.migration_name" like "api.0004_remove_ping_ua"', pattern(MIGRATION)),
);

export const MIGRATIONS = section(
  {
    afterSwitch: setting(migrationList, {
      default: [],
      help: "Applied after the switch, once older releases have stopped.",
    }),
    allowUnsafe: setting(migrationList, {
      default: [],
      help: "Applied before the switch unchecked: the old release may fail meanwhile.",
    }),
  },
  {
    expected: 'an object like {"afterSwitch": ["api.0004_remove_ping_ua"]}',
    rule(p, at, { afterSwitch = [], allowUnsafe = [] }) {
      for (const name of afterSwitch.filter((n) => allowUnsafe.includes(n))) {
        p.add(
          `${at}.allowUnsafe`,
          `${show(name)} is also in ${at}.afterSwitch (where nothing serves that could break); remove it from one`,
        );
      }
    },
  },
);

const envName = (name: string | undefined, help: string) => setting(envNameList, { default: name ? [name] : [], help });

const ENV_NAME_FIELDS = {
  secretKey: envName("DJANGO_SECRET_KEY", "Django's SECRET_KEY (djangoSecretKey)."),
  allowedHosts: envName(
    "DJANGO_ALLOWED_HOSTS",
    "The site's names and localhost, comma-separated; app.env or secretEnv may set this name instead.",
  ),
  databaseUrl: envName(
    "DATABASE_URL",
    "postgres://user:password@host:port/name for dj-database-url (host /var/run/postgresql, the local socket, encoded as %2Fvar%2Frun%2Fpostgresql; ?sslmode=require when managed).",
  ),
  databaseName: envName("DATABASE_NAME", "The database's name."),
  databaseUser: envName("DATABASE_USER", "The database role."),
  databasePassword: envName("DATABASE_PASSWORD", "The role's password (dbPassword, or DigitalOcean's)."),
  databaseHost: envName("DATABASE_HOST", "The database's host; /var/run/postgresql (the socket) when local."),
  databasePort: envName("DATABASE_PORT", "The database's port."),
  databaseSslMode: envName("DATABASE_SSLMODE", 'Managed only: "require".'),
  siteUrl: envName(
    undefined,
    'http:// and the site\'s first name, or "http://localhost"; app.env or secretEnv may set this name instead.',
  ),
  releaseId: envName("RELEASE_ID", "The release's id."),
};

const envNameSection = section(ENV_NAME_FIELDS, {
  expected: 'an object like {"secretKey": "SECRET_KEY", "databasePassword": ["DB_PASSWORD"], "siteUrl": "SITE_ROOT"}',
  rule: checkDistinctNames,
});

/** The values the deploy gives the app, each under the env names the app reads; null is [] (none). */
export const ENV_NAMES: typeof envNameSection = {
  ...envNameSection,
  read: (p, at, v, scope) =>
    envNameSection.read(
      p,
      at,
      isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? [] : x])) : v,
      scope,
    ),
};

export const APP = section(
  {
    name: setting(text('2 to 31 lowercase letters and digits, starting with a letter (like "hc")', pattern(APP_NAME)), {
      default: "hc",
      help: "Short name: unix user, database, supervisor programs, paths.",
      check(p, at, name) {
        // The app runs as a unix user of this name, and owns a database role of it by default.
        if (SYSTEM_ACCOUNTS.has(name)) {
          p.add(at, `${show(name)} is a system account's name; the app gets a user of its own: choose another name`);
        }
      },
    }),
    source: setting(text("a path to a local directory"), {
      help: "Local directory with manage.py and requirements.txt; set this or app.git.",
      check: checkSource,
    }),
    git: setting(GIT, { help: "A git repository and ref; set this or app.source." }),
    exclude: setting(
      list(
        'a list of patterns in .gitignore syntax like ["docs/", "*.psd"]',
        text("a pattern on one line", (s) => s.trim() !== "" && !/[\r\n]/.test(s)),
      ),
      {
        default: [],
        help: "Files of the source not to ship, beyond .gitignore and what never ships (.env*, *.sqlite3, media/, venvs).",
      },
    ),
    python: setting(text('an interpreter name or path like "python3" or "/usr/bin/python3.12"', pattern(PYTHON)), {
      default: "python3",
      help: "Python interpreter on the host for the venv.",
    }),
    server: setting(choice(["gunicorn-wsgi", "gunicorn-uvicorn"], '"gunicorn-wsgi" or "gunicorn-uvicorn"'), {
      default: "gunicorn-wsgi",
      help: "gunicorn serving the WSGI app, or the ASGI app with uvicorn's worker; added to the venv when requirements.txt lacks it.",
    }),
    wsgi: setting(text('a WSGI application as "module:callable" like "config.wsgi:application"', pattern(WSGI)), {
      defaultText: "the wsgi.py beside the settings module manage.py names",
      help: "The WSGI application gunicorn serves (gunicorn-wsgi).",
    }),
    asgi: setting(text('an ASGI application as "module:callable" like "config.asgi:application"', pattern(WSGI)), {
      defaultText: "the asgi.py beside the settings module manage.py names",
      help: "The ASGI application uvicorn's worker serves (gunicorn-uvicorn).",
    }),
    packages: setting(
      list(
        'a list of Debian/Ubuntu package names like ["libpq-dev", "libcurl4-openssl-dev"]',
        text('a package name like "libpq-dev"', pattern(DEB_PACKAGE)),
      ),
      { default: [], help: "System packages the app needs to build or run, installed by the host bootstrap." },
    ),
    workers: setting(wholeNumber(1, 64), { default: 2, help: "gunicorn worker processes." }),
    env: setting(envVars, {
      default: {},
      help: "Settings for the app as environment variables (numbers and booleans become text).",
    }),
    envNames: setting(ENV_NAMES, {
      readEmpty: true,
      help: "The env names the app reads the deploy's values under: a name, a list of names, or [] for none.",
    }),
    manage: setting(list('a list of manage.py commands like ["migrate --noinput"]', manageCommand), {
      default: ["collectstatic --noinput", "migrate --noinput"],
      help: "manage.py commands run in the new release before it takes traffic.",
    }),
    jobs: setting(list('a list of jobs like [{"name": "alerts", "command": "python manage.py sendalerts"}]', JOB), {
      default: [],
      help: "Background jobs under supervisor, one program per release.",
    }),
    sharedDirs: setting(
      list(
        'a list of directories in the project like ["media"]',
        text('a directory relative to the project like "media" or "data/uploads"', pattern(SHARED_DIR)),
      ),
      {
        default: [],
        help: "Directories that outlive releases (uploads): kept in /srv/<app>/shared, linked into every release.",
        check: checkSharedDirs,
      },
    ),
    keepReleases: setting(wholeNumber(1, 50), { default: 5, help: "Releases kept on the host for fast returns." }),
    release: setting(
      text(
        'a kept release\'s id of 12 hex digits like "3f2a9c0b1d4e" (npm run ops -- releases)',
        pattern(/^[0-9a-f]{12}$/),
      ),
      {
        help: "Pins a kept release: pulumi up switches to it without building (npm run ops -- rollback); unset, the source deploys.",
      },
    ),
    healthCheck: setting(HEALTH_CHECK, { readEmpty: true, help: "Checks the new release before the switch." }),
    migrations: setting(MIGRATIONS, { readEmpty: true, help: "How migrate treats named migrations." }),
  },
  {
    expected: "an object (pulumi config set --path app.source ./app …)",
    rule(p, at, { server, wsgi, asgi, env = {}, envNames = {} }) {
      checkNotProvided(p, `${at}.env`, Object.keys(env), envNames);
      if (server === "gunicorn-uvicorn" && wsgi) {
        p.add(`${at}.wsgi`, 'app.server "gunicorn-uvicorn" serves the ASGI app: set app.asgi instead');
      }
      if (server === "gunicorn-wsgi" && asgi) {
        p.add(`${at}.asgi`, 'serves only with app.server "gunicorn-uvicorn"; set that, or remove app.asgi');
      }
    },
    oneOf: {
      keys: ["source", "git"],
      message: 'set exactly one of "app.source" (a local directory) or "app.git" (a repository URL and ref)',
    },
  },
);

/** site.tls settings that only the ACME modes use. */
const ACME_ONLY = ["email", "staging", "directoryUrl", "directoryCa"] as const;

export const TLS = section(
  {
    mode: setting(choice(["auto", "acme", "provided", "off"], '"auto", "acme", "provided" or "off"'), {
      default: "auto",
      help: 'HTTPS. "acme": certificates from Let\'s Encrypt (or tls.directoryUrl), renewed on the host; "provided": the certificate in tls.certificate with the key in tlsPrivateKey; "auto": acme when site.serverName names public domains, else off.',
    }),
    certificate: setting(
      pemChain('PEM certificates ("-----BEGIN CERTIFICATE-----" …), the site\'s first, then its chain'),
      {
        help: 'With mode "provided": the certificate chain to serve (public; its key goes in tlsPrivateKey).',
      },
    ),
    email: setting(text('an e-mail address like "ops@example.com"', pattern(EMAIL)), {
      help: "ACME account e-mail: expiry and policy notices.",
    }),
    staging: setting(yesNo, {
      default: false,
      help: "Let's Encrypt's staging server: untrusted certificates, generous limits; for trying it out.",
    }),
    directoryUrl: setting(text('an https URL like "https://acme.example.net/directory"', pattern(HTTPS_URL)), {
      defaultText: "Let's Encrypt",
      help: "Another ACME server's directory URL.",
    }),
    directoryCa: setting(text('one PEM certificate ("-----BEGIN CERTIFICATE-----" …)', pattern(PEM_CERTIFICATE)), {
      help: "A CA the host trusts for the ACME server (a private one); added to the host's trust store.",
    }),
    listen: setting(text('a port or address:port like "443" or "127.0.0.1:8443"', isListen), {
      default: "443",
      help: "Where HTTPS listens.",
    }),
    hstsMaxAge: setting(wholeNumber(0, 63072000, "seconds from 0 to 63072000 (2 years)"), {
      default: 0,
      help: "Strict-Transport-Security max-age sent with HTTPS responses; 0 sends none.",
    }),
  },
  {
    // Set but unused is a mistake worth a message: the user means something else than what happens.
    rule(p, at, tls) {
      if (tls.mode === "provided") {
        if (tls.certificate === undefined) {
          p.add(
            `${at}.certificate`,
            'required with site.tls.mode "provided" (pulumi config set --path site.tls.certificate -- "$(cat fullchain.pem)")',
          );
        }
        for (const key of ACME_ONLY) {
          // staging has a default: only a true one was set on purpose.
          if (tls[key] !== undefined && tls[key] !== false) {
            p.add(`${at}.${key}`, 'is for ACME; not used with site.tls.mode "provided": remove it');
          }
        }
      } else if (tls.certificate !== undefined) {
        p.add(`${at}.certificate`, 'only used with site.tls.mode "provided"; set that, or remove the certificate');
      }
    },
  },
);

export const SITE = section(
  {
    serverName: setting(
      text('host names separated by spaces, or "_" for any (like "example.com www.example.com")', pattern(SERVER_NAME)),
      { default: "_", help: "nginx server_name." },
    ),
    listen: setting(text('a port or address:port like "80", "127.0.0.1:8080" or "[::]:80"', isListen), {
      default: "80",
      help: "nginx listen.",
    }),
    clientMaxBodySize: setting(text('a size like "10m", "512k" or "1g"', pattern(BODY_SIZE)), {
      default: "10m",
      help: "nginx client_max_body_size.",
    }),
    static: setting(choice(["nginx", "app"], '"nginx" or "app"'), {
      default: "nginx",
      help: "Who serves STATIC_URL: nginx from the release's STATIC_ROOT (the app for any file it lacks), or the app (whitenoise).",
    }),
    tls: setting(TLS, { readEmpty: true, help: "HTTPS for site.serverName." }),
  },
  {
    expected: "an object (pulumi config set --path site.serverName example.com …)",
    rule(p, at, { serverName = "_", listen, tls }) {
      if (tls?.mode === "provided" && serverName === "_") {
        p.add(
          `${at}.tls.mode`,
          '"provided" needs site.serverName to list the names the certificate covers (like "example.com www.example.com"); not "_"',
        );
      }
      if (tls?.mode !== "acme" && tls?.mode !== "provided") return;
      const bad = serverName.split(" ").filter((n) => !DOMAIN.test(n));
      if (tls.mode === "acme" && bad.length > 0) {
        p.add(
          `${at}.tls.mode`,
          `"acme" needs site.serverName to list domain names only (like "example.com www.example.com"); not ${bad.map((n) => JSON.stringify(n)).join(", ")}`,
        );
      }
      if (listen !== undefined && tls.listen !== undefined && listenPort(listen) === listenPort(tls.listen)) {
        p.add(`${at}.tls.listen`, `uses the port of site.listen (${listen}); HTTPS needs a port of its own`);
      }
    },
  },
);

export const BACKUP_COPY = section(
  {
    url: setting(text('an s3:// URL like "s3://my-space/backups/" (a bucket, then a prefix)', pattern(S3_URL)), {
      required: true,
      help: "Where each archive goes once written: a bucket (a Space) and a key prefix. Expiring old copies is the bucket's job (a lifecycle rule).",
    }),
    endpoint: setting(
      text('an https URL like "https://nyc3.digitaloceanspaces.com" (http only on loopback)', isStorageEndpoint),
      { required: true, help: "The S3-compatible service: for Spaces, https://<region>.digitaloceanspaces.com." },
    ),
    region: setting(text('a signing region like "us-east-1"', pattern(SIGNING_REGION)), {
      default: "us-east-1",
      help: "The region requests are signed for (Spaces accepts us-east-1).",
    }),
    accessKeyId: setting(text("an access key id of 8 to 128 letters and digits", pattern(ACCESS_KEY_ID)), {
      required: true,
      help: "The access key's id; its secret goes in backupCopySecretKey.",
    }),
  },
  {
    expected: "an object (pulumi config set --path database.backupCopy.url s3://bucket/prefix/ …)",
    rule(p, at, { url, endpoint }) {
      // A Space's origin endpoint names the bucket; requests then name it again in the path.
      const bucket = url?.slice("s3://".length).split("/")[0];
      const host = endpoint?.replace(/^https?:\/\//, "").split(/[/:]/)[0];
      if (bucket && host?.startsWith(`${bucket}.`)) {
        p.add(
          `${at}.endpoint`,
          `names the bucket (${bucket}); give the region's endpoint, like https://${host.slice(bucket.length + 1)}`,
        );
      }
    },
  },
);

/** Read by rules.ts: which settings apply depends on `kind`, and name and user default to the app name. */
export const DATABASE = section(
  {
    kind: setting(choice(["local", "managed"], '"local" or "managed"'), {
      default: "local",
      help: "PostgreSQL on the host, or a DigitalOcean managed cluster (needs droplet).",
    }),
    name: setting(text('a PostgreSQL name of lowercase letters, digits and "_"', pattern(PG_IDENT)), {
      defaultText: "the app name",
      help: "Database name.",
    }),
    user: setting(text('a PostgreSQL role of lowercase letters, digits and "_"', pattern(PG_IDENT)), {
      defaultText: "the app name",
      help: "Database role the app logs in as.",
    }),
    size: setting(text('a DigitalOcean database size slug like "db-s-1vcpu-1gb"', pattern(SLUG)), {
      default: "db-s-1vcpu-1gb",
      help: "Managed only: cluster size.",
    }),
    version: setting(text('a PostgreSQL major version like "16"', pattern(PG_VERSION)), {
      default: "16",
      help: "Managed only: PostgreSQL major version.",
    }),
    protect: setting(yesNo, {
      default: true,
      help: "Managed only: Pulumi protect on the cluster (destroy and replacement refused).",
    }),
    backupSchedule: setting(
      text('a cron schedule of 5 fields like "17 3 * * *" (03:17 daily, the host\'s time), or "off"', isBackupSchedule),
      {
        default: "17 3 * * *",
        help: "Local only: when the host runs pg_dump (custom format) into /srv/<app>/backups; npm run ops -- backup now any time.",
      },
    ),
    backupKeep: setting(wholeNumber(1, 365, "a number of archives from 1 to 365"), {
      default: 14,
      help: "Local only: the newest archives kept on the host.",
    }),
    backupCopy: setting(BACKUP_COPY, {
      help: "Local only: a copy of each archive in S3-compatible storage (DigitalOcean Spaces), off the host.",
    }),
  },
  { expected: "an object (pulumi config set --path database.kind local)" },
);

/** Settings that apply only to a managed database. */
export const MANAGED_ONLY = ["size", "version", "protect"] as const satisfies readonly (keyof typeof DATABASE.fields)[];
/** Settings that apply only to a local database. */
export const LOCAL_ONLY = [
  "backupSchedule",
  "backupKeep",
  "backupCopy",
] as const satisfies readonly (keyof typeof DATABASE.fields)[];

/** The whole stack config, top-level keys in the order they are checked and documented. */
export const SETTINGS = {
  host: setting(HOST, { help: "An existing server to deploy to; set this or droplet." }),
  droplet: setting(DROPLET, { help: "A DigitalOcean droplet this program creates; set this or host." }),
  app: setting(APP, { readEmpty: true, help: "The Django app." }),
  site: setting(SITE, { readEmpty: true, help: "The nginx site in front of the app." }),
  database: setting(DATABASE, { readEmpty: true, help: "PostgreSQL for the app." }),
  sshPrivateKey: setting(secretText('a private key block ("-----BEGIN OPENSSH PRIVATE KEY-----" …)'), {
    required: true,
    secret: true,
    help: "Private half of the deploy key.",
  }),
  tlsPrivateKey: setting(secretText('a PEM private key block ("-----BEGIN PRIVATE KEY-----" …) without a passphrase'), {
    secret: true,
    defaultText: 'required with site.tls.mode "provided"; not used otherwise',
    help: "Private key of site.tls.certificate.",
  }),
  djangoSecretKey: setting(secretText("a non-empty string"), {
    required: true,
    secret: true,
    help: "Django SECRET_KEY.",
  }),
  dbPassword: setting(secretText("a non-empty string"), {
    secret: true,
    defaultText: "required with a local database; not used with a managed one",
    help: "Password of the app's database role.",
  }),
  backupCopySecretKey: setting(secretText("a secret access key of 8 to 128 letters, digits and + / = _ . -"), {
    secret: true,
    defaultText: "required with database.backupCopy; not used otherwise",
    help: "Secret of database.backupCopy.accessKeyId.",
  }),
  secretEnv: setting(
    {
      expected: "an object of NAME: value pairs (pulumi config set --secret --path secretEnv.NAME …)",
      structured: true,
      read: () => undefined, // read in secrets.ts: its values are never shown
    } satisfies Format<Record<string, string>>,
    { default: {}, secret: true, help: "Secret settings for the app as environment variables." },
  ),
};
