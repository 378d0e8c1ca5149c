// The day-2 CLI's own parts: its options, and OpenSSH with the host key pinned, against a real
// SSH server (ssh2's): the pinned key connects, any other is refused, never trusted on first use.
import { AddressInfo } from "net";
import { Server, utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLogs, run, UsageError } from "../src/ops/cli";
import { knownHostsLine, rootScript, runSsh } from "../src/ops/sshSession";

describe("logs options", () => {
  it("defaults to the web program's last 100 lines", () => {
    expect(parseLogs([])).toEqual({ target: "web", lines: 100, follow: false, grep: "" });
  });
  it("takes a program, -f, -n and --grep in any order", () => {
    expect(parseLogs(["-f", "alerts", "--grep", "ERROR|WARN", "-n", "20"])).toEqual({
      target: "alerts",
      lines: 20,
      follow: true,
      grep: "ERROR|WARN",
    });
  });
  it("refuses what it does not know, saying what", () => {
    expect(() => parseLogs(["-n", "many"])).toThrow("-n: expected a number of lines, got many");
    expect(() => parseLogs(["web", "site"])).toThrow('logs: unexpected "site"');
    expect(() => parseLogs(["--grep"])).toThrow("--grep needs a value");
  });
});

describe("commands", () => {
  it("refuses an unknown command and arguments not after --, before any connection", async () => {
    await expect(run(["deploy"])).rejects.toThrow('unknown command "deploy"');
    await expect(run(["exec", "migrate"])).rejects.toThrow('exec: put its arguments after "--"');
    await expect(run(["rollback", "HEAD~1"])).rejects.toBeInstanceOf(UsageError);
  });
});

describe("the remote command", () => {
  it("pins a non-standard port as OpenSSH writes it", () => {
    const ssh = { host: "203.0.113.5", port: 2222, user: "root", hostKey: "ssh-ed25519 AAAAC3Nz comment" };
    expect(knownHostsLine(ssh)).toBe("[203.0.113.5]:2222 ssh-ed25519 AAAAC3Nz\n");
    expect(knownHostsLine({ ...ssh, port: 22 })).toBe("203.0.113.5 ssh-ed25519 AAAAC3Nz\n");
  });
  it("runs the script as root, through sudo for another login, its arguments quoted", () => {
    const ssh = { host: "h", port: 22, user: "deploy", hostKey: "ssh-ed25519 AAAA" };
    const line = rootScript(ssh, "echo hi", ["it's", "a b"]);
    expect(line.startsWith("sudo -n bash -c ")).toBe(true);
    expect(line.endsWith(` ops 'it'\\''s' 'a b'`)).toBe(true);
    expect(rootScript({ ...ssh, user: "root" }, "echo hi").startsWith("bash -c ")).toBe(true);
  });
});

describe("OpenSSH with the pinned host key", () => {
  const hostKey = utils.generateKeyPairSync("ed25519");
  const other = utils.generateKeyPairSync("ed25519");
  const client = utils.generateKeyPairSync("ed25519");
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
      conn
        .on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"])))
        .on("ready", () =>
          conn.on("session", (accept) =>
            accept().on("exec", (acceptExec) => {
              const stream = acceptExec();
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

  const access = (key: string) => ({ host: "127.0.0.1", port, user: "root", hostKey: key });

  it("connects when the server presents the pinned key", async () => {
    const r = await runSsh(access(hostKey.public), client.private, {
      command: "true",
      tty: false,
      input: "",
      capture: true,
    });
    expect(r).toEqual({ code: 0, stdout: "connected\n" });
  });

  it("refuses a server that presents any other key (ssh: Host key verification failed)", async () => {
    const r = await runSsh(access(other.public), client.private, {
      command: "true",
      tty: false,
      input: "",
      capture: true,
    });
    expect(r).toEqual({ code: 255, stdout: "" });
  });
});
