// SupervisorProgram: the HostCommand behind every supervisor program of a
// release (gunicorn, a job). Its name is derived from everything that defines
// it — app, role, release and a digest of its start script (rendered config,
// checks) and host — and that name is its only replacement trigger. So a
// change that replaces the program always starts one with a new name beside
// the old, and the old one's delete can never stop the new one.
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "../host/hostCommand";
import { programLog, programName } from "../host/hostFacts";
import { programVariant } from "../source/releaseId";
import { renderScript } from "../host/render";
import { SshTarget } from "../host/ssh";

export interface ProgramDefinition {
  app: string;
  /** "web" or the job's name. */
  role: string;
  /** The release the program runs; none for the site program. */
  releaseId?: string;
  /** A directory of the program's own files, removed with it. */
  dir?: (program: string) => string;
  hostId: string;
  /** The program's supervisor config, given its name and log file. */
  conf: (program: string, log: string) => string;
  /** Seconds a new program has to become healthy. */
  startTimeout: number;
  /** More inputs of program-start.sh (an HTTP check, files of its own, exclusivity), given its name. */
  startVars?: (program: string) => Record<string, string | number>;
  /** The socket `pulumi refresh` checks, given its name. Default: none. */
  socket?: (program: string) => string;
}

/** The start script (program-start.sh) of a program, given its name. */
function startScript(d: ProgramDefinition, program: string): string {
  const log = programLog(d.app, program);
  return renderScript("program-start.sh", {
    APP: d.app,
    PROGRAM: program,
    CONF: d.conf(program, log),
    LOG: log,
    TIMEOUT: d.startTimeout,
    ...d.startVars?.(program),
  });
}

/** The program's name and scripts, from its definition alone (pure, unit-tested). */
export function defineProgram(d: ProgramDefinition) {
  const placeholder = programName(d.app, d.role, d.releaseId, "00000000");
  const variant = programVariant(`${startScript(d, placeholder)}\0${d.hostId}`);
  const program = programName(d.app, d.role, d.releaseId, variant);
  return {
    program,
    hostId: d.hostId,
    start: startScript(d, program),
    check: renderScript("program-check.sh", { APP: d.app, PROGRAM: program, SOCKET: d.socket?.(program) ?? "" }),
    stop: renderScript("program-stop.sh", { APP: d.app, PROGRAM: program, DIR: d.dir?.(program) ?? "" }),
  };
}

export type DefinedProgram = ReturnType<typeof defineProgram>;

export interface SupervisorProgramArgs {
  connection: pulumi.Input<SshTarget>;
  /** defineProgram's result. */
  program: pulumi.Output<DefinedProgram>;
  /** Seconds the start script may run (its health check included). */
  timeoutSeconds: number;
}

/** The HostCommand inputs of a defined program (pure: the tests diff them). */
export function programCommand(p: DefinedProgram, timeoutSeconds: number) {
  return {
    create: p.start,
    // Nothing that defines the program changes in place (that is a new
    // name); an update only repairs: start it again if it stopped.
    update: p.start,
    delete: p.stop,
    check: p.check,
    triggers: [p.program, p.hostId],
    timeoutSeconds,
  };
}

export function supervisorProgram(name: string, args: SupervisorProgramArgs, opts: pulumi.CustomResourceOptions) {
  const c = args.program.apply((p) => programCommand(p, args.timeoutSeconds));
  const command = new HostCommand(
    name,
    {
      connection: args.connection,
      create: c.create,
      update: c.update,
      delete: c.delete,
      check: c.check,
      triggers: c.triggers,
      timeoutSeconds: c.timeoutSeconds,
    },
    opts,
  );
  return { command, program: pulumi.all([command.id, args.program]).apply(([, p]) => p.program) };
}
