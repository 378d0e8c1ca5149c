// HTTPS policy (src/config/https.ts) and what the site program does with it.
import { describe, expect, it } from "vitest";
import { defineSiteProgram } from "../src/components/nginxSite";
import { certificateScript } from "../src/components/https";
import { acmeDirectory, httpsCheckAddress, httpsEnabled, httpsPortSuffix } from "../src/config/https";
import type { SiteConfig } from "../src/config/types";
import { TLS_DEFAULT } from "./support/siteDefaults";

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

  it("acme and off are what they say, whatever the names", () => {
    expect(httpsEnabled(site("app.test", { mode: "acme" }))).toBe(true);
    expect(httpsEnabled(site("shop.io", { mode: "off" }))).toBe(false);
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
