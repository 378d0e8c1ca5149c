// The day-2 CLI (src/ops/cli.ts) as a user runs it, against a test stack: `npm run ops -- …` with
// the stack's name and config file, in the environment the tests' pulumi runs in.
import { ChildProcess, execFile, spawn } from "child_process";
import * as path from "path";
import { pulumiEnv, REPO } from "./pulumiEnv";
import { CliResult, SandboxStack } from "./sandboxStack";

const CLI = path.join(REPO, "src/ops/cli.ts");
const TSX = path.join(REPO, "node_modules/.bin/tsx");

function argv(stack: SandboxStack, args: string[]): string[] {
  return [CLI, "--stack", stack.name, "--config-file", stack.configFile, ...args];
}

/** Runs one command to its end; never throws on a non-zero exit. */
export function ops(stack: SandboxStack, args: string[], input = ""): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      TSX,
      argv(stack, args),
      { cwd: REPO, env: pulumiEnv(), maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === "number" ? err.code : 1) : 0,
          stdout,
          stderr,
          seconds: (Date.now() - started) / 1000,
        }),
    );
    child.stdin?.end(input);
  });
}

/** Starts a long-running command (logs -f) in a process group of its own; output accumulates. */
export function startOps(stack: SandboxStack, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(TSX, argv(stack, args), {
    cwd: REPO,
    env: pulumiEnv(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return { child, output: () => out };
}
