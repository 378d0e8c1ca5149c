// What the day-2 commands know of a deployed stack: the SSH login and the app's names from the
// stack's outputs, and the deploy key from its config (a secret: read when needed, never stored).
import { execFileSync } from "child_process";
import type { SshAccess } from "../stack";

export interface StackSelection {
  /** `--stack`: default, the selected stack. */
  stack?: string;
  /** `--config-file`: default, Pulumi.<stack>.yaml. */
  configFile?: string;
}

export interface StackInfo {
  ssh: SshAccess;
  app: { name: string; database: { name: string; local: boolean } };
  privateKey: string;
}

/** The options selecting the stack (and its config file), for any `pulumi` command. */
export function stackArgs(s: StackSelection, withConfig: boolean): string[] {
  return [
    ...(s.stack ? ["--stack", s.stack] : []),
    ...(withConfig && s.configFile ? ["--config-file", s.configFile] : []),
  ];
}

function pulumi(args: string[]): string {
  try {
    return execFileSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: string };
    if (e.code === "ENOENT")
      throw new Error("pulumi is not on PATH (see the README's Install section)", { cause: err });
    throw new Error(`pulumi ${args[0]} ${args[1] ?? ""} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

export function readStack(s: StackSelection): StackInfo {
  const outputs = JSON.parse(pulumi(["stack", "output", "--json", ...stackArgs(s, false)])) as Partial<StackInfo>;
  if (!outputs.ssh || !outputs.app) {
    throw new Error("the stack has no ssh/app outputs: it was last deployed by an older version; run pulumi up once");
  }
  const privateKey = pulumi(["config", "get", "sshPrivateKey", ...stackArgs(s, true)]);
  return { ssh: outputs.ssh, app: outputs.app, privateKey };
}
