// When a step fails, the Pulumi engine ends the run and goes away while the
// program may still be waiting on the failed step's outputs. The Node SDK
// then prints pages of noise after (and around) the real error: every
// registration that rejects with "Channel has been shut down" or UNAVAILABLE
// as an unhandled exception with a stack trace, "Error while signaling
// shutdown", and "N promises were still active". None of it says anything
// the engine has not already reported, so it is dropped here: those errors
// are not passed to the SDK's handlers, and when the engine no longer answers
// at exit, the SDK's exit steps are skipped. Every other error goes to the
// SDK unchanged, and a run that ends this way still exits non-zero.
import * as pulumi from "@pulumi/pulumi";

type Handler = (...args: unknown[]) => void;
const events = process as unknown as {
  listeners(event: string): Handler[];
  removeAllListeners(event: string): void;
  on(event: string, handler: Handler): void;
};

function engineGone(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === "string" ? e.message : "";
  return message.includes("Channel has been shut down") || (e?.code === 14 && /UNAVAILABLE/.test(message));
}

/** Resolves false when the engine's resource monitor no longer accepts a connection. */
function engineAnswers(): Promise<boolean> {
  const monitor = pulumi.runtime.getMonitor() as { waitForReady?: (deadline: Date, cb: (err?: Error) => void) => void } | undefined;
  if (!monitor?.waitForReady) return Promise.resolve(true);
  return new Promise((resolve) => monitor.waitForReady!(new Date(Date.now() + 2000), (err) => resolve(!err)));
}

function wrap(event: string, wrapper: (sdkHandlers: Handler[]) => Handler) {
  const sdkHandlers = events.listeners(event);
  events.removeAllListeners(event);
  events.on(event, wrapper(sdkHandlers));
}

for (const event of ["uncaughtException", "unhandledRejection"]) {
  wrap(event, (sdkHandlers) => (err: unknown, ...rest: unknown[]) => {
    if (engineGone(err)) {
      process.exitCode = 1;
      return;
    }
    for (const handler of sdkHandlers) handler(err, ...rest);
  });
}

// At exit the SDK signals the engine and reports leaked promises; first make sure it is there.
let checked: "no" | "checking" | "answers" | "gone" = "no";
wrap("beforeExit", (sdkHandlers) => (code: unknown) => {
  if (checked === "no" && code === 0) {
    checked = "checking";
    void engineAnswers().then((answers) => {
      checked = answers ? "answers" : "gone";
      if (!answers) process.exitCode = 1;
    });
    return;
  }
  if (checked === "checking" || checked === "gone") return;
  for (const handler of sdkHandlers) handler(code);
});

export {};
