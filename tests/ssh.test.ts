// The SSH client against a real SSH server (ssh2's) that, like OpenSSH, has host keys of several
// types: the deploy connects when any one of them is pinned, and never to a key not pinned.
import { AddressInfo } from "net";
import { Server } from "ssh2";
import { sshKeyPair } from "./support/sshKeyPair";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverSsh } from "../src/host/ssh";

const keys = {
  ed25519: sshKeyPair("ed25519"),
  ecdsa: sshKeyPair("ecdsa", { bits: 256 }),
  rsa: sshKeyPair("rsa", { bits: 2048 }),
};
const client = sshKeyPair("ed25519");
let server: Server;
let port: number;

beforeAll(async () => {
  server = new Server({ hostKeys: [keys.ed25519.private, keys.ecdsa.private, keys.rsa.private] }, (conn) => {
    conn
      .on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"])))
      .on("ready", () =>
        conn.on("session", (accept) =>
          accept().on("exec", (acceptExec, _reject, info) => {
            const stream = acceptExec();
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
          }),
        ),
      )
      .on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => server.close());

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
    const run = runOverSsh(target(keys.ed25519.public), "# progress-test\ntrue", "", 10, (l) => seen.push(l));
    const err = await run.then(
      () => undefined,
      (e: Error & { details?: string }) => e,
    );
    expect(seen).toEqual(["building venv", "manage.py migrate"]);
    expect(err?.details).toBe("building venv\npip says hello\nmanage.py migrate\nboom");
  });
});
