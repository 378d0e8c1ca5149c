// Backups: scheduled pg_dump archives of the local database, kept on the host and, with
// database.backupCopy, copied to S3-compatible storage (rclone); and the programs
// `npm run ops -- backup now | restore` run (templates/backup.sh, restore.sh).
import * as pulumi from "@pulumi/pulumi";
import { BackupCopy } from "../config/types";
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
  /** Where each archive is copied, if anywhere; its access key's secret goes on stdin. */
  copy?: BackupCopy;
  copySecretKey?: pulumi.Input<string>;
}

/** The copy's destination as rclone names it: "copy:" + bucket and prefix, no trailing "/". */
export function copyDestination(copy: BackupCopy): string {
  return `copy:${copy.url.replace(/^s3:\/\//, "").replace(/\/+$/, "")}`;
}

/** The install script (pure). */
export function backupInstallScript(a: {
  app: string;
  database: string;
  schedule: string;
  keep: number;
  copy?: BackupCopy;
}): string {
  return renderScript("backup-install.sh", {
    APP: a.app,
    BACKUP: renderScript("backup.sh", {
      APP: a.app,
      DATABASE: a.database,
      KEEP: a.keep,
      COPY_TO: a.copy ? copyDestination(a.copy) : "",
      COPY_URL: a.copy?.url ?? "",
    }),
    RESTORE: renderScript("restore.sh", { APP: a.app, DATABASE: a.database, DEFAULT_PAGE: DEFAULT_MAINTENANCE_PAGE }),
    SCHEDULE: a.schedule,
    COPY_ENDPOINT: a.copy?.endpoint ?? "",
    COPY_REGION: a.copy?.region ?? "",
    COPY_KEY_ID: a.copy?.accessKeyId ?? "",
    COPY_TO: a.copy ? copyDestination(a.copy) : "",
    COPY_URL: a.copy?.url ?? "",
  });
}

export class Backups extends pulumi.ComponentResource {
  constructor(name: string, args: BackupsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:db:Backups", name, {}, opts);
    const install = pulumi
      .output(args.database)
      .apply((database) =>
        backupInstallScript({ app: args.app, database, schedule: args.schedule, keep: args.keep, copy: args.copy }),
      );
    new HostCommand(
      `${name}-schedule`,
      {
        connection: args.connection,
        create: install,
        update: install,
        delete: renderScript("backup-remove.sh", { APP: args.app }),
        // The copy's access key secret: on stdin, like every secret.
        stdin: args.copy ? pulumi.secret(args.copySecretKey ?? "") : undefined,
        triggers: [args.hostId],
      },
      // Its files have fixed paths: on a replacement the old one's removal must come first.
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({});
  }
}
