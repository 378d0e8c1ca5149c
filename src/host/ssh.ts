// Runs one bash script on a host over SSH, pinning the host key. Kept free of
// Pulumi types: the dynamic provider serializes these functions into state.
import { Client, ServerHostKeyAlgorithm } from "ssh2";
import { hostKeyBlob } from "./sshKeys";

export { hostKeyBlob };

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** OpenSSH private key of the deploy user. */
  privateKey: string;
  /** The host's public key, "ssh-ed25519 AAAA…": every connection must present it. */
  hostKey: string;
  /** Connection attempts before giving up: a new host may not answer yet. Default 30. */
  dialAttempts?: number;
}

export interface ScriptResult {
  stdout: string;
  stderr: string;
}

const MAX_CAPTURE = 256 * 1024;
const STDERR_TAIL_LINES = 40;

/**
 * The host key algorithms to offer: only the pinned key's, so a server with several host keys
 * presents that one (offered them all, OpenSSH picks ed25519, and a pinned ECDSA or RSA key
 * would never match). An RSA key signs with SHA-2 on current servers.
 */
export function hostKeyAlgorithms(hostKey: string): string[] {
  const type = hostKey.trim().split(/\s+/)[0];
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}

/** Single-quotes a string for bash. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command line sshd runs: bounded by `timeout` on the host, root via sudo when needed. */
export function remoteCommandLine(script: string, user: string, timeoutSeconds: number): string {
  const sudo = user === "root" ? "" : "sudo -n ";
  const body = `set -euo pipefail\n${script}`;
  return `${sudo}timeout --kill-after=10 ${Math.max(1, Math.floor(timeoutSeconds))} bash -c ${shellQuote(body)}`;
}

function connectOnce(t: SshTarget): Promise<Client> {
  const expected = hostKeyBlob(t.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | undefined;
    client
      .on("ready", () => resolve(client))
      .on("error", (err: Error) => {
        if (presented && !presented.equals(expected)) {
          reject(new Error(`host key mismatch for ${t.host}:${t.port}: it presented a key other than the pinned one`));
        } else reject(err);
      })
      .connect({
        host: t.host,
        port: t.port,
        username: t.user,
        privateKey: t.privateKey,
        readyTimeout: 15000,
        keepaliveInterval: 10000,
        keepaliveCountMax: 6,
        algorithms: { serverHostKey: hostKeyAlgorithms(t.hostKey) as ServerHostKeyAlgorithm[] },
        hostVerifier: (key: Buffer) => {
          presented = key;
          return key.equals(expected);
        },
      });
  });
}

async function connect(t: SshTarget): Promise<Client> {
  const attempts = t.dialAttempts ?? 30;
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await connectOnce(t);
    } catch (err) {
      last = err;
      if (i < attempts) await new Promise((r) => setTimeout(r, 2000));
    }
  }
  throw new Error(
    `cannot reach ${t.user}@${t.host}:${t.port} over SSH after ${attempts} attempts: ${(last as Error)?.message ?? last}`,
  );
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Copies a local file to the host over SFTP (mode 0600: it may be source code that is not public). */
export async function uploadOverSsh(t: SshTarget, localPath: string, remotePath: string): Promise<void> {
  const client = await connect(t);
  try {
    await new Promise<void>((resolve, reject) => {
      client.sftp((err, sftp) => {
        if (err) return reject(err);
        sftp.fastPut(localPath, remotePath, { mode: 0o600 }, (putErr) => {
          sftp.end();
          if (putErr) reject(new Error(`upload of ${localPath} to ${t.host}:${remotePath} failed: ${putErr.message}`));
          else resolve();
        });
      });
    });
  } finally {
    client.end();
  }
}

/** The mark of a progress line on a script's stderr (prelude.sh's `progress`). */
export const PROGRESS_MARK = "::progress:: ";

/**
 * Splits a stream into lines: progress lines go to `onProgress` as they arrive (unmarked);
 * every line, unmarked, to `keep`.
 */
function lineSplitter(keep: (text: string) => void, onProgress?: (line: string) => void) {
  let partial = "";
  const emit = (line: string) => {
    if (line.startsWith(PROGRESS_MARK)) {
      line = line.slice(PROGRESS_MARK.length);
      onProgress?.(line);
    }
    keep(`${line}\n`);
  };
  return {
    push(chunk: string) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) emit(line);
    },
    end() {
      if (partial) emit(partial);
      partial = "";
    },
  };
}

/**
 * Runs `script` with bash strict mode on the host; rejects with the exit code and stderr's tail.
 * `onProgress` gets the script's progress lines while it runs.
 */
export async function runOverSsh(
  t: SshTarget,
  script: string,
  stdin: string,
  timeoutSeconds: number,
  onProgress?: (line: string) => void,
): Promise<ScriptResult> {
  const client = await connect(t);
  try {
    return await new Promise<ScriptResult>((resolve, reject) => {
      client.exec(remoteCommandLine(script, t.user, timeoutSeconds), (err, stream) => {
        if (err) return reject(err);
        let stdout = "";
        let stderr = "";
        stream.on("data", (d: Buffer) => {
          if (stdout.length < MAX_CAPTURE) stdout += d.toString();
        });
        const errLines = lineSplitter((text) => (stderr = (stderr + text).slice(-MAX_CAPTURE)), onProgress);
        stream.stderr.on("data", (d: Buffer) => errLines.push(d.toString()));
        stream.on("close", (code: number | null, signal?: string) => {
          errLines.end();
          if (code === 0) return resolve({ stdout, stderr });
          const why =
            code === 124 ? `timed out after ${timeoutSeconds}s` : signal ? `killed by ${signal}` : `exit code ${code}`;
          const details = tail(stderr || stdout, STDERR_TAIL_LINES);
          const failure = new Error(
            `${firstLine(script)} failed on ${t.host} (${why})${details ? `:\n${details}` : ""}`,
          );
          reject(Object.assign(failure, { exitCode: code, details }));
        });
        stream.end(stdin);
      });
    });
  } finally {
    client.end();
  }
}

// Scripts start with a "# <what it does>" line; it names the step in errors.
function firstLine(script: string): string {
  const line = script.split("\n").find((l) => l.startsWith("# ")) ?? "remote script";
  return line.replace(/^#\s*/, "");
}
