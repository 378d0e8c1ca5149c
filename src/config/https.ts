// Whether the site gets HTTPS, and where it answers: site.tls.mode "auto" means HTTPS for names a
// public CA can issue for, so a site on "_", an IP or a reserved test name stays on plain HTTP;
// "provided" means HTTPS with the user's certificate, no ACME.
import * as net from "node:net";
import { DOMAIN, listenPort } from "./formats";
import type { SiteConfig } from "./types";

// RFC 2606 and RFC 6761 names, and the private-use ones people use on a LAN: no public certificate.
const RESERVED = /(^|\.)(localhost|test|example|invalid|local|internal|lan|home\.arpa)$|(^|\.)example\.(com|net|org)$/i;

/** The site's names, as nginx's server_name lists them. */
export function siteNames(site: Pick<SiteConfig, "serverName">): string[] {
  return site.serverName.split(/\s+/).filter((n) => n && n !== "_");
}

/** True when certbot gets the certificate from an ACME server (and renews it on the host). */
export function acmeEnabled(site: Pick<SiteConfig, "serverName" | "tls">): boolean {
  if (site.tls.mode !== "auto") return site.tls.mode === "acme";
  const names = siteNames(site);
  return names.length > 0 && names.every((n) => DOMAIN.test(n) && net.isIP(n) === 0 && !RESERVED.test(n));
}

/** True when `pulumi up` installs a certificate (from ACME, or the one given) and serves HTTPS. */
export function httpsEnabled(site: Pick<SiteConfig, "serverName" | "tls">): boolean {
  return site.tls.mode === "provided" || acmeEnabled(site);
}

/** The ACME directory: tls.directoryUrl, else Let's Encrypt's (staging with tls.staging). */
export function acmeDirectory(tls: SiteConfig["tls"]): string {
  if (tls.directoryUrl) return tls.directoryUrl;
  return tls.staging
    ? "https://acme-staging-v02.api.letsencrypt.org/directory"
    : "https://acme-v02.api.letsencrypt.org/directory";
}

/** What to append to a host name in an https URL: nothing for 443. */
export function httpsPortSuffix(tls: SiteConfig["tls"]): string {
  const port = listenPort(tls.listen);
  return port === 443 ? "" : `:${port}`;
}

/** Where the host itself reaches the HTTPS listener (its check before redirecting), as "address:port". */
export function httpsCheckAddress(tls: SiteConfig["tls"]): string {
  const port = listenPort(tls.listen);
  const at = tls.listen.lastIndexOf(":");
  const host = at < 0 ? "" : tls.listen.slice(0, at).replace(/^\[|\]$/g, "");
  if (host === "" || host === "0.0.0.0") return `127.0.0.1:${port}`;
  if (host === "::") return `[::1]:${port}`;
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
