// HostBootstrap: prepares a fresh Ubuntu 24.04 or Debian 12 host over SSH:
// nginx, supervisor, python3-venv and build tools, PostgreSQL with the app's
// database and role, the app user and the directory layout for releases.
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "../host/hostCommand";
import { LONG_STEP_TIMEOUT } from "../host/hostFacts";
import { readTemplate, renderScript } from "../host/render";
import { SshTarget } from "../host/ssh";

export interface HostBootstrapArgs {
  connection: pulumi.Input<SshTarget>;
  /** Changes when the host is replaced (a droplet's id): the bootstrap runs again there. */
  hostId: pulumi.Input<string>;
  /** The app's short name: unix user and /srv/<app>. */
  app: string;
  /** System packages the app needs (app.packages), installed with the bootstrap's own. */
  packages?: string[];
  /** The local PostgreSQL database and role, or undefined when the database is managed elsewhere. */
  database?: { name: pulumi.Input<string>; user: pulumi.Input<string>; password: pulumi.Input<string> };
}

export class HostBootstrap extends pulumi.ComponentResource {
  /** Known once the host is ready; depend on it. */
  public readonly ready: pulumi.Output<string>;

  constructor(name: string, args: HostBootstrapArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:host:HostBootstrap", name, {}, opts);
    // Plain: the user name is no secret, though it travels in the connection.
    const deployUser = pulumi.unsecret(pulumi.output(args.connection).apply((c) => c.user));
    const script = pulumi
      .all([deployUser, args.database?.name ?? "", args.database?.user ?? ""])
      .apply(([user, dbName, dbUser]) =>
        renderScript("bootstrap.sh", {
          APP: args.app,
          DEPLOY_USER: user,
          DB_LOCAL: args.database ? 1 : 0,
          DB_NAME: dbName,
          DB_USER: dbUser,
          RELEASE_EXEC_SCRIPT: readTemplate("release-exec.sh"),
          APP_PACKAGES: (args.packages ?? []).join(" "),
        }),
      );
    const run = new HostCommand(
      `${name}-bootstrap`,
      {
        connection: args.connection,
        create: script,
        // Re-run on any change: every step is idempotent. Nothing is removed on
        // delete: packages, the database and releases outlive the stack's records.
        update: script,
        check: renderScript("bootstrap-check.sh", { APP: args.app, DB_LOCAL: args.database ? 1 : 0 }),
        stdin: args.database ? pulumi.secret(pulumi.interpolate`${args.database.password}\n`) : "",
        triggers: [args.hostId],
        timeoutSeconds: LONG_STEP_TIMEOUT,
      },
      { parent: this },
    );
    this.ready = run.stdout;
    this.registerOutputs({ ready: this.ready });
  }
}
