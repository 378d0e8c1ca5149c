// GunicornService: the release's gunicorn as its own supervisor program on
// its own unix socket, started beside the running one. Its `socket` output
// exists only after the health check passed on that socket, so whatever
// points traffic at it (NginxSite) cannot move before the release is healthy.
// A new release replaces it create-before-delete: the old program stops
// (gracefully) only after traffic has moved.
import * as pulumi from "@pulumi/pulumi";
import { HealthCheck } from "./config-types";
import { HostCommand } from "./hostCommand";
import { appRoot, programLog, programName, socketPath } from "./paths";
import { renderScript, renderTemplate } from "./render";
import { SshTarget } from "./ssh";

// gunicorn finishes requests in flight for this long after TERM; supervisor
// must wait longer before it kills.
const GRACEFUL_TIMEOUT = 30;

export interface GunicornServiceArgs {
  connection: pulumi.Input<SshTarget>;
  hostId: pulumi.Input<string>;
  app: string;
  releaseId: pulumi.Input<string>;
  releaseDir: pulumi.Input<string>;
  wsgi: string;
  workers: number;
  healthCheck: HealthCheck;
  /** Host header of the health check; the app must allow it. */
  checkHost: string;
}

export function renderWebProgram(a: { app: string; releaseId: string; releaseDir: string; wsgi: string; workers: number }) {
  const program = programName(a.app, "web", a.releaseId);
  const conf = renderTemplate("supervisor-web.conf", {
    APP: a.app,
    PROGRAM: program,
    RELEASE_ID: a.releaseId,
    RELEASE_DIR: a.releaseDir,
    ROOT: appRoot(a.app),
    SOCKET: socketPath(a.app, a.releaseId),
    WORKERS: a.workers,
    WSGI: a.wsgi,
    GRACEFUL_TIMEOUT,
    STOP_WAIT: GRACEFUL_TIMEOUT + 10,
    LOG: programLog(a.app, program),
  });
  return { program, conf };
}

export class GunicornService extends pulumi.ComponentResource {
  /** The new release's socket, known only once it answered the health check. */
  public readonly socket: pulumi.Output<string>;
  public readonly program: pulumi.Output<string>;

  constructor(name: string, args: GunicornServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:GunicornService", name, {}, opts);
    const rendered = pulumi.all([args.releaseId, args.releaseDir]).apply(([releaseId, releaseDir]) =>
      renderWebProgram({ app: args.app, releaseId, releaseDir, wsgi: args.wsgi, workers: args.workers }),
    );
    const hc = args.healthCheck;
    const web = new HostCommand(
      `${name}-program`,
      {
        connection: args.connection,
        create: pulumi.all([rendered, args.releaseId]).apply(([r, releaseId]) =>
          renderScript("program-start.sh", {
            PROGRAM: r.program,
            CONF: r.conf,
            LOG: programLog(args.app, r.program),
            TIMEOUT: hc.timeoutSeconds,
            SOCKET: socketPath(args.app, releaseId),
            CHECK_PATH: hc.path,
            CHECK_HOST: args.checkHost,
            EXPECT_STATUS: hc.expectStatus,
            EXPECT_TEXT: hc.expectText ?? "",
          }),
        ),
        delete: rendered.apply((r) => renderScript("program-stop.sh", { PROGRAM: r.program })),
        // A new release or any change of the program means a new process beside the old.
        triggers: [rendered.apply((r) => r.conf), args.hostId],
        timeoutSeconds: hc.timeoutSeconds + 120,
      },
      { parent: this },
    );
    this.program = pulumi.all([web.id, rendered]).apply(([, r]) => r.program);
    this.socket = pulumi.all([web.id, args.releaseId]).apply(([, releaseId]) => socketPath(args.app, releaseId));
    this.registerOutputs({ socket: this.socket, program: this.program });
  }
}
