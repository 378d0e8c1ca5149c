// One object of settings checked on its own, for programs that use the
// components as a library: the same table, defaults and messages as the
// stack's config, without the rest of a stack (host, secrets).
import { Problems, readField, type Format } from "./readers";
import { SETTINGS } from "./settings";
import type { AppConfig, SiteConfig } from "./types";

/** What a program may leave out: every setting that has a default, at any depth. */
export type Settings<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: Settings<T[K]> } : T;

function checked<T>(key: string, value: unknown, format: Format<T>): T {
  const p = new Problems();
  const read = readField(p, key, value ?? {}, { ...format, help: "" }, new Map());
  if (p.list.length > 0 || read === undefined) {
    throw new Error([`Invalid ${key} settings:`, ...p.list.map((e) => `  - ${e}`)].join("\n"));
  }
  return read;
}

/** The stack's `app` settings, checked and with defaults filled in; throws listing every problem. */
export function appConfig(settings: Settings<AppConfig>): AppConfig {
  return checked("app", settings, SETTINGS.app);
}

/** The stack's `site` settings, checked and with defaults filled in; throws listing every problem. */
export function siteConfig(settings: Settings<SiteConfig> = {}): SiteConfig {
  return checked("site", settings, SETTINGS.site);
}
