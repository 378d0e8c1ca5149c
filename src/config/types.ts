// The validated, defaulted shape of a stack's configuration. `config.ts`
// builds it from `pulumi config` and rejects bad input before any resource
// exists; components only ever see this shape.
import * as pulumi from "@pulumi/pulumi";

/** A server this program did not create (the sandbox, or any SSH host). */
export interface ExistingHost {
  kind: "existing";
  /** Address to SSH to. */
  address: string;
  /** SSH port. Default 22. */
  port: number;
  /** Login user with passwordless root (root or sudo). Default "root". */
  user: string;
  /** The host's public key, authorized-keys form ("ssh-ed25519 AAAA…"); pinned on every connection. */
  hostKey: string;
}

/** A droplet this program creates and owns. */
export interface DropletHost {
  kind: "droplet";
  /** DigitalOcean region slug. Default "fra1". */
  region: string;
  /** Droplet size slug. Default "s-1vcpu-2gb". */
  size: string;
  /** Image slug. Default "ubuntu-24-04-x64". */
  image: string;
  /** Public half of the deploy key (authorized-keys form). */
  sshPublicKey: string;
  /** Address ranges allowed to reach SSH. Default ["0.0.0.0/0", "::/0"]. */
  sshAllowFrom: string[];
  /** DigitalOcean monitoring agent. Default true. */
  monitoring: boolean;
  /** Tags on the droplet. Default []. */
  tags: string[];
  /** Reserve a static IP for the droplet. Default false. */
  reservedIp: boolean;
  /** DNS: a domain managed in DigitalOcean and the record name ("@" or a subdomain). Default none. */
  dns?: { domain: string; record: string };
  /**
   * Pulumi `protect`: `pulumi destroy` and any replacement of the droplet fail until it is
   * turned off. Default: true when the database is on the droplet (database.kind "local").
   */
  protect?: boolean;
}

export interface Job {
  /** Program name suffix, [a-z0-9-]. */
  name: string;
  /** Command run in the release with its venv and settings, e.g. "python manage.py sendalerts". */
  command: string;
  /** Never run two at once: the old one stops before the new one starts. Default false. */
  singleton: boolean;
}

export interface HealthCheck {
  /** Path requested on the new release's socket. Default "/about/". */
  path: string;
  /** Expected HTTP status. Default 200. */
  expectStatus: number;
  /** Text the body must contain. Default none. */
  expectText?: string;
  /** How long to keep polling before the release is declared unhealthy. Default 60. */
  timeoutSeconds: number;
}

export interface AppConfig {
  /** Short name: unix user, database, supervisor programs, paths. [a-z][a-z0-9]{1,30}. Default "hc". */
  name: string;
  /** Local directory with the Django project (manage.py, requirements.txt). Exactly one of source / git. */
  source?: string;
  /** A git repository and ref (branch, tag or commit), resolved to a commit at deploy time. */
  git?: { url: string; ref: string };
  /** Python interpreter on the host used for the venv. Default "python3". */
  python: string;
  /** WSGI application, module:callable. Default "hc.wsgi:application". */
  wsgi: string;
  /** gunicorn worker processes. Default 2. */
  workers: number;
  /** Non-secret settings passed to the app as environment variables (numbers and booleans become text). Default {}. */
  env: Record<string, string>;
  /** manage.py commands run in the new release before it takes traffic. Default ["collectstatic --noinput", "migrate --noinput"]. */
  manage: string[];
  /** Background jobs under supervisor, one program per release. Default []. */
  jobs: Job[];
  /** Releases kept on the host for fast returns. Default 5. */
  keepReleases: number;
  healthCheck: HealthCheck;
  migrations: Migrations;
}

/**
 * How `migrate` treats migrations, each named "app_label.migration_name". The serving
 * release runs until the switch, so before it the pending migrations are checked
 * (django-migration-linter) and any it may not survive (a dropped or renamed column or
 * table, a NOT NULL column without a database default, a type change…) stops the deploy.
 */
export interface Migrations {
  /** Applied after the switch, once older releases have stopped (with what depends on them). Default []. */
  afterSwitch: string[];
  /** Applied before the switch unchecked: the user accepts that the old release may fail meanwhile. Default []. */
  allowUnsafe: string[];
}

export interface SiteConfig {
  /** nginx server_name. Default "_". */
  serverName: string;
  /** nginx listen directive argument, e.g. "80" or "127.0.0.1:8080". Default "80". */
  listen: string;
  /** nginx client_max_body_size. Default "10m". */
  clientMaxBodySize: string;
}

/**
 * PostgreSQL. `kind` defaults to "local" (on the host); "managed" is a DigitalOcean
 * database cluster and needs `droplet`. `name` and `user` default to the app name;
 * a managed cluster's `size` defaults to "db-s-1vcpu-1gb" and `version` to "16".
 */
export type DatabaseConfig =
  | { kind: "local"; name: string; user: string }
  | {
      kind: "managed";
      name: string;
      user: string;
      size: string;
      version: string;
      /** Pulumi `protect` on the cluster. Default true. */ protect: boolean;
    };

export interface Secrets {
  /** Private half of the deploy key (OpenSSH format). */
  sshPrivateKey: pulumi.Output<string>;
  /** Django SECRET_KEY. */
  djangoSecretKey: pulumi.Output<string>;
  /** Password of the app's database role (local database only; "" with a managed database). */
  dbPassword: pulumi.Output<string>;
  /** Secret settings passed to the app as environment variables (`secretEnv`). Default {}. */
  env: pulumi.Output<Record<string, string>>;
}

export interface DeployConfig {
  host: ExistingHost | DropletHost;
  app: AppConfig;
  site: SiteConfig;
  database: DatabaseConfig;
  secrets: Secrets;
}
