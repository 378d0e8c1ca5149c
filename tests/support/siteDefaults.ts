import type { SiteConfig } from "../../src/config/types";

/** site.tls with nothing set: "auto" (HTTPS only for public domain names). */
export const TLS_DEFAULT: SiteConfig["tls"] = { mode: "auto", staging: false, listen: "443", hstsMaxAge: 0 };
