// Worker: a background job (like the seed's `sendalerts`) as one supervisor
// program per release. The new one starts after traffic has switched and the
// old one stops after that; a singleton job stops the old one first, so two
// never run at once.
import * as pulumi from "@pulumi/pulumi";
import { Job } from "./config-types";
import { HostCommand } from "./hostCommand";
import { appRoot, programLog, programName } from "./paths";
import { renderScript, renderTemplate } from "./render";
import { SshTarget } from "./ssh";

export interface WorkerArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  job: Job;
  releaseId: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
}

export function renderJobProgram(a: { app: string; job: Job; releaseId: string; releaseDir: string }) {
  const program = programName(a.app, a.job.name, a.releaseId);
  const conf = renderTemplate("supervisor-job.conf", {
    APP: a.app,
    JOB: a.job.name,
    PROGRAM: program,
    RELEASE_ID: a.releaseId,
    RELEASE_DIR: a.releaseDir,
    ROOT: appRoot(a.app),
    COMMAND: a.job.command,
    LOG: programLog(a.app, program),
  });
  return { program, conf };
}

export class Worker extends pulumi.ComponentResource {
  public readonly program: pulumi.Output<string>;

  constructor(name: string, args: WorkerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:Worker", name, {}, opts);
    const rendered = pulumi.all([args.releaseId, args.releaseDir]).apply(([releaseId, releaseDir]) =>
      renderJobProgram({ app: args.app, job: args.job, releaseId, releaseDir }),
    );
    const cmd = new HostCommand(
      `${name}-program`,
      {
        connection: args.connection,
        create: rendered.apply((r) =>
          renderScript("program-start.sh", { PROGRAM: r.program, CONF: r.conf, LOG: programLog(args.app, r.program), TIMEOUT: 20 }),
        ),
        delete: rendered.apply((r) => renderScript("program-stop.sh", { PROGRAM: r.program })),
        triggers: [rendered.apply((r) => r.conf), args.hostId],
        timeoutSeconds: 120,
      },
      { parent: this, deleteBeforeReplace: args.job.singleton },
    );
    this.program = pulumi.all([cmd.id, rendered]).apply(([, r]) => r.program);
    this.registerOutputs({ program: this.program });
  }
}
