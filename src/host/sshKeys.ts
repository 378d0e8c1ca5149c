// SSH keys: the wire format, and reading keys as users paste them (an
// authorized-keys line, a private key block). Config checking, the droplet's
// host key and the SSH client use these. ssh2's `utils.parseKey` does the
// parsing where it can; it reads no PKCS#8 ("BEGIN PRIVATE KEY"), so Node's
// crypto reads those.
import * as crypto from "node:crypto";
import { utils } from "ssh2";

export function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SSH wire encoding: each part as a length-prefixed string. */
export function wire(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [uint32(p.length), p]));
}

/** An unsigned big-endian integer in SSH "mpint" form. */
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const trimmed = b.subarray(i);
  return trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

/** The key blob of an authorized-keys line, to compare with what the server presents. */
export function hostKeyBlob(hostKey: string): Buffer {
  const parts = hostKey.trim().split(/\s+/);
  if (parts.length < 2) throw new Error(`host key "${hostKey}" is not in authorized-keys form ("ssh-ed25519 AAAA…")`);
  return Buffer.from(parts[1], "base64");
}

/** Whether an authorized-keys line's data really holds a whole key of the type it names. */
export function isPublicKeyOfType(line: string, type: string): boolean {
  const key = utils.parseKey(line);
  return !(key instanceof Error) && !Array.isArray(key) && key.type === type && !key.isPrivateKey();
}

const PRIVATE_KEY_BLOCK =
  /^-----BEGIN ((?:OPENSSH |RSA |EC |ENCRYPTED )?PRIVATE KEY)-----\r?\n([\s\S]+?)\r?\n-----END \1-----\s*$/;

export interface PrivateKeyInfo {
  encrypted: boolean;
  /** PKCS#8 ("BEGIN PRIVATE KEY"): Node reads it, the SSH client (ssh2) cannot. */
  pkcs8?: boolean;
  /** The public key blob, when it could be worked out. */
  publicBlob?: Buffer;
}

/** Reads an OpenSSH or PEM private key; undefined when it is not one. Only the structure is examined. */
export function inspectPrivateKey(value: string): PrivateKeyInfo | undefined {
  const m = PRIVATE_KEY_BLOCK.exec(value.trim());
  if (!m) return undefined;
  const kind = m[1];
  if (kind === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(m[2])) return { encrypted: true };
  if (kind === "PRIVATE KEY") return inspectPkcs8(value);
  const parsed = utils.parseKey(value);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error) {
    if (/no passphrase given/.test(key.message)) return { encrypted: true };
    // A PEM key ssh2 cannot read: the structure check above is all we can do.
    return kind === "OPENSSH PRIVATE KEY" ? undefined : { encrypted: false };
  }
  return { encrypted: false, publicBlob: key.getPublicSSH() };
}

function inspectPkcs8(value: string): PrivateKeyInfo {
  try {
    const jwk = crypto.createPublicKey(crypto.createPrivateKey(value)).export({ format: "jwk" });
    const b = (s: string | undefined) => Buffer.from(s ?? "", "base64url");
    if (jwk.kty === "OKP" && jwk.crv === "Ed25519")
      return { encrypted: false, pkcs8: true, publicBlob: wire(Buffer.from("ssh-ed25519"), b(jwk.x)) };
    if (jwk.kty === "RSA")
      return {
        encrypted: false,
        pkcs8: true,
        publicBlob: wire(Buffer.from("ssh-rsa"), mpint(b(jwk.e)), mpint(b(jwk.n))),
      };
    if (jwk.kty === "EC" && jwk.crv === "P-256") {
      const point = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
      return {
        encrypted: false,
        pkcs8: true,
        publicBlob: wire(Buffer.from("ecdsa-sha2-nistp256"), Buffer.from("nistp256"), point),
      };
    }
    return { encrypted: false, pkcs8: true };
  } catch {
    // Not a key Node can read: the structure check above is all we can do.
    return { encrypted: false, pkcs8: true };
  }
}
