// The secret settings: each must be set with --secret, and no message ever
// shows a secret's value. The deploy key must also be usable: a private key
// block without a passphrase, matching droplet.sshPublicKey.
import { inspectPrivateKey } from "../host/sshKeys";
import { checkNotProvided } from "./envNames";
import { checkEnvName } from "./formats";
import { isObj, join, missing, Problems } from "./readers";
import { SETTINGS } from "./settings";
import type { DropletHost, EnvNames } from "./types";

/** Stack config as Pulumi hands it over, before any checking. */
export interface RawConfig {
  /** Top-level key (without the "<project>:" prefix) → parsed value: objects for structured config, else scalars. */
  values: Record<string, unknown>;
  /** Keys that were set with `--secret`. */
  secretKeys: Set<string>;
}

/** The secrets' plain values after checking; `loadConfig` wraps them as secret Outputs. */
export interface SecretValues {
  sshPrivateKey: string;
  djangoSecretKey: string;
  dbPassword: string;
  /** site.tls.certificate's key; "" unless site.tls.mode is "provided". */
  tlsPrivateKey: string;
  /** database.backupCopy's access key secret; "" without a copy. */
  backupCopySecretKey: string;
  env: Record<string, string>;
}

type SecretText = "sshPrivateKey" | "djangoSecretKey" | "dbPassword" | "tlsPrivateKey" | "backupCopySecretKey";

/** A secret string: present, set with --secret, non-empty. Its value never appears in a message. */
export function secretText(p: Problems, raw: RawConfig, key: SecretText, required: boolean): string | undefined {
  const v = raw.values[key];
  if (missing(v)) {
    if (required) p.add(key, `required; set it with pulumi config set --secret ${key} …`);
    return undefined;
  }
  if (!raw.secretKeys.has(key)) p.add(key, `must be set with --secret (pulumi config set --secret ${key} …)`);
  return SETTINGS[key].read(p, key, v, new Map());
}

export function checkSshPrivateKey(p: Problems, raw: RawConfig, host: DropletHost | undefined): string | undefined {
  const key = secretText(p, raw, "sshPrivateKey", true);
  if (key === undefined) return undefined;
  const info = inspectPrivateKey(key);
  if (!info) {
    p.add("sshPrivateKey", `expected ${SETTINGS.sshPrivateKey.expected} (value not shown)`);
    return undefined;
  }
  if (info.encrypted) {
    p.add(
      "sshPrivateKey",
      'is protected by a passphrase; set a key without one (ssh-keygen -p -N "" -f KEYFILE removes it)',
    );
    return undefined;
  }
  if (info.pkcs8) {
    // The deploy connects with ssh2, which reads OpenSSH and PEM (PKCS#1, SEC1) keys only.
    p.add(
      "sshPrivateKey",
      'is a PKCS#8 key ("BEGIN PRIVATE KEY"), which the SSH client cannot use; rewrite it in OpenSSH form (ssh-keygen -p -N "" -f KEYFILE) or make a new key (ssh-keygen -t ed25519 -N "" -f KEYFILE)',
    );
    return undefined;
  }
  if (host && info.publicBlob) {
    const configured = Buffer.from(host.sshPublicKey.split(" ")[1], "base64");
    if (!configured.equals(info.publicBlob)) {
      p.add(
        "droplet.sshPublicKey",
        "does not match sshPrivateKey (ssh-keygen -y -f KEYFILE prints the matching public key)",
      );
    }
  }
  return key;
}

/** `secretEnv`: like app.env, but secret; no name may be in both, nor be one the deploy fills (app.envNames). */
export function checkSecretEnv(
  p: Problems,
  raw: RawConfig,
  plainEnv: Record<string, string>,
  envNames: EnvNames | undefined,
): Record<string, string> {
  const v = raw.values.secretEnv;
  const env: Record<string, string> = {};
  if (missing(v)) return env;
  if (!raw.secretKeys.has("secretEnv")) {
    p.add("secretEnv", "must be set with --secret (pulumi config set --secret --path secretEnv.NAME …)");
  }
  if (!isObj(v)) {
    p.add("secretEnv", `expected ${SETTINGS.secretEnv.expected} (value not shown)`);
    return env;
  }
  const plainNames = { names: new Set(Object.keys(plainEnv)), where: "app.env" };
  for (const [name, value] of Object.entries(v)) {
    const at = join("secretEnv", name);
    const ok = checkEnvName(p, at, name, plainNames);
    if (ok) checkNotProvided(p, "secretEnv", [name], envNames ?? {});
    const s =
      typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) ? String(value) : value;
    if (typeof s !== "string" || s === "") p.add(at, "expected a non-empty string (value not shown)");
    else if (ok) env[name] = s;
  }
  return env;
}
