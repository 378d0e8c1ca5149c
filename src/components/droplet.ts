// Droplet: a DigitalOcean droplet this program owns, with its deploy key,
// firewall, optional reserved IP and optional DNS record.
//
// The droplet is created once and then left alone: everything about the app
// and its bootstrap reaches the host over SSH, never through user data. The
// user data (cloud-init) does one thing only, install a host key chosen by
// this program, so the deploy can pin that key from the first connection on.
// It depends on nothing but that key, so no app or bootstrap change can ever
// alter it (on DigitalOcean a user data change replaces the droplet).
//
// Where the host key comes from. It must be an ED25519 key in OpenSSH form,
// secret, and the same on every `pulumi up`. Options considered:
//   - the `random`/`tls` providers: not available here (no extra plugins);
//   - a dynamic provider holding a generated key in state: needs the Node.js
//     dynamic-provider plugin and serializes its code into state;
//   - `crypto.generateKeyPairSync` at each run: a new key every run, so a new
//     user data and a replaced droplet every run;
//   - a key the user generates and sets as another secret: one more manual step.
// Chosen: `deriveHostKey` makes the key deterministically (HKDF-SHA256 →
// ED25519 seed) from secret material the stack already has, the deploy key
// (`sshPrivateKey`), and a context label (project, stack, component name).
// Nothing new to store or to set, no extra plugin, stable across runs, and
// secret exactly as long as the deploy key is. Whoever holds the deploy key
// can derive the host key, but that person is root on the droplet anyway.
// The key is derived once, when the stack first creates the droplet, and then
// pinned in state (hostKeyPin.ts): the deploy key set again in another textual
// form, or a new deploy key, changes neither the host key nor the user data.
// The user data is first-boot only anyway (`ignoreChanges`): DigitalOcean
// replaces a droplet whose user data changes, and with it a local database.
import * as crypto from "node:crypto";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { DropletHost } from "../config/types";
import { uint32, wire } from "../host/sshKeys";
import { HostKeyPin } from "./hostKeyPin";

/** An SSH host key: private half in OpenSSH form, public half as "ssh-ed25519 AAAA…" (no comment). */
export interface HostKeyPair {
  privateKey: string;
  publicKey: string;
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];

// ---------------------------------------------------------------------------
// Host key (pure)

/** The ED25519 key pair for a 32-byte seed, in the formats OpenSSH and cloud-init use. */
export function ed25519HostKey(seed: Buffer, comment = ""): HostKeyPair {
  if (seed.length !== 32) throw new Error(`ed25519HostKey: the seed must be 32 bytes, got ${seed.length}`);
  // PKCS#8 wrapping of a raw ED25519 seed (RFC 8410).
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const privateKey = crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  const pub = Buffer.from(crypto.createPublicKey(privateKey).export({ format: "jwk" }).x ?? "", "base64url");
  const type = Buffer.from("ssh-ed25519");
  const publicBlob = wire(type, pub);

  // openssh-key-v1, unencrypted (PROTOCOL.key in OpenSSH). The check integer
  // is random in ssh-keygen; here it comes from the seed, so the text is stable.
  const check = crypto.createHash("sha256").update("check").update(seed).digest().subarray(0, 4);
  const unpadded = Buffer.concat([
    check,
    check,
    wire(type, pub, Buffer.concat([seed, pub]), Buffer.from(comment, "utf8")),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    wire(Buffer.from("none"), Buffer.from("none"), Buffer.alloc(0)),
    uint32(1),
    wire(publicBlob),
    wire(Buffer.concat([unpadded, padding])),
  ]);
  const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
  return {
    privateKey: ["-----BEGIN OPENSSH PRIVATE KEY-----", ...lines, "-----END OPENSSH PRIVATE KEY-----", ""].join("\n"),
    publicKey: `ssh-ed25519 ${publicBlob.toString("base64")}`,
  };
}

/**
 * A host key derived from secret material: the same inputs give the same key
 * on every run. `context` separates keys made from the same secret (use
 * project, stack and component name); changing it changes the key.
 */
export function deriveHostKey(secret: string, context: string): HostKeyPair {
  if (secret === "") throw new Error("deriveHostKey: the secret is empty");
  const seed = Buffer.from(
    crypto.hkdfSync("sha256", Buffer.from(secret, "utf8"), "djangozd ssh host key v1", context, 32),
  );
  return ed25519HostKey(seed, `host key for ${context}`);
}

/**
 * `deriveHostKey` over Outputs: the private half stays secret; the public half
 * is made plain (it is public, and is pinned by every connection and exported).
 */
export function hostKeyFromSecret(
  secret: pulumi.Input<string>,
  context: string,
): { privateKey: pulumi.Output<string>; publicKey: pulumi.Output<string> } {
  const pair = pulumi.output(secret).apply((s) => deriveHostKey(s, context));
  return { privateKey: pulumi.secret(pair.privateKey), publicKey: pulumi.unsecret(pair.publicKey) };
}

/**
 * The droplet's whole user data: cloud-init that replaces the image's host
 * keys with the given ED25519 key and generates no others. Keep it this small:
 * any change to this text replaces the droplet.
 */
export function renderCloudInit(hostKey: HostKeyPair): string {
  const privateKey = hostKey.privateKey.trim();
  if (!/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----$/.test(privateKey)) {
    throw new Error("renderCloudInit: the host key's private half is not an OpenSSH private key block");
  }
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(hostKey.publicKey)) {
    throw new Error(
      `renderCloudInit: expected an "ssh-ed25519 AAAA…" public key, got ${JSON.stringify(hostKey.publicKey)}`,
    );
  }
  return [
    "#cloud-config",
    "# Installs the SSH host key the deploy pins. Nothing else belongs here.",
    "ssh_deletekeys: true",
    "ssh_genkeytypes: []",
    "ssh_keys:",
    "  ed25519_private: |",
    ...privateKey.split("\n").map((line) => `    ${line}`),
    `  ed25519_public: ${hostKey.publicKey}`,
    "",
  ].join("\n");
}

/** A stack name as part of a DigitalOcean resource name (letters, digits, "-" and "."). */
export function resourceSlug(...parts: string[]): string {
  return parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

// ---------------------------------------------------------------------------
// Component

export interface DropletArgs {
  /** The validated `droplet` settings (defaults already applied). */
  host: DropletHost;
  /** App name: with the stack name, names the droplet, its deploy key and its firewall. */
  appName: string;
  /** SSH host key for a new droplet (see `hostKeyFromSecret`): pinned when first created, never changed after. */
  hostKey: { privateKey: pulumi.Input<string>; publicKey: pulumi.Input<string> };
  /** Pulumi `protect` on the droplet: it holds data (a local database) that a replacement would lose. */
  protect: boolean;
}

export class Droplet extends pulumi.ComponentResource {
  /** Public IPv4 address to reach the host: the reserved IP once assigned, when enabled. */
  public readonly address: pulumi.Output<string>;
  /** The host's public key ("ssh-ed25519 AAAA…") to pin on every connection. */
  public readonly hostKey: pulumi.Output<string>;
  /** DigitalOcean droplet id; changes only when the droplet is replaced. */
  public readonly dropletId: pulumi.Output<string>;

  public readonly sshKey: digitalocean.SshKey;
  public readonly droplet: digitalocean.Droplet;
  public readonly firewall: digitalocean.Firewall;
  public readonly reservedIp?: digitalocean.ReservedIp;
  public readonly reservedIpAssignment?: digitalocean.ReservedIpAssignment;
  public readonly dnsRecord?: digitalocean.DnsRecord;

  constructor(name: string, args: DropletArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:infra:Droplet", name, {}, opts);
    const host = args.host;
    const label = resourceSlug(args.appName, pulumi.getStack());

    this.sshKey = new digitalocean.SshKey(
      `${name}-ssh-key`,
      { name: `${label}-deploy`, publicKey: host.sshPublicKey },
      { parent: this },
    );

    const pinned = new HostKeyPin(`${name}-host-key`, args.hostKey, { parent: this });
    const userData = pulumi
      .all([pinned.privateKey, pinned.publicKey])
      .apply(([privateKey, publicKey]) => renderCloudInit({ privateKey, publicKey }));

    this.droplet = new digitalocean.Droplet(
      `${name}-droplet`,
      {
        name: label,
        image: host.image,
        size: host.size,
        region: host.region,
        monitoring: host.monitoring,
        tags: host.tags,
        sshKeys: [this.sshKey.fingerprint],
        // Secret: it holds the host's private key, and Pulumi keeps inputs in state.
        userData: pulumi.secret(userData),
      },
      // cloud-init runs at first boot only; a new text would replace the droplet for nothing.
      { parent: this, ignoreChanges: ["userData"], protect: args.protect },
    );
    const dropletNumber = this.droplet.id.apply((id) => Number(id));

    this.firewall = new digitalocean.Firewall(
      `${name}-firewall`,
      {
        name: label,
        dropletIds: [dropletNumber],
        inboundRules: [
          { protocol: "tcp", portRange: "22", sourceAddresses: host.sshAllowFrom },
          { protocol: "tcp", portRange: "80", sourceAddresses: ANYWHERE },
          { protocol: "tcp", portRange: "443", sourceAddresses: ANYWHERE },
        ],
        outboundRules: [
          { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
          { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
          { protocol: "icmp", destinationAddresses: ANYWHERE },
        ],
      },
      { parent: this },
    );

    let address: pulumi.Output<string> = this.droplet.ipv4Address;
    if (host.reservedIp) {
      this.reservedIp = new digitalocean.ReservedIp(`${name}-reserved-ip`, { region: host.region }, { parent: this });
      this.reservedIpAssignment = new digitalocean.ReservedIpAssignment(
        `${name}-reserved-ip-assignment`,
        { ipAddress: this.reservedIp.ipAddress, dropletId: dropletNumber },
        // An IP sits on one droplet at a time: when the droplet is replaced,
        // unassign from the old one first, then assign to the new one.
        { parent: this, deleteBeforeReplace: true },
      );
      // Known only once assigned: whoever connects to it reaches this droplet.
      address = pulumi.all([this.reservedIp.ipAddress, this.reservedIpAssignment.id]).apply(([ip]) => ip);
    }

    if (host.dns) {
      this.dnsRecord = new digitalocean.DnsRecord(
        `${name}-dns`,
        { domain: host.dns.domain, type: "A", name: host.dns.record, value: address, ttl: 300 },
        { parent: this },
      );
    }

    this.address = address;
    this.hostKey = pulumi.unsecret(pinned.publicKey);
    this.dropletId = this.droplet.id;
    this.registerOutputs({ address: this.address, hostKey: this.hostKey, dropletId: this.dropletId });
  }
}
