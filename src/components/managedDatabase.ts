// ManagedDatabase: a DigitalOcean managed PostgreSQL cluster for the app,
// with a firewall that admits only the app's droplet.
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface ManagedDatabaseArgs {
  database: { name: string; user: string; size: string; version: string; protect: boolean };
  dropletId: pulumi.Input<string>;
  region: string;
}

export class ManagedDatabase extends pulumi.ComponentResource {
  public readonly settings: {
    name: pulumi.Output<string>;
    user: pulumi.Output<string>;
    password: pulumi.Output<string>;
    host: pulumi.Output<string>;
    port: pulumi.Output<string>;
  };

  constructor(name: string, args: ManagedDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:infra:ManagedDatabase", name, {}, opts);
    const child = { parent: this };
    const cluster = new digitalocean.DatabaseCluster(
      `${name}-db`,
      { engine: "pg", version: args.database.version, size: args.database.size, region: args.region, nodeCount: 1 },
      // It holds the data: `pulumi destroy` or a replacement needs database.protect false first.
      { parent: this, protect: args.database.protect },
    );
    const db = new digitalocean.DatabaseDb(
      `${name}-db-name`,
      { clusterId: cluster.id, name: args.database.name },
      child,
    );
    const user = new digitalocean.DatabaseUser(
      `${name}-db-user`,
      { clusterId: cluster.id, name: args.database.user },
      child,
    );
    new digitalocean.DatabaseFirewall(
      `${name}-db-firewall`,
      { clusterId: cluster.id, rules: [{ type: "droplet", value: pulumi.output(args.dropletId) }] },
      child,
    );
    this.settings = {
      name: db.name,
      user: user.name,
      password: pulumi.secret(user.password),
      host: cluster.privateHost,
      port: cluster.port.apply(String),
    };
    this.registerOutputs({ host: this.settings.host });
  }
}
