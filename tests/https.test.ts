// HTTPS policy (src/config/https.ts) and what the site program does with it.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { defineSiteProgram } from "../src/components/nginxSite";
import { certificateScript, providedCertificateScript } from "../src/components/https";
import { acmeDirectory, acmeEnabled, httpsCheckAddress, httpsEnabled, httpsPortSuffix } from "../src/config/https";
import { checkProvidedCertificate, expiryWarning } from "../src/config/providedCertificate";
import { Problems } from "../src/config/readers";
import type { SiteConfig } from "../src/config/types";
import { TLS_DEFAULT } from "./support/siteDefaults";
import { issueCertificate, makeTestCa } from "./support/testCertificates";

const site = (serverName: string, tls: Partial<SiteConfig["tls"]> = {}): SiteConfig => ({
  serverName,
  listen: "80",
  clientMaxBodySize: "10m",
  static: "nginx",
  tls: { ...TLS_DEFAULT, ...tls },
});

describe("site.tls.mode auto", () => {
  it.each([
    ["example.org", false], // RFC 2606
    ["shop.example.com www.shop.example.com", false],
    ["_", false],
    ["localhost", false],
    ["203.0.113.10", false],
    ["app.test", false],
    ["nas.local", false],
    ["*.shop.io", false], // a wildcard needs DNS-01
    ["shop.io www.shop.io", true],
    ["shop.io app.internal", false], // every name must be public
  ])("%s → HTTPS %s", (names, expected) => {
    expect(httpsEnabled(site(names))).toBe(expected);
  });

  it("acme, provided and off are what they say, whatever the names; ACME only for acme and auto", () => {
    expect(httpsEnabled(site("app.test", { mode: "acme" }))).toBe(true);
    expect(httpsEnabled(site("shop.io", { mode: "off" }))).toBe(false);
    expect(httpsEnabled(site("app.test", { mode: "provided" }))).toBe(true);
    expect(acmeEnabled(site("shop.io", { mode: "provided" }))).toBe(false);
    expect(acmeEnabled(site("shop.io"))).toBe(true);
    expect(acmeEnabled(site("app.test", { mode: "acme" }))).toBe(true);
  });
});

describe("where ACME and HTTPS are", () => {
  it("Let's Encrypt by default, its staging server on request, any directory when set", () => {
    expect(acmeDirectory(TLS_DEFAULT)).toBe("https://acme-v02.api.letsencrypt.org/directory");
    expect(acmeDirectory({ ...TLS_DEFAULT, staging: true })).toBe(
      "https://acme-staging-v02.api.letsencrypt.org/directory",
    );
    expect(acmeDirectory({ ...TLS_DEFAULT, staging: true, directoryUrl: "https://ca.lan/dir" })).toBe(
      "https://ca.lan/dir",
    );
  });

  it.each([
    ["443", "", "127.0.0.1:443"],
    ["8443", ":8443", "127.0.0.1:8443"],
    ["0.0.0.0:443", "", "127.0.0.1:443"],
    ["127.0.0.2:8443", ":8443", "127.0.0.2:8443"],
    ["[::]:443", "", "[::1]:443"],
    ["[2001:db8::1]:443", "", "[2001:db8::1]:443"],
  ])("listen %s: URL suffix %j, checked at %s", (listen, suffix, check) => {
    expect(httpsPortSuffix({ ...TLS_DEFAULT, listen })).toBe(suffix);
    expect(httpsCheckAddress({ ...TLS_DEFAULT, listen })).toBe(check);
  });
});

describe("the site program with HTTPS", () => {
  const conf = (s: SiteConfig) => defineSiteProgram({ app: "hc", site: s, hostId: "h" }).start;

  it("redirects plain HTTP only while the HTTPS flag exists, never ACME's challenges", () => {
    const c = conf(site("shop.io www.shop.io", { listen: "8443", hstsMaxAge: 31536000 }));
    expect(c).toContain("if (-f /srv/hc/tls/https-on)");
    expect(c).toContain('if ($to_https = "http:0:on")');
    expect(c).toContain("return 301 https://$host:8443$request_uri;");
    expect(c).toContain("location ^~ /.well-known/acme-challenge/ {");
    expect(c).toContain("root /srv/hc/acme;");
    expect(c).toContain('https "max-age=31536000";');
  });

  it("sends no HSTS header when hstsMaxAge is 0, and has no HTTPS parts without HTTPS", () => {
    expect(conf(site("shop.io"))).not.toContain("Strict-Transport-Security");
    const plain = conf(site("example.com"));
    expect(plain).not.toContain("to_https");
    expect(plain).not.toContain("acme-challenge");
  });
});

describe("the certificate step", () => {
  it("asks for every site name, with the e-mail and server given, and carries no secret", () => {
    const s = certificateScript("hc", site("shop.io www.shop.io", { email: "ops@shop.io", staging: true }));
    expect(s).toContain("DOMAINS='shop.io www.shop.io'");
    expect(s).toContain("EMAIL='ops@shop.io'");
    expect(s).toContain("SERVER='https://acme-staging-v02.api.letsencrypt.org/directory'");
    expect(s).toContain("--reuse-key");
  });
});

describe("a provided certificate", () => {
  const ca = makeTestCa();
  const issued = issueCertificate(ca, ["shop.io", "*.shop.io"]);
  const check = (certificate: string, names: string[], now = new Date()) => {
    const p = new Problems();
    checkProvidedCertificate(p, { certificate, privateKey: issued.privateKey, names, now });
    return p.list;
  };

  it("covers names through its wildcard, with its chain given leaf first", () => {
    expect(check(`${issued.certificate}${ca.certificate}`, ["shop.io", "api.shop.io"])).toEqual([]);
  });

  it("refuses a chain out of order, and one not yet valid", () => {
    expect(check(`${ca.certificate}${issued.certificate}`, ["shop.io"])).toEqual([
      "site.tls.certificate: certificate 2 did not issue certificate 1: give the site's certificate first, then each issuer in turn",
      'site.tls.certificate: does not cover "shop.io" (it names CN=Provided Test CA)',
      "tlsPrivateKey: is not the key of site.tls.certificate (its first certificate); set the key made with it (value not shown)",
    ]);
    const yesterday = new Date(Date.now() - 86400_000);
    expect(check(issued.certificate, ["shop.io"], yesterday)).toEqual([
      `site.tls.certificate: is not valid before ${new X509Certificate(issued.certificate).validFrom}`,
    ]);
  });

  it("refuses a key protected by a passphrase (nginx could not read it)", () => {
    const locked = execFileSync("openssl", ["pkey", "-aes256", "-passout", "pass:x"], {
      input: issued.privateKey,
      encoding: "utf8",
    });
    const p = new Problems();
    checkProvidedCertificate(p, { certificate: issued.certificate, privateKey: locked, names: ["shop.io"] });
    expect(p.list).toEqual([
      "tlsPrivateKey: is protected by a passphrase; set it without one (openssl pkey -in KEYFILE -out PLAINFILE)",
    ]);
  });

  it("warns in its last two weeks", () => {
    const validTo = new Date(new X509Certificate(issued.certificate).validTo);
    expect(expiryWarning(issued.certificate)).toBeUndefined();
    expect(expiryWarning(issued.certificate, new Date(validTo.getTime() - 3.5 * 86400_000))).toBe(
      `site.tls.certificate expires on ${new X509Certificate(issued.certificate).validTo} (in 3 days); set a renewed certificate and key, then pulumi up`,
    );
  });

  it("goes to the host as an input of the step; the key is not the script's to carry", () => {
    const s = providedCertificateScript("hc", site("shop.io", { mode: "provided", certificate: issued.certificate }));
    expect(s).toContain(`CERTIFICATE='${issued.certificate.trim()}'`);
    expect(s).toContain("key=$(cat)");
    expect(s).not.toContain("PRIVATE KEY-----\n");
  });
});
