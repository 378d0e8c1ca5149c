/**
 * SSH key reading (src/host/sshKeys.ts): authorized-keys lines checked whole,
 * private keys of each form told apart (usable, passphrase-protected, not a
 * key) with the public half worked out.
 */
import * as crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { hostKeyBlob, inspectPrivateKey, isPublicKeyOfType } from "../src/host/sshKeys";
import { sshKeyPair } from "./support/sshKeyPair";

const TYPES = [
  ["ed25519", undefined],
  ["ecdsa", { bits: 256 }],
  ["rsa", { bits: 2048 }],
] as const;

describe("isPublicKeyOfType", () => {
  it.each(TYPES)("%s: whole lines, with or without a comment; not cut short, not another type", (type, opts) => {
    const pair = sshKeyPair(type, opts);
    const name = pair.public.split(" ")[0];
    expect(isPublicKeyOfType(pair.public, name)).toBe(true);
    expect(isPublicKeyOfType(`${pair.public} you@laptop (ci)`, name)).toBe(true);
    expect(isPublicKeyOfType(pair.public.slice(0, 60), name)).toBe(false);
    expect(isPublicKeyOfType(pair.public, name === "ssh-rsa" ? "ssh-ed25519" : "ssh-rsa")).toBe(false);
  });
});

describe("inspectPrivateKey", () => {
  it.each(TYPES)("%s in OpenSSH form: the public half, and a passphrase noticed", (type, opts) => {
    const pair = sshKeyPair(type, opts);
    expect(inspectPrivateKey(pair.private)).toEqual({ encrypted: false, publicBlob: hostKeyBlob(pair.public) });
    const locked = sshKeyPair(type, { ...(opts ?? {}), passphrase: "pw", cipher: "aes256-ctr" });
    expect(inspectPrivateKey(locked.private)).toEqual({ encrypted: true });
  });

  it("PEM forms: PKCS#1, SEC1 and PKCS#8, plain or encrypted", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    for (const pem of [
      rsa.export({ format: "pem", type: "pkcs1" }),
      rsa.export({ format: "pem", type: "pkcs8" }),
      ec.export({ format: "pem", type: "sec1" }),
      ec.export({ format: "pem", type: "pkcs8" }),
    ]) {
      const info = inspectPrivateKey(pem as string);
      expect(info?.encrypted).toBe(false);
      expect(info?.publicBlob?.length).toBeGreaterThan(0);
    }
    const locked = rsa.export({ format: "pem", type: "pkcs1", cipher: "aes-256-cbc", passphrase: "pw" });
    expect(inspectPrivateKey(locked as string)).toEqual({ encrypted: true });
  });

  it("the same public half from PKCS#8 (read by Node) as from PKCS#1 (read by ssh2)", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const pkcs1 = inspectPrivateKey(rsa.export({ format: "pem", type: "pkcs1" }) as string);
    const pkcs8 = inspectPrivateKey(rsa.export({ format: "pem", type: "pkcs8" }) as string);
    expect(pkcs8?.publicBlob).toEqual(pkcs1?.publicBlob);
  });

  it("not a key", () => {
    expect(inspectPrivateKey("hunter2")).toBeUndefined();
    expect(
      inspectPrivateKey("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
    ).toBeUndefined();
  });
});
