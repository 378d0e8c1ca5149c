// Deploys a Django app to one server with zero downtime. Reads and checks the
// stack's config (nothing is created when it is invalid), brings up the host
// — a new DigitalOcean droplet or an existing server — and deploys the app.
import "./src/quietShutdown";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./src/config/config";
import { DjangoApp, DatabaseSettings } from "./src/components/djangoApp";
import { Droplet, hostKeyFromSecret } from "./src/components/droplet";
import { HostCommand } from "./src/host/hostCommand";
import { ManagedDatabase } from "./src/components/managedDatabase";
import { SshTarget } from "./src/host/ssh";

const config = loadConfig();
const { app, host, database, secrets } = config;

let connection: pulumi.Output<SshTarget>;
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
}

let db: DatabaseSettings;
if (database.kind === "managed") {
  if (!dropletId)
    throw new Error("database.kind: a managed database needs a droplet (its firewall admits only the droplet)");
  const managed = new ManagedDatabase(app.name, { database, dropletId, region: (host as { region: string }).region });
  db = { ...managed.settings, local: false, sslMode: "require" };
} else {
  db = {
    name: database.name,
    user: database.user,
    password: secrets.dbPassword,
    host: "/var/run/postgresql",
    port: "5432",
    local: true,
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
  },
  { transformations: [skipDeletesWithHost] },
);

export const serverAddress = address;
export const releaseId = deployed.releaseId;
export const liveSocket = deployed.liveSocket;
export const workers = deployed.workers;
