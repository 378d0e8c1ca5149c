// Pebble, Let's Encrypt's ACME test server, and pebble-challtestsrv (its DNS), run on loopback
// for the HTTPS tests: built by scripts/pebble.sh from the Go module proxy. Pebble resolves every
// name to 127.0.0.1 through challtestsrv and validates HTTP-01 on `httpPort`: the sandbox's
// nginx, which answers from the site's ACME webroot. It signs with a root it makes at start-up.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { startLocalServer, waitForPort } from "./localServer";
import { REPO } from "./pulumiEnv";

export interface Pebble {
  /** The ACME directory URL. */
  directoryUrl: string;
  /** The CA of Pebble's own HTTPS listener (the host must trust it to talk ACME). */
  directoryCa: string;
  /** The root Pebble signs certificates with (clients trust it to check the site). */
  issuingRoot(): Promise<string>;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** Where Pebble sends HTTP-01 validations (the site's plain HTTP port). */
  httpPort: number;
  /** Pebble's ACME port; its management port is this + 1000. Default 14000. */
  port?: number;
  /** challtestsrv's DNS port; its management port is this + 2. Default 8053. */
  dnsPort?: number;
}

function get(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

export async function startPebble(o: PebbleOptions): Promise<Pebble> {
  const dir = execFileSync("bash", [path.join(REPO, "scripts/pebble.sh")], { encoding: "utf8" }).trim();
  const moduleDir = fs.readFileSync(path.join(dir, "module-dir"), "utf8").trim();
  const port = o.port ?? 14000;
  const dnsPort = o.dnsPort ?? 8053;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pebble-"));
  const config = path.join(work, "pebble-config.json");
  fs.writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${port + 1000}`,
        certificate: path.join(moduleDir, "test/certs/localhost/cert.pem"),
        privateKey: path.join(moduleDir, "test/certs/localhost/key.pem"),
        httpPort: o.httpPort,
        tlsPort: 0,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        domainBlocklist: ["blocked.acme.test"],
      },
    }),
  );
  const dns = startLocalServer(path.join(dir, "pebble-challtestsrv"), [
    "-defaultIPv4",
    "127.0.0.1",
    "-defaultIPv6",
    "",
    "-dnsserver",
    `127.0.0.1:${dnsPort}`,
    "-management",
    `127.0.0.1:${dnsPort + 2}`,
    "-http01",
    "",
    "-https01",
    "",
    "-tlsalpn01",
    "",
    "-doh",
    "",
  ]);
  // No sleeps between steps, and every nonce accepted: real Pebble rejects 5% to test clients' retries.
  const acme = startLocalServer(path.join(dir, "pebble"), ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
  });
  const stop = async () => {
    for (const p of [acme.child, dns.child]) if (p.exitCode === null) p.kill("SIGTERM");
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitForPort(dnsPort + 2, "pebble-challtestsrv", dns);
    await waitForPort(port, "pebble", acme);
  } catch (e) {
    await stop();
    throw e;
  }
  const directoryCa = fs.readFileSync(path.join(moduleDir, "test/certs/pebble.minica.pem"), "utf8");
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    directoryCa,
    issuingRoot: () => get(`https://127.0.0.1:${port + 1000}/roots/0`, directoryCa),
    stop,
  };
}
