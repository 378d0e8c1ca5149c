// DjangoApp: one app on one host, wired for zero downtime:
//   HostBootstrap → Release → GunicornService (health-checked) → NginxSite
//   switch → Workers. A new version replaces Release, GunicornService and the
//   Workers (create-before-delete) and updates the site's upstream in place;
//   the engine deletes the old service and workers only after that.
// What the app is told (its secret key, the database, the site's names,
// under the names app.envNames gives them) is worked out in appSettings.ts.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { acmeEnabled, httpsEnabled } from "../config/https";
import { AppConfig, BackupCopy, SiteConfig } from "../config/types";
import { appSettings, healthCheckHost } from "./appSettings";
import { GunicornService } from "./gunicornService";
import { HostBootstrap } from "./hostBootstrap";
import { migrateAfterSwitch } from "./migrateAfterSwitch";
import { MigrationCheck } from "./migrationCheck";
import { readMigrations } from "../source/migrations";
import { NginxSite } from "./nginxSite";
import { Release } from "./release";
import { exportGitRef, packDirectory } from "../source/source";
import { formatBytes } from "../source/shipped";
import { detectEntrypoint } from "../source/entrypoint";
import { appServer } from "./appServer";
import { Backups } from "./backups";
import { SshTarget } from "../host/ssh";
import { Worker } from "./worker";

/** How the app reaches its database. */
export interface DatabaseSettings {
  name: pulumi.Input<string>;
  user: pulumi.Input<string>;
  password: pulumi.Input<string>;
  host: pulumi.Input<string>;
  port: pulumi.Input<string>;
  /** Set for a database on this host: the bootstrap creates it. */
  local: boolean;
  /** libpq sslmode, for a database reached over the network. */
  sslMode?: string;
  /** A local database's backups: a cron schedule (or "off"), how many archives stay, where they are copied. */
  backups?: { schedule: string; keep: number; copy?: BackupCopy; copySecretKey?: pulumi.Input<string> };
}

export interface DjangoAppArgs {
  /** How to reach the host: address, port, login user (root or passwordless sudo), private key, pinned host key. */
  connection: pulumi.Input<SshTarget>;
  /** Identifies the host (e.g. a droplet id): when it changes, every step runs again on the new host. */
  hostId: pulumi.Input<string>;
  /** The app, with defaults applied (`appConfig`/`loadConfig` produce it); `app.envNames` names the values it gets. */
  app: AppConfig;
  /** nginx: server names, listen address, body size. */
  site: SiteConfig;
  /** The database the app uses; with `local: true` the host bootstrap creates it. */
  database: DatabaseSettings;
  /** Django's SECRET_KEY, passed under `app.envNames.secretKey` (default DJANGO_SECRET_KEY). */
  djangoSecretKey: pulumi.Input<string>;
  /** Further secret settings passed as environment variables; none may be a name `app.envNames` fills. */
  secretEnv: pulumi.Input<Record<string, string>>;
  /** The private key of site.tls.certificate, PEM; needed with site.tls.mode "provided" only. */
  tlsPrivateKey?: pulumi.Input<string>;
}

// Re-exported: programs and tests import them from here.
export { defaultAllowedHosts, healthCheckHost } from "./appSettings";

/**
 * One Django app on one host, deployed with zero downtime: every `pulumi up` builds a release
 * beside the live one, checks it and only then moves traffic.
 */
export class DjangoApp extends pulumi.ComponentResource {
  /** The live release's id (a digest of its source and settings). */
  public readonly releaseId: pulumi.Output<string>;
  /** The socket nginx's front door proxies to. */
  public readonly liveSocket: pulumi.Output<string>;
  /** The supervisor programs of the background jobs. */
  public readonly workers: pulumi.Output<string[]>;
  /** With HTTPS (site.tls): the certificate's expiry. */
  public readonly certificateExpiry: pulumi.Output<string> | undefined;

  constructor(name: string, args: DjangoAppArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:DjangoApp", name, {}, opts);
    const { app, connection, hostId } = args;
    const child = { parent: this };
    const exported = app.git ? exportGitRef(app.git.url, app.git.ref) : undefined;
    const sourceDir = exported ? exported.dir : path.resolve(app.source!);
    // Where the release came from, for `npm run ops -- releases`: never a URL's credentials, and
    // a local source by its directory's name (the same from any checkout).
    const sourceLabel = app.git
      ? `${app.git.url.replace(/\/\/[^/@]*@/, "//")} ${exported!.commit.slice(0, 12)}`
      : path.basename(sourceDir);
    const backups = args.database.local ? args.database.backups : undefined;
    // app.release pins a kept release: it is switched to as it is, its migrations applied back then.
    const pinned = app.release;
    const migrates = !pinned && app.manage.some((cmd) => /^migrate(\s|$)/.test(cmd.trim()));

    // First, so that a refusal comes before any step runs.
    const migrationCheck = migrates
      ? [new MigrationCheck(`${name}-migrations`, { migrations: readMigrations(sourceDir), ...app.migrations }, child)]
      : [];

    const bootstrap = new HostBootstrap(
      `${name}-host`,
      {
        connection,
        hostId,
        app: app.name,
        // certbot gets and renews the site's certificate (site.tls from ACME); the HTTPS program
        // resolves its certificate with nginx's JavaScript module; cron runs the backups, rclone copies them.
        packages: [
          ...app.packages,
          ...(acmeEnabled(args.site) ? ["certbot"] : []),
          ...(httpsEnabled(args.site) ? ["libnginx-mod-http-js"] : []),
          ...(backups && backups.schedule !== "off" ? ["cron"] : []),
          ...(backups?.copy ? ["rclone"] : []),
        ],
        database: args.database.local
          ? { name: args.database.name, user: args.database.user, password: args.database.password }
          : undefined,
      },
      { parent: this, dependsOn: migrationCheck },
    );

    if (backups) {
      new Backups(
        `${name}-backups`,
        { connection, hostId, app: app.name, database: args.database.name, ...backups },
        { parent: this, dependsOn: [bootstrap] },
      );
    }

    const { interface: kind } = appServer(app.server);
    const configured = kind === "asgi" ? app.asgi : app.wsgi;
    const application = configured ?? detectEntrypoint(sourceDir, kind);
    if (!configured) pulumi.log.info(`app.${kind}: ${application} (found in the source)`, this);

    const source = pinned ? { pinned } : packDirectory(sourceDir, app.exclude);
    if ("shipped" in source) {
      const { count, bytes, how, excludedByApp } = source.shipped;
      const byApp = excludedByApp ? `; ${excludedByApp} left out by app.exclude` : "";
      pulumi.log.info(`source: ${count} files, ${formatBytes(bytes)} (${how}${byApp})`, this);
    } else {
      pulumi.log.warn(
        `app.release: ${pinned}, a kept release, runs as it is: the source is not deployed, and settings changed while it is pinned reach the app once it is unpinned (npm run ops -- rollback --clear)`,
        this,
      );
    }
    // The deploy's values under the names the app reads (app.envNames), with app.env and secretEnv.
    const settings = pulumi
      .all([args.djangoSecretKey, args.secretEnv, args.database])
      .apply(([secretKey, secretEnv, db]) =>
        appSettings({
          serverName: args.site.serverName,
          https: httpsEnabled(args.site),
          secretKey,
          database: {
            name: String(db.name),
            user: String(db.user),
            password: String(db.password),
            host: String(db.host),
            port: String(db.port),
            sslMode: db.sslMode,
          },
          envNames: app.envNames,
          env: app.env,
          secretEnv,
        }),
      );

    const release = new Release(
      `${name}-release`,
      {
        connection,
        hostId,
        app: app.name,
        source,
        sourceLabel: pinned ? "" : sourceLabel,
        python: app.python,
        settings,
        releaseIdNames: app.envNames.releaseId,
        manage: app.manage,
        migrations: app.migrations,
        keepReleases: app.keepReleases,
        sharedDirs: app.sharedDirs,
        server: app.server,
      },
      { parent: this, dependsOn: [bootstrap] },
    );

    const web = new GunicornService(
      `${name}-web`,
      {
        connection,
        hostId,
        app: app.name,
        releaseId: release.releaseId,
        releaseDir: release.directory,
        server: app.server,
        application,
        workers: app.workers,
        healthCheck: app.healthCheck,
        checkHost: healthCheckHost(args.site.serverName),
      },
      child,
    );

    const site = new NginxSite(
      `${name}-site`,
      {
        connection,
        hostId,
        app: app.name,
        site: args.site,
        socket: web.socket,
        releaseDir: release.directory,
        tlsPrivateKey: args.tlsPrivateKey,
      },
      // After the release: its build points nginx's file root at the live release's public tree.
      { parent: this, dependsOn: [bootstrap, release] },
    );

    const workers = app.jobs.map(
      (job) =>
        new Worker(
          `${name}-job-${job.name}`,
          { connection, hostId, app: app.name, job, releaseId: release.releaseId, releaseDir: release.directory },
          { parent: this, dependsOn: [site] },
        ),
    );

    if (migrates && app.migrations.afterSwitch.length > 0) {
      migrateAfterSwitch(
        `${name}-migrate-after-switch`,
        {
          connection,
          hostId,
          app: app.name,
          releaseId: release.releaseId,
          releaseDir: release.directory,
          live: pulumi.all([web.program, ...workers.map((w) => w.program)]),
          afterSwitch: app.migrations.afterSwitch,
        },
        { parent: this, dependsOn: [site, ...workers] },
      );
    }

    this.releaseId = release.releaseId;
    this.liveSocket = site.liveSocket;
    this.workers = pulumi.all(workers.map((w) => w.program));
    this.certificateExpiry = site.certificateExpiry;
    this.registerOutputs({
      releaseId: this.releaseId,
      liveSocket: this.liveSocket,
      workers: this.workers,
      certificateExpiry: this.certificateExpiry,
    });
  }
}
