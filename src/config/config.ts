// Stack configuration: read from `pulumi config`, checked as a whole, and
// turned into the defaulted `DeployConfig` before any resource exists.
//
// `validateConfig` is pure (it only looks at the local source directory) and
// reports every problem at once, each message naming the setting's path and
// what is expected, e.g. `app.workers: expected a whole number from 1 to 64,
// got "lots"`. `loadConfig` is the thin Pulumi layer around it.
//
// This file is the public face; the work is done in: settings.ts (every
// setting, once), readers.ts (how values are read), formats.ts, rules.ts
// (rules between settings), secrets.ts, pulumiConfig.ts and docs.ts.
import { checkAll } from "./rules";
import type { RawConfig } from "./secrets";
import type { DeployConfig } from "./types";

export { isCidr, isListen } from "./formats";
export { formatConfigErrors, loadConfig, readRawConfig } from "./pulumiConfig";
export type { RawConfig } from "./secrets";
export { appConfig, siteConfig, type Settings } from "./sections";

/**
 * Checks raw stack config and applies defaults. Pure apart from looking at
 * `app.source` on disk. Returns the config only when there are no errors;
 * otherwise every problem, one message each, in a stable order.
 */
export function validateConfig(raw: RawConfig): { config?: Omit<DeployConfig, "secrets">; errors: string[] } {
  const { config, errors } = checkAll(raw);
  return config ? { config, errors } : { errors };
}
