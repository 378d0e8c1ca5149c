// Backups: scheduled pg_dump archives of the local database, kept on the host, and the programs
// `npm run ops -- backup now | restore` run (templates/backup.sh, restore.sh).
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "../host/hostCommand";
import { renderScript } from "../host/render";
import { SshTarget } from "../host/ssh";
import { DEFAULT_MAINTENANCE_PAGE } from "../ops/maintenancePage";

export interface BackupsArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  /** The database's name. */
  database: pulumi.Input<string>;
  /** A cron schedule, or "off". */
  schedule: string;
  /** Archives kept. */
  keep: number;
}

/** The install script (pure). */
export function backupInstallScript(a: { app: string; database: string; schedule: string; keep: number }): string {
  return renderScript("backup-install.sh", {
    APP: a.app,
    BACKUP: renderScript("backup.sh", { APP: a.app, DATABASE: a.database, KEEP: a.keep }),
    RESTORE: renderScript("restore.sh", { APP: a.app, DATABASE: a.database, DEFAULT_PAGE: DEFAULT_MAINTENANCE_PAGE }),
    SCHEDULE: a.schedule,
  });
}

export class Backups extends pulumi.ComponentResource {
  constructor(name: string, args: BackupsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:db:Backups", name, {}, opts);
    const install = pulumi
      .output(args.database)
      .apply((database) => backupInstallScript({ app: args.app, database, schedule: args.schedule, keep: args.keep }));
    new HostCommand(
      `${name}-schedule`,
      {
        connection: args.connection,
        create: install,
        update: install,
        delete: renderScript("backup-remove.sh", { APP: args.app }),
        triggers: [args.hostId],
      },
      // Its files have fixed paths: on a replacement the old one's removal must come first.
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({});
  }
}
