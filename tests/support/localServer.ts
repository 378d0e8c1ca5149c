// A helper server the tests run on loopback (Pebble, challtestsrv, moto): started with its output
// kept for the error message, and awaited until it accepts connections.
import { ChildProcess, spawn } from "child_process";
import * as net from "net";

export interface LocalServer {
  child: ChildProcess;
  /** The last 4,000 characters the server printed. */
  log: () => string;
}

export function startLocalServer(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): LocalServer {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return { child, log: () => out.slice(-4000) };
}

/** Resolves once 127.0.0.1:`port` accepts a connection; fails if the server exits or 30 s pass. */
export function waitForPort(port: number, what: string, server: LocalServer): Promise<void> {
  const deadline = Date.now() + 30_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const { exitCode } = server.child;
      if (exitCode !== null) return reject(new Error(`${what} exited (${exitCode}):\n${server.log()}`));
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on ${port}:\n${server.log()}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}
