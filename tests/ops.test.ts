// The day-2 CLI's own parts: its options, and OpenSSH with the host key pinned, against a real
// SSH server (ssh2's): the pinned key connects, any other is refused, never trusted on first use.
import { execFileSync } from "child_process";
import { AddressInfo } from "net";
import { Server } from "ssh2";
import { sshKeyPair } from "./support/sshKeyPair";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLogs, parseSince, run, UsageError } from "../src/ops/cli";
import { readTemplate } from "../src/host/render";
import { knownHostsLine, rootScript, runSsh } from "../src/ops/sshSession";

describe("logs options", () => {
  it("defaults to the web program's last 100 lines", () => {
    expect(parseLogs([])).toEqual({ target: "web", lines: 100, follow: false, grep: "", since: "" });
  });
  it("takes a program, -f, -n and --grep in any order", () => {
    expect(parseLogs(["-f", "alerts", "--grep", "ERROR|WARN", "-n", "20"])).toEqual({
      target: "alerts",
      lines: 20,
      follow: true,
      grep: "ERROR|WARN",
      since: "",
    });
  });
  it("--since: a duration back from now or a time, every line since then unless -n says otherwise", () => {
    const now = Date.UTC(2026, 11, 4, 18, 0, 0);
    expect(parseLogs(["--since", "30m"], now)).toMatchObject({ since: String(now / 1000 - 1800), lines: "all" });
    expect(parseLogs(["--since", "2d", "-n", "50"], now)).toMatchObject({
      since: String(now / 1000 - 2 * 86400),
      lines: 50,
    });
    expect(parseSince("2026-12-04T17:00:00Z")).toBe(String(Date.UTC(2026, 11, 4, 17) / 1000));
    expect(parseSince("2026-12-04 17:00+01:00")).toBe(String(Date.UTC(2026, 11, 4, 16) / 1000));
    // No zone: the host's, read there.
    expect(parseSince("2026-12-04 17:00")).toBe("2026-12-04T17:00:00");
    expect(parseSince("2026-12-04T17:00:30.5")).toBe("2026-12-04T17:00:30");
    for (const bad of ["yesterday", "2026-12-04", "10", "5w", "2026-13-40T25:00"]) {
      expect(() => parseSince(bad)).toThrow(
        `--since: expected a duration (30m, 2h, 1d) or a time (2026-12-04T17:00), got ${bad}`,
      );
    }
  });
  it("refuses what it does not know, saying what", () => {
    expect(() => parseLogs(["-n", "many"])).toThrow("-n: expected a number of lines, got many");
    expect(() => parseLogs(["web", "site"])).toThrow('logs: unexpected "site"');
    expect(() => parseLogs(["--grep"])).toThrow("--grep needs a value");
  });
});

describe("the --since filter on the host (templates/log-since.py)", () => {
  const filter = (since: Date | string, text: string | Buffer) =>
    execFileSync(
      "python3",
      ["-c", readTemplate("log-since.py"), typeof since === "string" ? since : String(since.getTime() / 1000)],
      {
        input: text,
        encoding: "utf8",
        env: { ...process.env, TZ: "UTC" },
      },
    );
  it("reads gunicorn's, nginx's and ISO times; untimed lines go with the line before in their file", () => {
    const log = [
      "==> /var/log/nginx/access.log <==",
      '127.0.0.1 - - [04/Dec/2026:17:50:59 +0000] "GET / HTTP/1.1" 200 5',
      '127.0.0.1 - - [04/Dec/2026:18:51:59 +0100] "GET /b HTTP/1.1" 200 5',
      '127.0.0.1 - - [04/Dec/2026:17:59:00 +0000] "GET /report?from=2020-01-01T00:00:00Z HTTP/1.1" 200 5',
      "==> /var/log/nginx/error.log <==",
      "2026/12/04 17:40:00 [error] 7#7: nginx's own form, old",
      "  untimed, after it",
      "2026/12/04 17:55:00 [error] 7#7: new",
      "[2026-12-04 17:51:00 +0000] [12] [ERROR] before",
      "Traceback (most recent call last):",
      "[2026-12-04 17:52:00 +0000] [12] [ERROR] after",
      "Traceback (most recent call last):",
      "2026-12-04T17:40:00 no zone: the host's (UTC here)",
      "  untimed, after an old line",
      "",
    ].join("\n");
    expect(filter(new Date(Date.UTC(2026, 11, 4, 17, 51, 30)), log).split("\n")).toEqual([
      "==> /var/log/nginx/access.log <==",
      '127.0.0.1 - - [04/Dec/2026:18:51:59 +0100] "GET /b HTTP/1.1" 200 5',
      '127.0.0.1 - - [04/Dec/2026:17:59:00 +0000] "GET /report?from=2020-01-01T00:00:00Z HTTP/1.1" 200 5',
      "==> /var/log/nginx/error.log <==",
      "2026/12/04 17:55:00 [error] 7#7: new",
      "[2026-12-04 17:52:00 +0000] [12] [ERROR] after",
      "Traceback (most recent call last):",
      "",
    ]);
  });
});

describe("the --since filter, more", () => {
  it("takes a time without a zone as the host's, and passes bytes that are not UTF-8 as they are", () => {
    const latin1 = Buffer.concat([
      Buffer.from("[2026-12-04 17:52:00 +0000] caf"),
      Buffer.from([0xe9]),
      Buffer.from("\n"),
    ]);
    const log = Buffer.concat([Buffer.from("[2026-12-04 17:50:00 +0000] old\n"), latin1]);
    const out = execFileSync("python3", ["-c", readTemplate("log-since.py"), "2026-12-04T17:51:00"], {
      input: log,
      env: { ...process.env, TZ: "UTC" },
    });
    expect(out).toEqual(latin1);
    const inParis = execFileSync("python3", ["-c", readTemplate("log-since.py"), "2026-12-04T18:51:00"], {
      input: log,
      env: { ...process.env, TZ: "Europe/Paris" },
    });
    expect(inParis).toEqual(latin1);
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
  const hostKey = sshKeyPair("ed25519");
  const other = sshKeyPair("ed25519");
  const client = sshKeyPair("ed25519");
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
