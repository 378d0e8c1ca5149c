// A certificate the user gives (site.tls.mode "provided"), checked before anything changes: a
// pair that cannot serve the site would otherwise be found out by the host's check, mid-deploy,
// or by the visitors. Messages name the setting and never show the key.
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import * as net from "node:net";
import { Problems } from "./readers";
import { SETTINGS } from "./settings";

const CERTIFICATE = "site.tls.certificate";
const KEY = "tlsPrivateKey";
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const DAY = 86400_000;
/** A deploy with a certificate this close to its expiry says so: renewing it is the user's job. */
export const EXPIRY_WARNING_DAYS = 14;

/** The chain's certificates, the site's first; undefined (recorded) when one does not parse. */
function readChain(p: Problems, pem: string): X509Certificate[] | undefined {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  const chain: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      chain.push(new X509Certificate(block));
    } catch {
      p.add(CERTIFICATE, `certificate ${i + 1} of ${blocks.length} is not a readable X.509 certificate`);
      return undefined;
    }
  }
  return chain.length > 0 ? chain : undefined;
}

function readKey(p: Problems, pem: string): KeyObject | undefined {
  if (/BEGIN ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    p.add(KEY, "is protected by a passphrase; set it without one (openssl pkey -in KEYFILE -out PLAINFILE)");
    return undefined;
  }
  try {
    return createPrivateKey(pem);
  } catch {
    // The parser's error is not shown: it may quote the input.
    p.add(KEY, `expected ${SETTINGS.tlsPrivateKey.expected} (value not shown)`);
    return undefined;
  }
}

function covers(leaf: X509Certificate, name: string): boolean {
  return (net.isIP(name) ? leaf.checkIP(name) : leaf.checkHost(name)) !== undefined;
}

/**
 * The pair serves every name of site.serverName now: the chain parses and is in order, the first
 * certificate covers each name, the key is its key, and it is valid today.
 */
export function checkProvidedCertificate(
  p: Problems,
  a: { certificate: string; privateKey: string; names: string[]; now?: Date },
): void {
  const chain = readChain(p, a.certificate);
  const key = readKey(p, a.privateKey);
  if (!chain) return;
  const [leaf] = chain;
  for (let i = 1; i < chain.length; i++) {
    if (!chain[i - 1].checkIssued(chain[i])) {
      p.add(
        CERTIFICATE,
        `certificate ${i + 1} did not issue certificate ${i}: give the site's certificate first, then each issuer in turn`,
      );
    }
  }
  for (const name of a.names.filter((n) => !covers(leaf, n))) {
    p.add(CERTIFICATE, `does not cover "${name}" (it names ${leaf.subjectAltName ?? leaf.subject})`);
  }
  const now = a.now ?? new Date();
  if (new Date(leaf.validTo) <= now) {
    p.add(CERTIFICATE, `expired on ${leaf.validTo}; set a current one`);
  } else if (new Date(leaf.validFrom) > now) {
    p.add(CERTIFICATE, `is not valid before ${leaf.validFrom}`);
  }
  if (key && !leaf.checkPrivateKey(key)) {
    p.add(KEY, `is not the key of ${CERTIFICATE} (its first certificate); set the key made with it (value not shown)`);
  }
}

/** A warning when the certificate expires within EXPIRY_WARNING_DAYS; the config check refused an expired one. */
export function expiryWarning(certificate: string, now = new Date()): string | undefined {
  const [leafPem] = certificate.match(PEM_BLOCK) ?? [];
  if (!leafPem) return undefined;
  const validTo = new X509Certificate(leafPem).validTo;
  const days = Math.floor((new Date(validTo).getTime() - now.getTime()) / DAY);
  if (days >= EXPIRY_WARNING_DAYS) return undefined;
  return `${CERTIFICATE} expires on ${validTo} (in ${days} days); set a renewed certificate and key, then pulumi up`;
}
