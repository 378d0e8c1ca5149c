// OpenSSH to the stack's host, for the day-2 commands: the deploy key in a private temporary
// directory, and a known_hosts file holding only the pinned host key, so a server that presents
// any other key is refused ("Host key verification failed"), never trusted on first use.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellQuote } from "../host/ssh";
import type { SshAccess } from "../stack";

export interface SshRun {
  /** The remote command line (already quoted for the remote shell); none: a login shell. */
  command?: string;
  /** A terminal for the remote side: needed by interactive commands (shell, createsuperuser). */
  tty: boolean;
  /** Data for the remote command's stdin; default, this process's stdin. */
  input?: string;
  /** Keep the remote command's stdout (returned) instead of printing it. */
  capture?: boolean;
}

/** The known_hosts line that pins the host key (OpenSSH writes a non-22 port as [host]:port). */
export function knownHostsLine(ssh: SshAccess): string {
  const host = ssh.port === 22 ? ssh.host : `[${ssh.host}]:${ssh.port}`;
  const [type, blob] = ssh.hostKey.trim().split(/\s+/);
  return `${host} ${type} ${blob}\n`;
}

/** ssh's arguments, given the files it reads. */
export function sshArgs(ssh: SshAccess, files: { key: string; knownHosts: string }, run: SshRun): string[] {
  return [
    "-i",
    files.key,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${files.knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `HostKeyAlgorithms=${ssh.hostKey.trim().split(/\s+/)[0]}`,
    "-o",
    "BatchMode=yes",
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(ssh.port),
    ...(run.tty ? ["-t"] : ["-T"]),
    `${ssh.user}@${ssh.host}`,
    ...(run.command ? [run.command] : []),
  ];
}

/** A remote command line that runs `script` as root (sudo for another login) with ARGS as $1…. */
export function rootScript(ssh: SshAccess, script: string, args: string[] = []): string {
  // Progress lines (prelude.sh) are for pulumi up's output; here they are plain lines.
  const body = `exec 2> >(sed -u 's/^::progress:: //' >&2)\n${script}`;
  const sudo = ssh.user === "root" ? "" : "sudo -n ";
  return `${sudo}bash -c ${shellQuote(body)} ops ${args.map(shellQuote).join(" ")}`.trimEnd();
}

/** Runs ssh with the pinned key and the deploy key; resolves with its exit code (and stdout, if captured). */
export async function runSsh(
  ssh: SshAccess,
  privateKey: string,
  run: SshRun,
): Promise<{ code: number; stdout: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-ssh-"));
  const files = { key: path.join(dir, "key"), knownHosts: path.join(dir, "known_hosts") };
  try {
    fs.writeFileSync(files.key, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    fs.writeFileSync(files.knownHosts, knownHostsLine(ssh), { mode: 0o600 });
    const child = spawn("ssh", sshArgs(ssh, files, run), {
      stdio: [run.input === undefined ? "inherit" : "pipe", run.capture ? "pipe" : "inherit", "inherit"],
    });
    if (run.input !== undefined) child.stdin?.end(run.input);
    let stdout = "";
    child.stdout?.on("data", (d) => (stdout += d));
    // Ctrl-C and a kill go to ssh too (it ends the remote command), then the key is removed.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward).on("SIGHUP", forward);
    return await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
      child.on("error", (err) =>
        reject((err as NodeJS.ErrnoException).code === "ENOENT" ? new Error("ssh (OpenSSH) is not installed") : err),
      );
      child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 130 : 1), stdout }));
    }).finally(() => process.off("SIGINT", forward).off("SIGTERM", forward).off("SIGHUP", forward));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
