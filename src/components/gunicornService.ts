// GunicornService: the release's gunicorn as its own supervisor program on
// its own unix socket, started beside the running one. Its `socket` output
// exists only after the health check passed on that socket, so whatever
// points traffic at it (NginxSite) cannot move before the release is healthy.
// Any change that defines it differently (a new release, workers, wsgi, the
// health check) starts a new program under a new name; the old one stops
// (gracefully) only after traffic has moved.
import * as pulumi from "@pulumi/pulumi";
import { HealthCheck } from "../config/types";
import {
  GRACEFUL_TIMEOUT,
  hostPaths,
  programStepTimeout,
  REQUEST_TIMEOUT,
  socketPath,
  WEB_STOP_WAIT,
} from "../host/hostFacts";
import { renderTemplate } from "../host/render";
import { serverArgs } from "./appServer";
import { SshTarget } from "../host/ssh";
import { defineProgram, supervisorProgram } from "./supervisorProgram";

export interface GunicornServiceArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  releaseId: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
  /** app.server. */
  server: string;
  /** The application object it serves, "module:callable". */
  application: string;
  workers: number;
  healthCheck: HealthCheck;
  /** Host header of the health check; the app must allow it. */
  checkHost: string;
}

export interface WebProgramInputs {
  app: string;
  releaseId: string;
  releaseDir: string;
  hostId: string;
  server: string;
  application: string;
  workers: number;
  healthCheck: HealthCheck;
  checkHost: string;
}

/** The web program's name, socket and scripts (pure). */
export function defineWebProgram(a: WebProgramInputs) {
  const hc = a.healthCheck;
  const defined = defineProgram({
    app: a.app,
    role: "web",
    releaseId: a.releaseId,
    hostId: a.hostId,
    conf: (program, log) =>
      renderTemplate("supervisor-web.conf", {
        APP: a.app,
        PROGRAM: program,
        RELEASE_ID: a.releaseId,
        RELEASE_DIR: a.releaseDir,
        RELEASE_EXEC: hostPaths(a.app).RELEASE_EXEC,
        SOCKET: socketPath(a.app, program),
        WORKERS: a.workers,
        SERVER_ARGS: serverArgs(a.server, a.application),
        REQUEST_TIMEOUT,
        GRACEFUL_TIMEOUT,
        STOP_WAIT: WEB_STOP_WAIT,
        LOG: log,
      }),
    startTimeout: hc.timeoutSeconds,
    startVars: (program) => ({
      SOCKET: socketPath(a.app, program),
      CHECK_PATH: hc.path,
      CHECK_HOST: a.checkHost,
      EXPECT_STATUS: hc.expectStatus ?? "",
      EXPECT_TEXT: hc.expectText ?? "",
    }),
    socket: (program) => socketPath(a.app, program),
  });
  return { ...defined, socket: socketPath(a.app, defined.program) };
}

export class GunicornService extends pulumi.ComponentResource {
  /** The new program's socket, known only once it answered the health check. */
  public readonly socket: pulumi.Output<string>;
  public readonly program: pulumi.Output<string>;

  constructor(name: string, args: GunicornServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:GunicornService", name, {}, opts);
    const defined = pulumi
      .all([args.releaseId, args.releaseDir, args.hostId])
      .apply(([releaseId, releaseDir, hostId]) => defineWebProgram({ ...args, releaseId, releaseDir, hostId }));
    const web = supervisorProgram(
      `${name}-program`,
      {
        connection: args.connection,
        program: defined,
        timeoutSeconds: programStepTimeout(args.healthCheck.timeoutSeconds, WEB_STOP_WAIT),
      },
      { parent: this },
    );
    this.program = web.program;
    this.socket = pulumi.all([web.program, defined]).apply(([, d]) => d.socket);
    this.registerOutputs({ socket: this.socket, program: this.program });
  }
}
