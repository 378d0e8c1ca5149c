// The environment the Pulumi CLI runs in for local stacks: the toolchain on
// PATH, the file backend in a gitignored folder, a passphrase secrets
// provider, and no attempts to download plugins.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { shellQuote as q } from "../../src/host/ssh";

export const REPO = path.resolve(__dirname, "..", "..");
export const STATE_DIR = path.join(REPO, ".pulumi-state");

/** Builds (first time) or finds the toolchain; returns the directory holding `pulumi`. */
export function toolchainDir(): string {
  return execFileSync("bash", [path.join(REPO, "scripts/toolchain.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

/** A passphrase kept in the state folder, made once: local stacks' secrets are encrypted with it. */
function passphraseFile(): string {
  const file = path.join(STATE_DIR, "passphrase");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(STATE_DIR, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(24).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
  }
  return file;
}

/** What local stacks need on top of the caller's environment; PATH entries to put first. */
function localSettings(backendDir: string): { pathFirst: string[]; vars: Record<string, string> } {
  fs.mkdirSync(backendDir, { recursive: true });
  return {
    pathFirst: [toolchainDir(), path.join(REPO, "node_modules/.bin")],
    vars: {
      PULUMI_BACKEND_URL: `file://${backendDir}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile(),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_HOME: path.join(STATE_DIR, "home"),
    },
  };
}

export function pulumiEnv(backendDir = path.join(STATE_DIR, "backend")): NodeJS.ProcessEnv {
  const { pathFirst, vars } = localSettings(backendDir);
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars, PATH: [...pathFirst, process.env.PATH].join(":") };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_ACCESS_TOKEN;
  return env;
}

// Run directly (scripts/pulumi-env.sh): print the same settings as shell exports.
if (require.main === module) {
  const { pathFirst, vars } = localSettings(path.join(STATE_DIR, "backend"));
  console.log(`export PATH=${q(pathFirst.join(":"))}:"$PATH"`);
  for (const [k, v] of Object.entries(vars)) console.log(`export ${k}=${q(v)}`);
  console.log("unset PULUMI_CONFIG_PASSPHRASE");
}
