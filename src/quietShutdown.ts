// When a step fails, the Pulumi engine ends the run and goes away while the
// program may still be waiting on the failed step's outputs. The Node SDK
// then prints pages of noise after (and around) the real error: every
// registration that rejects with "Channel has been shut down" or UNAVAILABLE
// as an unhandled exception with a stack trace, "Error while signaling
// shutdown", and "N promises were still active". None of it says anything
// the engine has not already reported, so it is dropped here:
//  - those errors are not passed to the SDK's handlers (every other error is);
//  - at exit, the program tells the engine it is done as the SDK would, and
//    when the engine is gone, exits non-zero quietly instead of printing.
// A run that ends this way still exits non-zero, so nothing takes it for a success.
import * as pulumi from "@pulumi/pulumi";

type Handler = (...args: unknown[]) => void;
const events = process as unknown as {
  listeners(event: string): Handler[];
  removeAllListeners(event: string): void;
  on(event: string, handler: Handler): void;
};

const GRPC_UNIMPLEMENTED = 12;
const GRPC_UNAVAILABLE = 14;

function engineGone(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === "string" ? e.message : "";
  return message.includes("Channel has been shut down") || e?.code === GRPC_UNAVAILABLE;
}

let otherErrors = false;
for (const event of ["uncaughtException", "unhandledRejection"]) {
  const sdkHandlers = events.listeners(event);
  events.removeAllListeners(event);
  events.on(event, (err: unknown, ...rest: unknown[]) => {
    if (engineGone(err)) {
      process.exitCode = 1;
      return;
    }
    otherErrors = true;
    for (const handler of sdkHandlers) handler(err, ...rest);
  });
}

// The SDK's exit step: once the program has nothing left to do, tell the engine it may finish
// (and run delete hooks). Only after a clean run, as the SDK does: a program that failed must
// never let the engine take its missing registrations for deletions.
const sdkBeforeExit = events.listeners("beforeExit");
events.removeAllListeners("beforeExit");
let signaled = false;
events.on("beforeExit", (code: unknown) => {
  if (signaled || otherErrors || code !== 0) {
    if (otherErrors) for (const handler of sdkBeforeExit) handler(code);
    return;
  }
  signaled = true;
  const monitor = pulumi.runtime.getMonitor() as
    { signalAndWaitForShutdown?: (req: unknown, cb: (err: { code?: number } | null) => void) => void } | undefined;
  if (!monitor?.signalAndWaitForShutdown) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Empty } = require("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
  monitor.signalAndWaitForShutdown(new Empty(), (err) => {
    if (err && err.code !== GRPC_UNIMPLEMENTED) process.exitCode = 1; // the engine already said why
  });
});

export {};
