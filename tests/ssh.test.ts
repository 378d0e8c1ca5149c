// The SSH client against a real SSH server (ssh2's) that, like OpenSSH, has host keys of several
// types: the deploy connects when any one of them is pinned, and never to a key not pinned.
import { AddressInfo } from "net";
import { Server } from "ssh2";
import { sshKeyPair } from "./support/sshKeyPair";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeIdleConnections, runOverSsh } from "../src/host/ssh";

const keys = {
  ed25519: sshKeyPair("ed25519"),
  ecdsa: sshKeyPair("ecdsa", { bits: 256 }),
  rsa: sshKeyPair("rsa", { bits: 2048 }),
};
const client = sshKeyPair("ed25519");
let server: Server;
let port: number;
// What the server saw: connections made, and whether the next connection's second session is refused
// (a connection that is up but can no longer run anything).
let connections = 0;
let execs = 0;
let refuseSecondSession = false;

beforeAll(async () => {
  server = new Server({ hostKeys: [keys.ed25519.private, keys.ecdsa.private, keys.rsa.private] }, (conn) => {
    connections++;
    const refuse = refuseSecondSession;
    refuseSecondSession = false;
    let sessions = 0;
    conn
      .on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"])))
      .on("ready", () =>
        conn.on("session", (accept, reject) => {
          if (refuse && ++sessions > 1) return reject();
          accept().on("exec", (acceptExec, rejectExec, info) => {
            execs++;
            // Refused once the server has the command: it may have run, so the client must not retry.
            if (info.command.includes("refuse-exec")) return rejectExec();
            const stream = acceptExec();
            if (info.command.includes("slow-test")) {
              setTimeout(() => {
                stream.exit(0);
                stream.end();
              }, 200);
              return;
            }
            if (info.command.includes("progress-test")) {
              // Progress lines split across writes, among other stderr output; then a failure.
              stream.stderr.write("::progress:: building v");
              stream.stderr.write("env\npip says hello\n::progress:: manage.py migrate\n");
              setTimeout(() => {
                stream.stderr.write("boom\n");
                stream.exit(1);
                stream.end();
              }, 50);
              return;
            }
            stream.write("connected\n");
            stream.exit(0);
            stream.end();
          });
        }),
      )
      .on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const target = (hostKey: string) => ({
  host: "127.0.0.1",
  port,
  user: "root",
  privateKey: client.private,
  hostKey,
  dialAttempts: 1,
});

describe("host keys of every type the config accepts", () => {
  for (const type of ["ed25519", "ecdsa", "rsa"] as const) {
    it(`connects when the ${type} key is pinned`, async () => {
      const r = await runOverSsh(target(keys[type].public), "true", "", 10);
      expect(r.stdout).toBe("connected\n");
    });
  }

  it("refuses a key that is not the pinned one", async () => {
    const other = sshKeyPair("ecdsa", { bits: 256 }).public;
    await expect(runOverSsh(target(other), "true", "", 10)).rejects.toThrow(/host key mismatch/);
  });
});

describe("progress lines", () => {
  it("reach onProgress as they come, unmarked, and stay in a failure's output without the mark", async () => {
    const seen: string[] = [];
    const run = runOverSsh(target(keys.ed25519.public), "# progress-test\ntrue", "", 10, {
      onProgress: (l) => seen.push(l),
    });
    const err = await run.then(
      () => undefined,
      (e: Error & { details?: string }) => e,
    );
    expect(seen).toEqual(["building venv", "manage.py migrate"]);
    expect(err?.details).toBe("building venv\npip says hello\nmanage.py migrate\nboom");
  });
});

describe("connections reused between steps (reuse: true, as the provider runs steps)", () => {
  // Each case its own login, so that no case finds another's idle connection.
  const fresh = () => ({ ...target(keys.ed25519.public), user: `u${Math.random().toString(36).slice(2)}` });

  it("one connection for steps that run one after another, a failed one included", async () => {
    const t = fresh();
    const before = connections;
    await runOverSsh(t, "true", "", 10, { reuse: true });
    await expect(runOverSsh(t, "# progress-test\ntrue", "", 10, { reuse: true })).rejects.toThrow(/exit code 1/);
    await runOverSsh(t, "true", "", 10, { reuse: true });
    expect(connections - before).toBe(1);
  });

  it("steps that run at the same time each on a connection of its own", async () => {
    const t = fresh();
    const before = connections;
    await Promise.all([1, 2, 3].map(() => runOverSsh(t, "# slow-test\ntrue", "", 10, { reuse: true })));
    expect(connections - before).toBe(3);
  });

  it("a connection that can no longer open a session is replaced, and the step runs once", async () => {
    const t = fresh();
    refuseSecondSession = true;
    const [connectionsBefore, execsBefore] = [connections, execs];
    await runOverSsh(t, "true", "", 10, { reuse: true });
    const r = await runOverSsh(t, "true", "", 10, { reuse: true });
    expect(r.stdout).toBe("connected\n");
    expect(connections - connectionsBefore).toBe(2);
    expect(execs - execsBefore).toBe(2);
  });

  it("a command refused after the server had it is not tried again (it may have run)", async () => {
    const t = fresh();
    await runOverSsh(t, "true", "", 10, { reuse: true });
    const [connectionsBefore, execsBefore] = [connections, execs];
    await expect(runOverSsh(t, "# refuse-exec\ntrue", "", 10, { reuse: true })).rejects.toThrow(/Unable to exec/);
    expect(connections - connectionsBefore).toBe(0);
    expect(execs - execsBefore).toBe(1);
  });

  it("without reuse, a connection per step", async () => {
    const t = fresh();
    const before = connections;
    await runOverSsh(t, "true", "", 10);
    await runOverSsh(t, "true", "", 10);
    expect(connections - before).toBe(2);
  });
});
