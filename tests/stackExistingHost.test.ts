// The whole program for an existing server (the sandbox's mode), under mocks:
// no DigitalOcean resource, every command pinned to the configured host key.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import { Registered, runProgram, unwrap } from "./support/programMocks";

const deployKey = ed25519HostKey(Buffer.alloc(32, 12), "unit deploy key");
const hostKey = ed25519HostKey(Buffer.alloc(32, 13)).publicKey;
let registered: Registered[];

beforeAll(async () => {
  registered = await runProgram(
    {
      host: { address: "192.0.2.20", port: 2222, hostKey },
      app: { source: makeAppVariant("v1") },
      site: { listen: "127.0.0.1:8080" },
      sshPrivateKey: deployKey.privateKey,
      djangoSecretKey: "unit-secret-key-for-an-existing-host",
      dbPassword: "unit-db-password",
    },
    ["sshPrivateKey", "djangoSecretKey", "dbPassword"],
  );
});

describe("an existing-host stack", () => {
  it("creates nothing at DigitalOcean", () => {
    expect(registered.filter((r) => r.type.startsWith("digitalocean:"))).toEqual([]);
  });

  it("connects to the configured address and port with the configured host key pinned", () => {
    const cmds = registered.filter((r) => r.type.endsWith("HostCommand"));
    expect(cmds).toHaveLength(8);
    for (const c of cmds) {
      expect(unwrap(c.inputs.connection), c.name).toMatchObject({
        host: "192.0.2.20",
        port: 2222,
        user: "root",
        hostKey,
      });
      expect(unwrap(c.inputs.triggers), c.name).toContain("192.0.2.20:2222");
      // Deletes run on a host this stack doesn't own: stop programs, remove the site.
      expect(c.deletedWith, c.name).toBe("");
    }
  });

  it("renders the site on the configured listen address", () => {
    const site = unwrap(registered.find((r) => r.name === "hc-site-config")!.inputs);
    expect(site.create).toContain("listen 127.0.0.1:8080 default_server;");
  });
});
