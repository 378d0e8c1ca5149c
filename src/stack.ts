// The whole deployment from one checked config: the host (a new droplet, or an
// existing server reached over SSH), the database (on the host, or a
// DigitalOcean managed cluster) and the app. `index.ts` is this over the
// stack's config; another program can call it with a config of its own.
import * as pulumi from "@pulumi/pulumi";
import { DatabaseSettings, DjangoApp } from "./components/djangoApp";
import { Droplet, hostKeyFromSecret } from "./components/droplet";
import { ManagedDatabase } from "./components/managedDatabase";
import { DeployConfig } from "./config/types";
import { HostCommand } from "./host/hostCommand";
import { SshTarget } from "./host/ssh";

export interface DeployedStack {
  /** The host's public address. */
  serverAddress: pulumi.Output<string>;
  /** The live release's id. */
  releaseId: pulumi.Output<string>;
  /** The socket nginx's front door proxies to. */
  liveSocket: pulumi.Output<string>;
  /** The supervisor programs of the app's background jobs. */
  workers: pulumi.Output<string[]>;
  /** With HTTPS (site.tls): when the served certificate expires; a renewal on the host comes before. */
  certificateExpiry: pulumi.Output<string> | undefined;
  /** How the day-2 commands (npm run ops) reach the host: the private key stays in config. */
  ssh: pulumi.Output<SshAccess>;
  /** What the day-2 commands need to know of the app and its database. */
  app: { name: string; database: { name: string; local: boolean } };
}

/** An SSH login without its key: the host key is pinned, never trusted on first use. */
export interface SshAccess {
  host: string;
  port: number;
  user: string;
  hostKey: string;
}

/** Creates every resource of one deployment; `config` comes from `loadConfig()` or `validateConfig()`. */
export function deployStack(config: DeployConfig): DeployedStack {
  const { app, host, database, secrets } = config;

  let connection: pulumi.Output<SshTarget>;
  let access: pulumi.Output<SshAccess>;
  let hostId: pulumi.Output<string>;
  let address: pulumi.Output<string>;
  let dropletId: pulumi.Output<string> | undefined;
  let hostResource: pulumi.Resource | undefined;
  if (host.kind === "droplet") {
    // The host key is derived from the deploy key (a secret already in config) when the droplet is
    // first created, then kept in state: known before the droplet boots, pinned from the first connection.
    const hostKey = hostKeyFromSecret(secrets.sshPrivateKey, `${pulumi.getProject()}/${pulumi.getStack()}/${app.name}`);
    const protect = host.protect ?? database.kind === "local";
    const droplet = new Droplet(app.name, { host, appName: app.name, hostKey, protect });
    address = droplet.address;
    hostId = droplet.dropletId;
    dropletId = droplet.dropletId;
    hostResource = droplet.droplet;
    connection = pulumi
      .all([droplet.address, droplet.hostKey, secrets.sshPrivateKey])
      .apply(([addr, hostKey, privateKey]) => ({ host: addr, port: 22, user: "root", privateKey, hostKey }));
    // Built apart from the connection: that one holds the private key, so all of it is secret.
    access = pulumi
      .all([droplet.address, droplet.hostKey])
      .apply(([addr, hostKey]) => ({ host: addr, port: 22, user: "root", hostKey }));
  } else {
    address = pulumi.output(host.address);
    hostId = pulumi.output(`${host.address}:${host.port}`);
    connection = secrets.sshPrivateKey.apply((privateKey) => ({
      host: host.address,
      port: host.port,
      user: host.user,
      privateKey,
      hostKey: host.hostKey,
    }));
    access = pulumi.output({ host: host.address, port: host.port, user: host.user, hostKey: host.hostKey });
  }

  let db: DatabaseSettings;
  if (database.kind === "managed") {
    if (!dropletId || host.kind !== "droplet") {
      throw new Error("database.kind: a managed database needs a droplet (its firewall admits only the droplet)");
    }
    const managed = new ManagedDatabase(app.name, { database, dropletId, region: host.region });
    db = { ...managed.settings, local: false, sslMode: "require" };
  } else {
    db = {
      name: database.name,
      user: database.user,
      password: secrets.dbPassword,
      host: "/var/run/postgresql",
      port: "5432",
      local: true,
      backups: {
        schedule: database.backupSchedule,
        keep: database.backupKeep,
        copy: database.backupCopy,
        copySecretKey: secrets.backupCopySecretKey,
      },
    };
  }

  // A command's delete (stop a program, prune, remove the site) is pointless on
  // a droplet that is being deleted in the same run, and fails once it is gone.
  const skipDeletesWithHost: pulumi.ResourceTransformation = (a) =>
    hostResource && a.resource instanceof HostCommand
      ? { props: a.props, opts: { ...a.opts, deletedWith: hostResource } }
      : undefined;

  const deployed = new DjangoApp(
    app.name,
    {
      connection,
      hostId,
      app,
      site: config.site,
      database: db,
      djangoSecretKey: secrets.djangoSecretKey,
      secretEnv: secrets.env,
      tlsPrivateKey: secrets.tlsPrivateKey,
    },
    { transformations: [skipDeletesWithHost] },
  );

  return {
    serverAddress: address,
    releaseId: deployed.releaseId,
    liveSocket: deployed.liveSocket,
    workers: deployed.workers,
    certificateExpiry: deployed.certificateExpiry,
    ssh: access,
    app: { name: app.name, database: { name: database.name, local: database.kind === "local" } },
  };
}
