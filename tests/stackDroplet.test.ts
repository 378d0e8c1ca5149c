// The whole program for a DigitalOcean stack, under mocks: the droplet's
// resources, and every command on the host pinned to the droplet's host key
// and tied to the droplet's id, so a replaced droplet gets everything again.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import {
  APP_COMMANDS_WITH_ONE_JOB,
  DROPLET_ID,
  DROPLET_IP,
  Registered,
  isSecret,
  runProgram,
  unwrap,
} from "./support/programMocks";

const deployKey = ed25519HostKey(Buffer.alloc(32, 11), "unit deploy key");
let registered: Registered[];
const commands = () => registered.filter((r) => r.type.endsWith("HostCommand"));

beforeAll(async () => {
  registered = await runProgram(
    {
      droplet: { sshPublicKey: deployKey.publicKey, sshAllowFrom: ["198.51.100.0/24"] },
      app: {
        source: makeAppVariant("v1"),
        jobs: [{ name: "alerts", command: "python manage.py sendalerts", singleton: true }],
      },
      sshPrivateKey: deployKey.privateKey,
      djangoSecretKey: "unit-secret-key-for-a-droplet-stack",
      dbPassword: "unit-db-password",
    },
    ["sshPrivateKey", "djangoSecretKey", "dbPassword"],
  );
});

describe("a DigitalOcean stack", () => {
  it("creates the deploy key, the droplet and its firewall, then the app on it", () => {
    const types = registered.map((r) => r.type);
    expect(types).toContain("digitalocean:index/sshKey:SshKey");
    expect(types).toContain("digitalocean:index/droplet:Droplet");
    expect(types).toContain("digitalocean:index/firewall:Firewall");
    expect(
      commands()
        .map((c) => c.name)
        .sort(),
    ).toEqual(["hc-backups-schedule", ...APP_COMMANDS_WITH_ONE_JOB].sort());
  });

  it("opens SSH only to the configured ranges and HTTP(S) to all", () => {
    const fw = unwrap(registered.find((r) => r.type === "digitalocean:index/firewall:Firewall")!.inputs);
    const ssh = fw.inboundRules.filter((r: any) => r.portRange === "22");
    expect(ssh).toHaveLength(1);
    expect(ssh[0].sourceAddresses).toEqual(["198.51.100.0/24"]);
    expect(fw.inboundRules.map((r: any) => r.portRange).sort()).toEqual(["22", "443", "80"]);
  });

  it("pins the droplet's own host key on every connection, with the deploy key kept secret", () => {
    const droplet = unwrap(registered.find((r) => r.type === "digitalocean:index/droplet:Droplet")!.inputs);
    const installed = /ed25519_public: (ssh-ed25519 \S+)/.exec(droplet.userData)![1];
    for (const c of commands()) {
      expect(isSecret(c.inputs.connection), c.name).toBe(true);
      const conn = unwrap(c.inputs.connection);
      expect(conn, c.name).toMatchObject({ host: DROPLET_IP, port: 22, user: "root", hostKey: installed });
      expect(conn.privateKey).toBe(deployKey.privateKey);
    }
  });

  it("protects the droplet, which holds the local database: destroy or a replacement needs droplet.protect false", () => {
    expect(registered.filter((r) => r.protect).map((r) => r.type)).toEqual(["digitalocean:index/droplet:Droplet"]);
  });

  it("skips the commands' deletes when the droplet itself is deleted", () => {
    for (const c of commands())
      expect(c.deletedWith, c.name).toMatch(/digitalocean:index\/droplet:Droplet::hc-droplet$/);
  });

  it("ties every command to the droplet's id: a replaced droplet is bootstrapped and deployed again", () => {
    for (const c of commands()) expect(unwrap(c.inputs.triggers), c.name).toContain(DROPLET_ID);
  });
});
