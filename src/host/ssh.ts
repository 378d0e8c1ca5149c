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

// Between the steps of one `pulumi up` (one provider process runs them all), a step takes an
// idle connection to its host when there is one instead of opening another: ~0.1 s saved per
// step on loopback, a few network round trips on a real host. One step per connection at a
// time; an idle one closes after IDLE_MS. Kept on globalThis: the provider's functions are
// serialized into Pulumi's state, and a module variable would be copied into each of them.
const IDLE_MS = 10_000;

interface Pooled {
  client: Client;
  /** Set once the connection closed or failed: never handed out again. */
  dead: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

function idleConnections(): Map<string, Pooled[]> {
  const g = globalThis as typeof globalThis & { djangozdIdleSsh?: Map<string, Pooled[]> };
  return (g.djangozdIdleSsh ??= new Map());
}

/** The idle connections of one pool key: a list kept in the map and changed in place. */
function idleList(key: string): Pooled[] {
  const pool = idleConnections();
  const list = pool.get(key) ?? [];
  pool.set(key, list);
  return list;
}

/** Closes every idle connection now (a process done with the hosts need not wait for IDLE_MS). */
export function closeIdleConnections(): void {
  for (const pooled of [...idleConnections().values()].flat()) {
    pooled.dead = true;
    if (pooled.timer) clearTimeout(pooled.timer);
    pooled.client.end();
  }
  idleConnections().clear();
}

/** Connections are shared only between steps with the same login, key and pinned host key (in memory only). */
function poolKey(t: SshTarget): string {
  return JSON.stringify([t.user, t.host, t.port, t.hostKey, t.privateKey]);
}

async function openPooled(t: SshTarget): Promise<Pooled> {
  const pooled: Pooled = { client: await connect(t), dead: false };
  const die = () => {
    pooled.dead = true;
    if (pooled.timer) clearTimeout(pooled.timer);
  };
  pooled.client.on("close", die).on("error", die);
  return pooled;
}

/** A failure before anything was sent to the host to run: safe to try again on a fresh connection. */
class NotStarted extends Error {}

/**
 * Why a channel (exec, SFTP) did not start. Only a refused channel (the server's open failure,
 * which carries a reason code) or a connection ssh2 already knows is gone (it throws before
 * sending) means nothing ran; "Unable to exec" can come after the server started the command.
 */
function channelFailure(what: string, err: unknown): Error {
  const e = err as Error & { reason?: unknown };
  const message = `${what}: ${e?.message ?? e}`;
  return e?.reason !== undefined ? new NotStarted(message) : new Error(message);
}

/** Opens a channel with `open`: a synchronous throw (ssh2's "Not connected") is a NotStarted rejection. */
function openChannel(what: string, open: () => void, reject: (err: Error) => void) {
  try {
    open();
  } catch (err) {
    reject(new NotStarted(`${what}: ${(err as Error).message}`));
  }
}

/**
 * Runs `use` on a connection to the host: with `reuse`, an idle one when there is one (a stale
 * one whose channel was refused or that ssh2 knows is gone is replaced: nothing ran on it),
 * given back afterwards unless the connection failed; otherwise a new one, closed afterwards.
 */
async function withConnection<T>(t: SshTarget, reuse: boolean, use: (client: Client) => Promise<T>): Promise<T> {
  if (!reuse) {
    const client = await connect(t);
    try {
      return await use(client);
    } finally {
      client.end();
    }
  }
  const key = poolKey(t);
  const idle = idleList(key);
  let pooled: Pooled | undefined;
  while (!pooled && idle.length > 0) {
    const candidate = idle.pop()!;
    if (candidate.timer) clearTimeout(candidate.timer);
    if (!candidate.dead) pooled = candidate;
  }
  const reused = pooled !== undefined;
  pooled ??= await openPooled(t);
  let keep = false;
  try {
    const result = await use(pooled.client);
    keep = true;
    return result;
  } catch (err) {
    if (err instanceof NotStarted && reused) {
      pooled.client.end();
      return withConnection(t, reuse, use);
    }
    // A script that failed leaves a working connection.
    keep = (err as { exitCode?: unknown }).exitCode !== undefined;
    throw err instanceof NotStarted ? new Error(err.message) : err;
  } finally {
    if (keep && !pooled.dead) {
      const p = pooled;
      // Out of the pool before it closes: never handed out while closing.
      p.timer = setTimeout(() => {
        p.dead = true;
        const list = idleList(key);
        if (list.includes(p)) list.splice(list.indexOf(p), 1);
        p.client.end();
      }, IDLE_MS);
      p.timer.unref();
      idleList(key).push(p);
    } else if (!keep) pooled.client.end();
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Copies a local file to the host over SFTP (mode 0600: it may be source code that is not public).
 * `reuse`: on an idle connection to the host when there is one (see withConnection).
 */
export async function uploadOverSsh(t: SshTarget, localPath: string, remotePath: string, reuse = false): Promise<void> {
  await withConnection(
    t,
    reuse,
    (client) =>
      new Promise<void>((resolve, reject) => {
        const what = `upload to ${t.host} could not start`;
        openChannel(
          what,
          () =>
            client.sftp((err, sftp) => {
              if (err) return reject(channelFailure(what, err));
              sftp.fastPut(localPath, remotePath, { mode: 0o600 }, (putErr) => {
                sftp.end();
                if (putErr)
                  reject(new Error(`upload of ${localPath} to ${t.host}:${remotePath} failed: ${putErr.message}`));
                else resolve();
              });
            }),
          reject,
        );
      }),
  );
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

export interface RunOptions {
  /** Gets the script's progress lines while it runs. */
  onProgress?: (line: string) => void;
  /** On an idle connection to the host when there is one (see withConnection). */
  reuse?: boolean;
}

/** Runs `script` with bash strict mode on the host; rejects with the exit code and stderr's tail. */
export async function runOverSsh(
  t: SshTarget,
  script: string,
  stdin: string,
  timeoutSeconds: number,
  { onProgress, reuse = false }: RunOptions = {},
): Promise<ScriptResult> {
  return withConnection(
    t,
    reuse,
    (client) =>
      new Promise<ScriptResult>((resolve, reject) => {
        const what = `${firstLine(script)} could not start on ${t.host}`;
        openChannel(
          what,
          () =>
            client.exec(remoteCommandLine(script, t.user, timeoutSeconds), (err, stream) => {
              if (err) return reject(channelFailure(what, err));
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
                  code === 124
                    ? `timed out after ${timeoutSeconds}s`
                    : signal
                      ? `killed by ${signal}`
                      : `exit code ${code}`;
                const details = tail(stderr || stdout, STDERR_TAIL_LINES);
                const failure = new Error(
                  `${firstLine(script)} failed on ${t.host} (${why})${details ? `:\n${details}` : ""}`,
                );
                reject(Object.assign(failure, { exitCode: code, details }));
              });
              stream.end(stdin);
            }),
          reject,
        );
      }),
  );
}

// Scripts start with a "# <what it does>" line; it names the step in errors.
function firstLine(script: string): string {
  const line = script.split("\n").find((l) => l.startsWith("# ")) ?? "remote script";
  return line.replace(/^#\s*/, "");
}
