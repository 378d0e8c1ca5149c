// The Pulumi layer: reads this project's stack config as it is, finds out
// which keys were set with --secret, and hands the checked config over with
// the secrets as secret Outputs.
import * as pulumi from "@pulumi/pulumi";
import { checkAll, STRUCTURED_KEYS } from "./rules";
import type { RawConfig } from "./secrets";
import type { DeployConfig } from "./types";

/** One message for all problems, as `loadConfig` throws it. */
export function formatConfigErrors(errors: string[]): string {
  return ["Invalid stack configuration:", ...errors.map((e) => `  - ${e}`)].join("\n");
}

/**
 * Whether a config key was set with --secret. @pulumi/pulumi 3.182 has no
 * public API for this: `runtime.isConfigSecret` exists (marked internal, not
 * in the typings) and reads the same store as the config itself, so it also
 * sees `runtime.setAllConfig` (Automation API, tests). Fallback: the
 * language host's PULUMI_CONFIG_SECRET_KEYS variable (a JSON list of full keys).
 */
function isSetAsSecret(namespace: string, key: string): boolean {
  const candidates = [`${namespace}:${key}`, `${namespace}:config:${key}`];
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") return candidates.some((k) => runtime.isConfigSecret!(k));
  try {
    const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
    return Array.isArray(keys) && candidates.some((k) => keys.includes(k));
  } catch {
    return false;
  }
}

/** Reads every key of this project's namespace: objects parsed, everything else as text. */
export function readRawConfig(cfg: pulumi.Config = new pulumi.Config()): RawConfig {
  const prefix = `${cfg.name}:`;
  const keys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(prefix))
    .map((k) => k.slice(prefix.length));
  const values: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const key of keys) {
    if (STRUCTURED_KEYS.includes(key)) {
      try {
        values[key] = cfg.getObject(key);
      } catch {
        values[key] = cfg.get(key); // not JSON: reported as "expected an object"
      }
    } else {
      values[key] = cfg.get(key);
    }
    if (isSetAsSecret(cfg.name, key)) secretKeys.add(key);
  }
  return { values, secretKeys };
}

/**
 * The stack's checked config, secrets as secret Outputs. Throws one error
 * listing every problem, so `pulumi preview`/`up` stop before any resource.
 */
export function loadConfig(): DeployConfig {
  const cfg = new pulumi.Config();
  const { config, secrets, errors } = checkAll(readRawConfig(cfg));
  if (!config || !secrets) throw new pulumi.RunError(formatConfigErrors(errors));
  return {
    ...config,
    secrets: {
      sshPrivateKey: cfg.requireSecret("sshPrivateKey"),
      djangoSecretKey: cfg.requireSecret("djangoSecretKey"),
      dbPassword: config.database.kind === "local" ? cfg.requireSecret("dbPassword") : pulumi.secret(""),
      tlsPrivateKey: config.site.tls.mode === "provided" ? cfg.requireSecret("tlsPrivateKey") : pulumi.secret(""),
      backupCopySecretKey:
        config.database.kind === "local" && config.database.backupCopy
          ? cfg.requireSecret("backupCopySecretKey")
          : pulumi.secret(""),
      env: pulumi.secret(secrets.env),
    },
  };
}
