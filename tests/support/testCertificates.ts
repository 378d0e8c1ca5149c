// Certificates for the tests of site.tls.mode "provided": a CA of their own and certificates it
// issues, made with the openssl CLI (what a user's CA would hand over: PEM files).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface TestCa {
  /** The CA's certificate (clients trust it to check the site). */
  certificate: string;
  key: string;
}

export interface IssuedCertificate {
  /** The site's certificate (PEM). */
  certificate: string;
  /** Its private key (PEM, PKCS#8, no passphrase). */
  privateKey: string;
  /** As node's tls prints it: upper-case hex. */
  serial: string;
}

function inTempDir<T>(work: (dir: string, openssl: (...args: string[]) => string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-certs-"));
  try {
    return work(dir, (...args) => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: "pipe" }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export function makeTestCa(name = "Provided Test CA"): TestCa {
  return inTempDir((dir, openssl) => {
    openssl("req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", `/CN=${name}`);
    return {
      certificate: fs.readFileSync(path.join(dir, "ca.pem"), "utf8"),
      key: fs.readFileSync(path.join(dir, "ca.key"), "utf8"),
    };
  });
}

/** A certificate for `names` (DNS names), signed by `ca`, valid from now for `days`. */
export function issueCertificate(ca: TestCa, names: string[], days = 30): IssuedCertificate {
  return inTempDir((dir, openssl) => {
    fs.writeFileSync(path.join(dir, "ca.pem"), ca.certificate);
    fs.writeFileSync(path.join(dir, "ca.key"), ca.key, { mode: 0o600 });
    fs.writeFileSync(
      path.join(dir, "ext.cnf"),
      [
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
      ].join("\n"),
    );
    openssl("req", "-new", ...EC_KEY, "-keyout", "site.key", "-out", "site.csr", "-subj", `/CN=${names[0]}`);
    // First byte 0x10–0x7f: no leading zero or sign byte, so node prints it as written here.
    const serial =
      (0x10 + crypto.randomInt(0x70)).toString(16).toUpperCase() + crypto.randomBytes(7).toString("hex").toUpperCase();
    openssl(
      "x509",
      "-req",
      "-in",
      "site.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-set_serial",
      `0x${serial}`,
      "-days",
      String(days),
      "-extfile",
      "ext.cnf",
      "-out",
      "site.pem",
    );
    return {
      certificate: fs.readFileSync(path.join(dir, "site.pem"), "utf8"),
      privateKey: fs.readFileSync(path.join(dir, "site.key"), "utf8"),
      serial,
    };
  });
}
