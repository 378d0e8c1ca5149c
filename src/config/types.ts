// The validated, defaulted shape of a stack's configuration. `config.ts`
// builds it from `pulumi config` and rejects bad input before any resource
// exists; components only ever see this shape. The types come from the
// settings table (settings.ts), where each setting's default and help live.
import * as pulumi from "@pulumi/pulumi";
import type { Value } from "./readers";
import type { APP, DATABASE, DROPLET, ENV_NAMES, HEALTH_CHECK, HOST, JOB, MIGRATIONS, SITE } from "./settings";

/** A server this program did not create (the sandbox, or any SSH host). */
export type ExistingHost = { kind: "existing" } & Value<typeof HOST.fields>;

/** A droplet this program creates and owns. */
export type DropletHost = { kind: "droplet" } & Value<typeof DROPLET.fields>;

/** A background job under supervisor, one program per release. */
export type Job = Value<typeof JOB.fields>;

/** Requested on the new release's socket before the switch. */
export type HealthCheck = Value<typeof HEALTH_CHECK.fields>;

/**
 * How `migrate` treats migrations, each named "app_label.migration_name". The serving
 * release runs until the switch, so before it the pending migrations are checked
 * (django-migration-linter) and any it may not survive (a dropped or renamed column or
 * table, a NOT NULL column without a database default, a type change…) stops the deploy.
 */
export type Migrations = Value<typeof MIGRATIONS.fields>;

/** The env names each value the deploy provides goes under; [] for none. */
export type EnvNames = Value<typeof ENV_NAMES.fields>;

export type AppConfig = Value<typeof APP.fields>;

/** nginx in front of the app. */
export type SiteConfig = Value<typeof SITE.fields>;

type Database = Value<typeof DATABASE.fields>;
/**
 * PostgreSQL: "local" on the host, or "managed", a DigitalOcean database cluster
 * (needs `droplet`). `name` and `user` default to the app name.
 */
/** Where each backup archive is copied: S3-compatible storage. */
export type BackupCopy = NonNullable<Database["backupCopy"]>;

export type DatabaseConfig =
  | ({ kind: "local"; name: string; user: string } & Pick<Database, "backupSchedule" | "backupKeep" | "backupCopy">)
  | ({ kind: "managed"; name: string; user: string } & Pick<Database, "size" | "version" | "protect">);

export interface Secrets {
  /** Private half of the deploy key (OpenSSH format). */
  sshPrivateKey: pulumi.Output<string>;
  /** Django SECRET_KEY. */
  djangoSecretKey: pulumi.Output<string>;
  /** Password of the app's database role (local database only; "" with a managed database). */
  dbPassword: pulumi.Output<string>;
  /** Private key of site.tls.certificate (site.tls.mode "provided"; "" otherwise), PEM. */
  tlsPrivateKey: pulumi.Output<string>;
  /** Secret of database.backupCopy's access key ("" without a copy). */
  backupCopySecretKey: pulumi.Output<string>;
  /** Secret settings passed to the app as environment variables (`secretEnv`). */
  env: pulumi.Output<Record<string, string>>;
}

export interface DeployConfig {
  host: ExistingHost | DropletHost;
  app: AppConfig;
  site: SiteConfig;
  database: DatabaseConfig;
  secrets: Secrets;
}
