// The second phase of migrate: the migrations named in app.migrations.afterSwitch (and those
// depending on them), applied once the new release serves and every older web and job
// program has stopped (templates/migrate-after-switch.sh). Replaced with each release.
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "../host/hostCommand";
import { LONG_STEP_TIMEOUT, releaseProgramPattern } from "../host/hostFacts";
import { readTemplate, renderScript } from "../host/render";
import { SshTarget } from "../host/ssh";

export interface MigrateAfterSwitchArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  releaseId: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
  /** The new release's web and job programs: every other one of the app is older. */
  live: pulumi.Input<string[]>;
  afterSwitch: string[];
}

export function migrateAfterSwitch(
  name: string,
  args: MigrateAfterSwitchArgs,
  opts: pulumi.CustomResourceOptions,
): HostCommand {
  return new HostCommand(
    name,
    {
      connection: args.connection,
      create: pulumi.all([args.releaseDir, args.live]).apply(([dir, live]) =>
        renderScript("migrate-after-switch.sh", {
          APP: args.app,
          RELEASE_DIR: dir,
          LIVE: live.join(" "),
          OLDER: releaseProgramPattern(args.app),
          MIGRATE_PY: readTemplate("migrate.py"),
          AFTER_SWITCH: args.afterSwitch.join(" "),
        }),
      ),
      triggers: [args.releaseId, args.hostId],
      timeoutSeconds: LONG_STEP_TIMEOUT,
    },
    opts,
  );
}
