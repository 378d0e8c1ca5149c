// HTTPS (site.tls) for real: Pebble, Let's Encrypt's ACME test server, runs on loopback and
// validates HTTP-01 against the sandbox's nginx; certbot on the sandbox host gets, installs and
// renews the certificate. The load probe checks the chain against Pebble's root and counts every
// failed request and connection reset while a deploy and a forced renewal run.
import * as crypto from "crypto";
import * as tls from "tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { requestOnce, runProbe } from "../../probe/probe";
import { readTemplate } from "../../src/host/render";
import { makeAppVariant } from "../support/appVariants";
import { deployUnderLoad } from "../support/deployUnderLoad";
import { Pebble, startPebble } from "../support/pebble";
import { SandboxInfo, SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";
import { IssuedCertificate, issueCertificate, makeTestCa, TestCa } from "../support/testCertificates";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const HTTP_PORT = 8093;
const HTTPS_PORT = 8443;
const NAME = "shop.acme.test";
const HTTP_URL = `http://127.0.0.1:${HTTP_PORT}`;
const HTTPS_URL = `https://127.0.0.1:${HTTPS_PORT}`;
const stack = new SandboxStack("tls-shop");
let sandbox: SandboxInfo;
let pebble: Pebble;
let root: string;

const onHost = (command: string) => sandboxExec(place, command);
// The HTTPS program's nginx processes: a reload or restart would replace its workers.
const httpsProcesses = () => onHost("m=$(pgrep -f 'shop-https-[0-9a-f]+/nginx.conf'); echo $m; pgrep -P $m | sort");
const httpsGet = (p: string) =>
  requestOnce(`${HTTPS_URL}${p}`, { headers: { Host: NAME }, tls: { ca: root, servername: NAME }, timeoutMs: 15_000 });

/** The certificate HTTPS serves now: its serial and expiry, checked against Pebble's root. */
function servedCertificate(): Promise<{ serial: string; validTo: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port: HTTPS_PORT, servername: NAME, ca: root }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve({ serial: c.serialNumber, validTo: c.valid_to, issuer: String(c.issuer.CN ?? "") });
    });
    s.on("error", reject);
  });
}

function siteConfig(serverName = NAME) {
  return {
    listen: `127.0.0.1:${HTTP_PORT}`,
    serverName,
    tls: {
      mode: "acme",
      email: "ops@acme.test",
      directoryUrl: pebble.directoryUrl,
      directoryCa: pebble.directoryCa,
      listen: `127.0.0.1:${HTTPS_PORT}`,
      hstsMaxAge: 600,
    },
  };
}

beforeAll(async () => {
  // A fresh host, as a new droplet would be: no certificate or ACME account from an earlier run.
  sandbox = await startSandbox({ ...place, fresh: true });
  pebble = await startPebble({ httpPort: HTTP_PORT });
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  stack.setPlain({
    app: { name: "shop", source: makeAppVariant("v1"), healthCheck: { path: "/about/" } },
    site: { listen: `127.0.0.1:${HTTP_PORT}`, serverName: NAME },
  });
});

afterAll(async () => {
  await stack.remove();
  await pebble?.stop();
  if (!process.env.KEEP_SANDBOX) await stopSandbox(place);
});

describe("HTTPS from an ACME server", () => {
  test("a site on plain HTTP turns HTTPS on under load: no connection error, 200s until the redirect starts, 301s after", async () => {
    const first = await stack.up();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect((await requestOnce(`${HTTP_URL}/about/`, { headers: { Host: NAME } })).status).toBe(200);

    stack.setPlain({ site: siteConfig() });
    const stop = new AbortController();
    const probe = runProbe({ url: HTTP_URL, hostHeader: NAME, clients: 16, keepAliveShare: 0.5, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 2000));
    const r = await stack.up();
    await new Promise((r) => setTimeout(r, 2000));
    stop.abort();
    const p = await probe;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    console.log(
      `HTTPS turned on: up ${r.seconds.toFixed(1)} s; plain HTTP under load: ${JSON.stringify(p.statuses)}, errors ${JSON.stringify(p.errors)}`,
    );
    expect(p.errors).toEqual({});
    expect(Object.keys(p.statuses).sort()).toEqual(["200", "301"]);
    root = await pebble.issuingRoot();

    const page = await httpsGet("/about/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("v1");
    expect(page.headers["strict-transport-security"]).toBe("max-age=600");
    const cert = await servedCertificate();
    expect(cert.issuer).toMatch(/Pebble/);

    const plain = await requestOnce(`${HTTP_URL}/about/?x=1`, { headers: { Host: NAME } });
    expect(plain.status).toBe(301);
    expect(plain.headers["location"]).toBe(`https://${NAME}:${HTTPS_PORT}/about/?x=1`);
    expect(plain.headers["strict-transport-security"]).toBeUndefined();
    // certbot's webroot answers over plain HTTP (renewals), and a path it lacks goes to the app.
    await onHost(
      "mkdir -p /srv/shop/acme/.well-known/acme-challenge && echo token-ok > /srv/shop/acme/.well-known/acme-challenge/t1",
    );
    const challenge = await requestOnce(`${HTTP_URL}/.well-known/acme-challenge/t1`, { headers: { Host: NAME } });
    expect([challenge.status, challenge.body.trim()]).toEqual([200, "token-ok"]);

    // The expiry is a stack output, and the key is readable by nginx's workers only (and root).
    const outputs = await stack.outputs();
    expect(new Date(String(outputs.certificateExpiry)).getTime()).toBeGreaterThan(Date.now() + 30 * 86400_000);
    expect(new Date(String(outputs.certificateExpiry)).toUTCString()).toBe(new Date(cert.validTo).toUTCString());
    const modes = "stat -L -c '%a %U:%G' /srv/shop/tls/privkey.pem /srv/shop/tls/live /srv/shop/tls";
    expect((await onHost(modes)).trim().split("\n")).toEqual([
      "640 root:www-data",
      "750 root:www-data",
      "750 root:www-data",
    ]);

    // Nothing changed: nothing to do, and the ACME server is not asked again.
    const again = await stack.preview(["--expect-no-changes"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  test("a deploy under HTTPS load drops no request", async () => {
    stack.setPlain({
      app: { name: "shop", source: makeAppVariant("v2"), healthCheck: { path: "/about/" } },
      site: siteConfig(),
    });
    const result = await deployUnderLoad(stack, {
      url: HTTPS_URL,
      hostHeader: NAME,
      tls: { ca: root, servername: NAME },
    });
    expect(result.up.code, result.up.stdout + result.up.stderr).toBe(0);
    const p = result.probe;
    console.log(`deploy over HTTPS: ${p.failed} failed of ${p.requests}; up ${result.up.seconds.toFixed(1)} s`);
    expect(p.requests).toBeGreaterThan(500);
    expect(p.failed, JSON.stringify(p.failuresSample)).toBe(0);
    expect(result.slow).toMatchObject({ status: 200 });
    expect((await httpsGet("/about/")).body).toContain("v2");
  });

  test("a renewal under load serves the new certificate with no reload and no failed request", async () => {
    const before = await servedCertificate();
    const processesBefore = await httpsProcesses();
    const stop = new AbortController();
    const probe = runProbe({
      url: HTTPS_URL,
      hostHeader: NAME,
      tls: { ca: root, servername: NAME },
      clients: 32,
      keepAliveShare: 0.5,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    // What certbot's timer runs when the certificate is due, forced now.
    await onHost("certbot renew --force-renewal --cert-name shop --no-random-sleep-on-renew -q");
    const renewSeconds = (Date.now() - started) / 1000;
    const after = await servedCertificate();
    await new Promise((r) => setTimeout(r, 3000));
    stop.abort();
    const p = await probe;
    console.log(`renewal under load: ${p.failed} failed of ${p.requests}; certbot renew ${renewSeconds.toFixed(1)} s`);
    expect(after.serial).not.toBe(before.serial);
    expect(p.requests).toBeGreaterThan(500);
    expect(p.failed, JSON.stringify(p.failuresSample)).toBe(0);
    expect(processesBefore.trim().split("\n")).toHaveLength(2); // the master and its worker
    expect(await httpsProcesses()).toBe(processesBefore);
    const preview = await stack.preview(["--expect-no-changes"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
  });

  test("another ACME server (like staging to production) gets a new certificate, though the old one is not due", async () => {
    const before = await servedCertificate();
    // The same Pebble under another URL: certbot would keep the certificate, not due for months.
    stack.setPlain({
      site: {
        ...siteConfig(),
        tls: { ...siteConfig().tls, directoryUrl: pebble.directoryUrl.replace("127.0.0.1", "localhost") },
      },
    });
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await servedCertificate()).serial).not.toBe(before.serial);
    stack.setPlain({ site: siteConfig() });
  });

  test("a failed issuance fails the deploy with the ACME server's error; the site keeps serving", async () => {
    stack.setPlain({ site: siteConfig(`${NAME} blocked.acme.test`) });
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/blocked\.acme\.test/);
    expect(r.stdout + r.stderr).toMatch(/did not issue a certificate/);
    expect((await httpsGet("/about/")).status).toBe(200);
    expect((await requestOnce(`${HTTP_URL}/about/`, { headers: { Host: NAME } })).status).toBe(301);
  });

  test("HTTPS turned off: plain HTTP serves again, HTTPS stops, the certificate and its renewal are gone", async () => {
    stack.setPlain({ site: { listen: `127.0.0.1:${HTTP_PORT}`, serverName: NAME, tls: { mode: "off" } } });
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const plain = await requestOnce(`${HTTP_URL}/about/`, { headers: { Host: NAME } });
    // What the host looked like, should this ever fail.
    const state = () =>
      onHost("supervisorctl status; ls -l /srv/shop/site /srv/shop/run; tail -n 5 /var/log/shop/shop-site-*.log");
    expect(plain.status, plain.status === 200 ? "" : `${plain.body}\n${r.stdout}\n${await state()}`).toBe(200);
    await expect(httpsGet("/about/")).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const left = await onHost(
      "(ls -A /etc/letsencrypt/renewal /etc/letsencrypt/renewal-hooks/deploy; ls -d /srv/shop/tls) 2>&1 || true",
    );
    expect(left).not.toMatch(/shop\./);
    expect(left).toMatch(/cannot access '\/srv\/shop\/tls'/);
  });
});

// Carries on from "HTTPS turned off": the site serves plain HTTP. A certificate from a CA of the
// test's own (as a user's, bought or internal), its key set as a secret.
describe("HTTPS with a provided certificate", () => {
  let ca: TestCa;
  let first: IssuedCertificate;
  let second: IssuedCertificate;
  const keyLines = (c: IssuedCertificate) => c.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));

  async function usePair(c: IssuedCertificate): Promise<void> {
    stack.setPlain({
      site: {
        listen: `127.0.0.1:${HTTP_PORT}`,
        serverName: NAME,
        tls: { mode: "provided", certificate: c.certificate, listen: `127.0.0.1:${HTTPS_PORT}` },
      },
    });
    await stack.setSecret("tlsPrivateKey", c.privateKey);
  }

  beforeAll(() => {
    ca = makeTestCa();
    first = issueCertificate(ca, [NAME]);
    second = issueCertificate(ca, [NAME]);
  });

  test("turned on: HTTPS serves the given certificate, plain HTTP redirects, the key is nowhere in plain", async () => {
    await usePair(first);
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    root = ca.certificate; // what httpsGet and servedCertificate trust from now on
    const page = await httpsGet("/about/");
    expect(page.status).toBe(200);
    expect(page.body).toContain("v2");
    const served = await servedCertificate();
    expect(served.serial).toBe(first.serial);
    const plain = await requestOnce(`${HTTP_URL}/about/`, { headers: { Host: NAME } });
    expect(plain.status).toBe(301);
    expect(new Date(String((await stack.outputs()).certificateExpiry)).toUTCString()).toBe(
      new Date(served.validTo).toUTCString(),
    );
    expect(
      (
        await onHost(
          "stat -L -c '%a %U:%G' /srv/shop/tls/privkey.pem; ls -A /etc/letsencrypt/renewal 2>/dev/null || true",
        )
      ).trim(),
    ).toBe("640 root:www-data");
    const state = await stack.mustCli(["stack", "export"]);
    for (const line of keyLines(first)) {
      expect(r.stdout + r.stderr).not.toContain(line);
      expect(state.stdout).not.toContain(line);
    }
    const again = await stack.preview(["--expect-no-changes"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  test("a new certificate and key under load: no failed request, the new one served, no reload", async () => {
    const processesBefore = await httpsProcesses();
    await usePair(second);
    const result = await deployUnderLoad(stack, {
      url: HTTPS_URL,
      hostHeader: NAME,
      tls: { ca: ca.certificate, servername: NAME },
      slowSeconds: 0,
    });
    expect(result.up.code, result.up.stdout + result.up.stderr).toBe(0);
    const p = result.probe;
    console.log(`new pair under load: ${p.failed} failed of ${p.requests}; up ${result.up.seconds.toFixed(1)} s`);
    expect((await servedCertificate()).serial).toBe(second.serial);
    expect(p.requests).toBeGreaterThan(500);
    expect(p.failed, JSON.stringify(p.failuresSample)).toBe(0);
    expect(await httpsProcesses()).toBe(processesBefore);
  });

  test("forty switches between two pairs under load, each request a new handshake: none fails; two pairs kept", async () => {
    // What the step runs for a new pair, in a loop. With the certificate and the key renamed into
    // place as two files, handshakes racing a switch read one pair's certificate and the other's
    // key (nginx 1.22, switching without pause: 64 of 1,200 handshakes failed; with the link: 0).
    const stage = (dir: string, c: IssuedCertificate) =>
      `install -d -m 700 ${dir}\ncat >${dir}/privkey.pem <<'PEM'\n${c.privateKey.trim()}\nPEM\n` +
      `cat >${dir}/fullchain.pem <<'PEM'\n${c.certificate.trim()}\nPEM\n`;
    await onHost(
      `set -e\n${stage("/root/pair-a", first)}${stage("/root/pair-b", second)}` +
        `cat >/root/tls-install.sh <<'SCRIPT'\n${readTemplate("tls-install.sh")}\nSCRIPT\n`,
    );
    const stop = new AbortController();
    const probe = runProbe({
      url: HTTPS_URL,
      hostHeader: NAME,
      tls: { ca: ca.certificate, servername: NAME },
      clients: 32,
      keepAliveShare: 0,
      signal: stop.signal,
    });
    await new Promise((r) => setTimeout(r, 1500));
    await onHost(
      "for i in $(seq 20); do for p in a b; do " +
        "APP=shop TLS_DIR=/srv/shop/tls SOURCE_DIR=/root/pair-$p bash /root/tls-install.sh; done; done",
    );
    await new Promise((r) => setTimeout(r, 1500));
    stop.abort();
    const p = await probe;
    console.log(`40 pair switches under new-connection load: ${p.failed} failed of ${p.requests}`);
    expect(p.requests).toBeGreaterThan(300);
    expect(p.failed, JSON.stringify(p.failuresSample)).toBe(0);
    expect((await servedCertificate()).serial).toBe(second.serial);
    expect(
      (await onHost("ls /srv/shop/tls/pairs | wc -l; rm -rf /root/pair-a /root/pair-b /root/tls-install.sh")).trim(),
    ).toBe("2");
  });

  test("a certificate that does not cover the site's name fails before anything changes", async () => {
    const stranger = issueCertificate(ca, ["other.acme.test"]);
    await usePair(stranger);
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(`site.tls.certificate: does not cover "${NAME}"`);
    // The program stops at the config: no step is even looked at.
    expect(r.stdout + r.stderr).not.toMatch(/HostCommand/);
    for (const line of keyLines(stranger)) expect(r.stdout + r.stderr).not.toContain(line);
    expect((await servedCertificate()).serial).toBe(second.serial);
  });
});
