// The whole program with site.tls.mode "provided", under mocks: the key reaches the host on the
// certificate step's stdin only (secret), never in a script, and certbot is not installed.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import { inputsOutside, isSecret, Registered, runProgram, unwrap } from "./support/programMocks";
import { issueCertificate, makeTestCa } from "./support/testCertificates";

const deployKey = ed25519HostKey(Buffer.alloc(32, 14), "unit deploy key");
const hostKey = ed25519HostKey(Buffer.alloc(32, 15)).publicKey;
const site = issueCertificate(makeTestCa(), ["shop.io", "www.shop.io"]);
const keyBody = site.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"));
let registered: Registered[];
const command = (name: string) => registered.find((r) => r.name === name)!;

beforeAll(async () => {
  registered = await runProgram(
    {
      host: { address: "192.0.2.30", port: 2222, hostKey },
      app: { source: makeAppVariant("v1") },
      site: {
        serverName: "shop.io www.shop.io",
        listen: "127.0.0.1:8080",
        tls: { mode: "provided", certificate: site.certificate, listen: "127.0.0.1:8443" },
      },
      sshPrivateKey: deployKey.privateKey,
      tlsPrivateKey: site.privateKey,
      djangoSecretKey: "unit-secret-key-for-provided-tls",
      dbPassword: "unit-db-password",
    },
    ["sshPrivateKey", "tlsPrivateKey", "djangoSecretKey", "dbPassword"],
  );
});

describe("a stack with a provided certificate", () => {
  it("installs the certificate from the script and the key from stdin, a secret", () => {
    const step = command("hc-site-https-certificate");
    const create = unwrap(step.inputs.create);
    expect(create).toContain("# Install the site's certificate given in site.tls.certificate");
    expect(create).toContain(site.certificate.trim().split("\n")[1]);
    expect(unwrap(step.inputs.update)).toBe(create);
    expect(isSecret(step.inputs.stdin)).toBe(true);
    expect(unwrap(step.inputs.stdin)).toBe(site.privateKey);
  });

  it("puts the key nowhere but that stdin", () => {
    for (const { name, text } of inputsOutside(registered, "hc-site-https-certificate")) {
      for (const line of keyBody) expect(text, name).not.toContain(line);
    }
  });

  it("installs no certbot, and turns HTTPS on once it serves", () => {
    expect(unwrap(command("hc-host-bootstrap").inputs.create)).not.toMatch(/certbot/);
    const on = unwrap(command("hc-site-https-on").inputs.create);
    expect(on).toContain("# Check that HTTPS serves the installed certificate");
  });
});
