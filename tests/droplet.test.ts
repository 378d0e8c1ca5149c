/**
 * The Droplet component (src/components/droplet.ts) under Pulumi mocks: which
 * DigitalOcean resources it registers and with what inputs. The mocks play
 * the provider's part and return what DigitalOcean computes (ids, ipv4Address,
 * fingerprint, urns). Also the pure helpers: host key derivation and the
 * cloud-init user data.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { utils as ssh2Utils } from "ssh2";
import { beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import type { DropletHost } from "../src/config/types";
import { onRegistration } from "./support/programMocks";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Registered[] = [];
/** Resource options as the engine gets them, by resource name. */
const options = new Map<string, { protect: boolean; ignoreChanges: string[] }>();
/** A host key already pinned in state, by HostKeyPin name: the mock returns it instead of the inputs. */
const pinnedInState = new Map<string, { privateKey: string; publicKey: string }>();

const DROPLET_ID = "409871234";
const DROPLET_IP = "203.0.113.10";
const RESERVED_IP = "198.51.100.7";
const FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      switch (args.type) {
        case "digitalocean:index/sshKey:SshKey":
          return { id: "41000001", state: { ...args.inputs, fingerprint: FINGERPRINT } };
        case "digitalocean:index/droplet:Droplet":
          return {
            id: DROPLET_ID,
            state: {
              ...args.inputs,
              ipv4Address: DROPLET_IP,
              dropletUrn: `do:droplet:${DROPLET_ID}`,
              status: "active",
            },
          };
        case "digitalocean:index/firewall:Firewall":
          return { id: "fw-0001", state: { ...args.inputs, status: "succeeded" } };
        case "digitalocean:index/reservedIp:ReservedIp":
          return {
            id: RESERVED_IP,
            state: { ...args.inputs, ipAddress: RESERVED_IP, reservedIpUrn: `do:reservedip:${RESERVED_IP}` },
          };
        case "digitalocean:index/reservedIpAssignment:ReservedIpAssignment":
          return { id: `${RESERVED_IP}-${DROPLET_ID}`, state: args.inputs };
        case "digitalocean:index/dnsRecord:DnsRecord":
          return { id: "dns-0001", state: { ...args.inputs, fqdn: `${args.inputs.name}.${args.inputs.domain}` } };
        default:
          if (pinnedInState.has(args.name))
            return { id: "host-key", state: { ...args.inputs, ...pinnedInState.get(args.name) } };
          return { id: `${args.name}-id`, state: args.inputs };
      }
    },
    call: (args) => args.inputs,
  },
  "djangozd",
  "prod",
  false,
);
onRegistration((req) =>
  options.set(req.getName(), { protect: req.getProtect(), ignoreChanges: req.getIgnorechangesList() }),
);
type DropletModule = typeof import("../src/components/droplet");
// The program's module loads after setMocks (one import per file).
let Droplet: DropletModule["Droplet"];
let deriveHostKey: DropletModule["deriveHostKey"];
let ed25519HostKey: DropletModule["ed25519HostKey"];
let hostKeyFromSecret: DropletModule["hostKeyFromSecret"];
let renderCloudInit: DropletModule["renderCloudInit"];
let resourceSlug: DropletModule["resourceSlug"];
/** A deploy key made for these tests only (fixed seed, never used anywhere). */
let DEPLOY_PRIVATE: string;

beforeAll(async () => {
  ({ Droplet, deriveHostKey, ed25519HostKey, hostKeyFromSecret, renderCloudInit, resourceSlug } =
    await import("../src/components/droplet"));
  DEPLOY_PRIVATE = ed25519HostKey(Buffer.alloc(32, 5)).privateKey;
});

const SECRET_SIG = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig };
const DEPLOY_PUBLIC = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployKeyForTestsOnlyDeployKeyForTestsOnly+ ci@example";

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

function dropletHost(over: Partial<DropletHost> = {}): DropletHost {
  return {
    kind: "droplet",
    region: "fra1",
    size: "s-1vcpu-2gb",
    image: "ubuntu-24-04-x64",
    sshPublicKey: DEPLOY_PUBLIC,
    sshAllowFrom: ["0.0.0.0/0", "::/0"],
    monitoring: true,
    tags: [],
    reservedIp: false,
    ...over,
  };
}

/** Builds a Droplet component and waits until all its children are registered. */
async function stack(name: string, host: DropletHost, protect = false) {
  const context = `djangozd/prod/${name}`;
  const component = new Droplet(name, {
    host,
    appName: "hc",
    hostKey: hostKeyFromSecret(pulumi.secret(DEPLOY_PRIVATE), context),
    protect,
  });
  const children = [
    component.sshKey,
    component.droplet,
    component.firewall,
    component.reservedIp,
    component.reservedIpAssignment,
    component.dnsRecord,
  ].filter((r): r is NonNullable<typeof r> => r !== undefined);
  const urns = await Promise.all(children.map((r) => value(r.urn)));
  const [address, hostKey, dropletId] = await Promise.all([
    value(component.address),
    value(component.hostKey),
    value(component.dropletId),
  ]);
  const mine = registered.filter((r) => r.name.startsWith(`${name}-`));
  const byType = (suffix: string) => mine.filter((r) => r.type.endsWith(suffix));
  return {
    component,
    urns,
    address,
    hostKey,
    dropletId,
    mine,
    byType,
    expectedKey: deriveHostKey(DEPLOY_PRIVATE, context),
  };
}

describe("Droplet component", () => {
  it("minimal: deploy key, droplet, firewall; no reserved IP, no DNS record", async () => {
    const s = await stack("plain", dropletHost());
    expect(s.mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "digitalocean:index/droplet:Droplet plain-droplet",
      "digitalocean:index/firewall:Firewall plain-firewall",
      "digitalocean:index/sshKey:SshKey plain-ssh-key",
      "pulumi-nodejs:dynamic/djangozd:HostKeyPin plain-host-key",
    ]);

    const [key] = s.byType("sshKey:SshKey");
    expect(key.inputs).toEqual({ name: "hc-prod-deploy", publicKey: DEPLOY_PUBLIC });

    const [droplet] = s.byType("droplet:Droplet");
    expect(droplet.inputs).toEqual({
      name: "hc-prod",
      image: "ubuntu-24-04-x64",
      size: "s-1vcpu-2gb",
      region: "fra1",
      monitoring: true,
      tags: [],
      sshKeys: [FINGERPRINT],
      userData: { ...SECRET_SIG, value: renderCloudInit(s.expectedKey) },
    });

    const [firewall] = s.byType("firewall:Firewall");
    expect(firewall.inputs).toEqual({
      name: "hc-prod",
      dropletIds: [Number(DROPLET_ID)],
      inboundRules: [
        { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
      ],
      outboundRules: [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
      ],
    });

    expect(s.address).toBe(DROPLET_IP);
    expect(s.dropletId).toBe(DROPLET_ID);
    expect(s.hostKey).toBe(s.expectedKey.publicKey);
    expect(await pulumi.isSecret(s.component.hostKey)).toBe(false);
    expect(await pulumi.isSecret(s.component.droplet.userData)).toBe(true);
    expect(s.component.reservedIp).toBeUndefined();
    expect(s.component.dnsRecord).toBeUndefined();
  });

  it("every child is parented to the component", async () => {
    const s = await stack("parented", dropletHost({ reservedIp: true, dns: { domain: "example.com", record: "@" } }));
    expect(s.urns).toHaveLength(6);
    for (const urn of s.urns)
      expect(urn).toMatch(/^urn:pulumi:prod::djangozd::djangozd:infra:Droplet\$digitalocean:index\/\w+:\w+::parented-/);
  });

  it("SSH only from sshAllowFrom; 80 and 443 stay open to all", async () => {
    const s = await stack("locked", dropletHost({ sshAllowFrom: ["203.0.113.0/24", "2001:db8::/48"] }));
    const [firewall] = s.byType("firewall:Firewall");
    expect(firewall.inputs.inboundRules).toEqual([
      { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.0/24", "2001:db8::/48"] },
      { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
      { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
    ]);
  });

  it("reserved IP: assigned to the droplet, the address is the reserved IP, the DNS record points at it", async () => {
    const s = await stack(
      "full",
      dropletHost({
        region: "ams3",
        size: "s-2vcpu-4gb",
        image: "debian-12-x64",
        monitoring: false,
        tags: ["web", "env:prod"],
        reservedIp: true,
        dns: { domain: "example.com", record: "app" },
      }),
    );
    expect(s.mine.map((r) => r.name).sort()).toEqual([
      "full-dns",
      "full-droplet",
      "full-firewall",
      "full-host-key",
      "full-reserved-ip",
      "full-reserved-ip-assignment",
      "full-ssh-key",
    ]);
    const [droplet] = s.byType("droplet:Droplet");
    expect(droplet.inputs).toMatchObject({
      image: "debian-12-x64",
      size: "s-2vcpu-4gb",
      region: "ams3",
      monitoring: false,
      tags: ["web", "env:prod"],
    });
    expect(s.byType("reservedIp:ReservedIp")[0].inputs).toEqual({ region: "ams3" });
    expect(s.byType("reservedIpAssignment:ReservedIpAssignment")[0].inputs).toEqual({
      ipAddress: RESERVED_IP,
      dropletId: Number(DROPLET_ID),
    });
    expect(s.byType("dnsRecord:DnsRecord")[0].inputs).toEqual({
      domain: "example.com",
      type: "A",
      name: "app",
      value: RESERVED_IP,
      ttl: 300,
    });
    expect(s.address).toBe(RESERVED_IP);
  });

  it("DNS without a reserved IP points at the droplet's own address", async () => {
    const s = await stack("dnsonly", dropletHost({ dns: { domain: "example.com", record: "@" } }));
    expect(s.byType("reservedIp:ReservedIp")).toEqual([]);
    expect(s.byType("reservedIpAssignment:ReservedIpAssignment")).toEqual([]);
    expect(s.byType("dnsRecord:DnsRecord")[0].inputs).toEqual({
      domain: "example.com",
      type: "A",
      name: "@",
      value: DROPLET_IP,
      ttl: 300,
    });
    expect(s.address).toBe(DROPLET_IP);
  });

  it("a given host key pair is used as is", async () => {
    const pair = ed25519HostKey(Buffer.alloc(32, 42));
    const c = new Droplet("given", { host: dropletHost(), appName: "hc", hostKey: pair, protect: false });
    const pinned = await value(c.hostKey);
    await value(c.firewall.urn);
    const droplet = registered.find((r) => r.name === "given-droplet")!;
    // The key every connection pins is the one cloud-init installs on the droplet.
    expect(droplet.inputs.userData[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
    const cloudInit = YAML.parse(droplet.inputs.userData.value);
    expect(cloudInit.ssh_keys.ed25519_public).toBe(pinned);
    expect(cloudInit.ssh_keys.ed25519_private.trim()).toBe(pair.privateKey.trim());
  });
});

describe("the droplet survives edits of the stack config", () => {
  it("its user data is first-boot only, and protect follows the setting", async () => {
    await stack("guarded", dropletHost(), true);
    expect(options.get("guarded-droplet")).toEqual({ protect: true, ignoreChanges: ["userData"] });
    await stack("unguarded", dropletHost(), false);
    expect(options.get("unguarded-droplet")).toEqual({ protect: false, ignoreChanges: ["userData"] });
  });

  it("the host key pinned in state wins over the one derived now (the deploy key was set again differently)", async () => {
    const installed = ed25519HostKey(Buffer.alloc(32, 77));
    pinnedInState.set("kept-host-key", installed);
    const s = await stack("kept", dropletHost());
    expect(s.expectedKey.publicKey).not.toBe(installed.publicKey);
    expect(s.hostKey).toBe(installed.publicKey);
    const cloudInit = YAML.parse(s.byType("droplet:Droplet")[0].inputs.userData.value);
    expect(cloudInit.ssh_keys.ed25519_public).toBe(installed.publicKey);
  });

  it("HostKeyPin: a new derivation of the key is never a change; the pinned private half stays secret", async () => {
    const { hostKeyPinProvider } = await import("../src/components/hostKeyPin");
    const original = deriveHostKey(DEPLOY_PRIVATE, "p/s/hc");
    // The same deploy key with a trailing newline, with CRLF line ends, and in PEM (PKCS#8) form.
    const pem = (await import("node:crypto")).createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, 5)]),
      format: "der",
      type: "pkcs8",
    });
    const variants = [
      `${DEPLOY_PRIVATE}\n`,
      DEPLOY_PRIVATE.replace(/\n/g, "\r\n"),
      pem.export({ format: "pem", type: "pkcs8" }).toString(),
    ];
    for (const text of variants) {
      const derived = deriveHostKey(text, "p/s/hc");
      expect(derived.publicKey).not.toBe(original.publicKey);
      expect((await hostKeyPinProvider.diff!("host-key", original, derived)).changes).toBe(false);
    }
    await stack("secretpin", dropletHost());
    const pin = registered.find((r) => r.name === "secretpin-host-key")!;
    expect(pin.inputs.privateKey[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
  });
});

describe("host key", () => {
  it("is deterministic per secret and context", () => {
    const a = deriveHostKey("secret one", "p/s/n");
    expect(deriveHostKey("secret one", "p/s/n")).toEqual(a);
    expect(deriveHostKey("secret two", "p/s/n").publicKey).not.toBe(a.publicKey);
    expect(deriveHostKey("secret one", "p/other/n").publicKey).not.toBe(a.publicKey);
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
    expect(a.privateKey).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
    );
    expect(() => deriveHostKey("", "x")).toThrow(/empty/);
  });

  it("hostKeyFromSecret keeps the private half secret and the public half plain", async () => {
    const k = hostKeyFromSecret(pulumi.secret("deploy key text"), "ctx");
    expect(await pulumi.isSecret(k.privateKey)).toBe(true);
    expect(await pulumi.isSecret(k.publicKey)).toBe(false);
    expect(await value(k.publicKey)).toBe(deriveHostKey("deploy key text", "ctx").publicKey);
  });

  it("ssh2 (the deploy's SSH client library) reads it, and it signs and verifies", () => {
    const k = deriveHostKey("some deploy key", "djangozd/prod/hc");
    const parsed = ssh2Utils.parseKey(k.privateKey);
    if (parsed instanceof Error) throw parsed;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    expect(key.type).toBe("ssh-ed25519");
    expect(key.comment).toBe("host key for djangozd/prod/hc");
    expect(key.getPublicSSH().toString("base64")).toBe(k.publicKey.split(" ")[1]);
    const data = Buffer.from("handshake");
    const signature = key.sign(data);
    if (signature instanceof Error) throw signature;
    expect(key.verify(data, signature)).toBe(true);
  });

  // ssh-keygen comes with openssh-client, which setup installs: missing, it fails, never skips.
  it("OpenSSH's ssh-keygen reads it and prints the same public key", () => {
    const k = deriveHostKey("some deploy key", "djangozd/prod/hc");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-hostkey-"));
    try {
      const file = path.join(dir, "key");
      fs.writeFileSync(file, k.privateKey, { mode: 0o600 });
      const pub = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
      expect(pub.trim().split(" ").slice(0, 2).join(" ")).toBe(k.publicKey);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("renderCloudInit", () => {
  let k: import("../src/components/droplet").HostKeyPair;
  beforeAll(() => {
    k = deriveHostKey("some deploy key", "djangozd/prod/hc");
  });

  it("is cloud-config that installs only the given ED25519 host key", () => {
    const text = renderCloudInit(k);
    expect(text.split("\n")[0]).toBe("#cloud-config");
    expect(YAML.parse(text)).toEqual({
      ssh_deletekeys: true,
      ssh_genkeytypes: [],
      ssh_keys: { ed25519_private: k.privateKey, ed25519_public: k.publicKey },
    });
  });

  it("is the same text for the same key (no timestamps, no app settings)", () => {
    expect(renderCloudInit(k)).toBe(renderCloudInit(deriveHostKey("some deploy key", "djangozd/prod/hc")));
  });

  it("refuses anything but an OpenSSH private key and an ssh-ed25519 public key", () => {
    expect(() => renderCloudInit({ privateKey: "nope", publicKey: k.publicKey })).toThrow(
      /not an OpenSSH private key block/,
    );
    expect(() => renderCloudInit({ privateKey: k.privateKey, publicKey: "ssh-rsa AAAA" })).toThrow(/ssh-ed25519/);
    expect(() => renderCloudInit({ privateKey: k.privateKey, publicKey: `${k.publicKey}\nruncmd: [reboot]` })).toThrow(
      /ssh-ed25519/,
    );
  });
});

describe("resourceSlug", () => {
  it("keeps DigitalOcean names to letters, digits, '-' and '.'", () => {
    expect(resourceSlug("hc", "prod")).toBe("hc-prod");
    expect(resourceSlug("hc", "Org/Prod_EU")).toBe("hc-org-prod-eu");
  });
});
