// Worker: a background job (like the seed's `sendalerts`) as one supervisor
// program per release and definition. The new one starts after traffic has
// switched and the old one stops after that; a singleton job stops the old
// one first, so two never run at once.
import * as pulumi from "@pulumi/pulumi";
import { Job } from "../config/types";
import { JOB_START_TIMEOUT, JOB_STOP_WAIT, programPattern, programStepTimeout, hostPaths } from "../host/hostFacts";
import { renderTemplate } from "../host/render";
import { SshTarget } from "../host/ssh";
import { defineProgram, supervisorProgram } from "./supervisorProgram";

export interface WorkerArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  job: Job;
  releaseId: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
}

/** The job program's name and scripts (pure). */
export function defineJobProgram(a: { app: string; job: Job; releaseId: string; releaseDir: string; hostId: string }) {
  return defineProgram({
    app: a.app,
    role: a.job.name,
    releaseId: a.releaseId,
    hostId: a.hostId,
    conf: (program, log) =>
      renderTemplate("supervisor-job.conf", {
        APP: a.app,
        JOB: a.job.name,
        PROGRAM: program,
        RELEASE_ID: a.releaseId,
        RELEASE_DIR: a.releaseDir,
        RELEASE_EXEC: hostPaths(a.app).RELEASE_EXEC,
        COMMAND: a.job.command,
        STOP_WAIT: JOB_STOP_WAIT,
        LOG: log,
      }),
    startTimeout: JOB_START_TIMEOUT,
    startVars: () => ({ EXCLUSIVE: a.job.singleton ? programPattern(a.app, a.job.name) : "" }),
  });
}

export class Worker extends pulumi.ComponentResource {
  public readonly program: pulumi.Output<string>;

  constructor(name: string, args: WorkerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:Worker", name, {}, opts);
    const defined = pulumi
      .all([args.releaseId, args.releaseDir, args.hostId])
      .apply(([releaseId, releaseDir, hostId]) =>
        defineJobProgram({ app: args.app, job: args.job, releaseId, releaseDir, hostId }),
      );
    const job = supervisorProgram(
      `${name}-program`,
      {
        connection: args.connection,
        program: defined,
        timeoutSeconds: programStepTimeout(JOB_START_TIMEOUT, JOB_STOP_WAIT),
      },
      { parent: this, deleteBeforeReplace: args.job.singleton },
    );
    this.program = job.program;
    this.registerOutputs({ program: this.program });
  }
}
