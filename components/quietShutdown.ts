// When a step fails, the Pulumi engine ends the run and closes its channel
// while the program may still be registering resources that waited on the
// failed one. Each of those registrations then rejects with "Channel has
// been shut down" (or UNAVAILABLE), and the SDK prints every one as an
// unhandled exception with a stack trace — pages of noise after, and often
// before, the real error. These errors carry no information (the engine has
// already reported the failed step), so they are dropped here; every other
// error goes to the SDK's handlers unchanged. The process still exits
// non-zero, so nothing can take the run for a success.

function engineGone(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const message = typeof e?.message === "string" ? e.message : "";
  return message.includes("Channel has been shut down") || (e?.code === 14 && /UNAVAILABLE/.test(message));
}

type Handler = (...args: unknown[]) => void;
const events = process as unknown as {
  listeners(event: string): Handler[];
  removeAllListeners(event: string): void;
  on(event: string, handler: Handler): void;
};

for (const event of ["uncaughtException", "unhandledRejection"]) {
  const sdkHandlers = events.listeners(event);
  events.removeAllListeners(event);
  events.on(event, (err: unknown, ...rest: unknown[]) => {
    if (engineGone(err)) {
      process.exitCode = 1;
      return;
    }
    for (const handler of sdkHandlers) handler(err, ...rest);
  });
}

export {};
