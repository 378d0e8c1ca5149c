// Release and venv ids: short digests of everything that makes a release
// different. Same inputs, same id: an unchanged stack is a no-op, and
// returning to an earlier version finds that release still on the host.
import * as crypto from "crypto";
import { shellQuote } from "../host/ssh";

export interface ReleaseIdentity {
  sourceDigest: string;
  requirementsDigest: string;
  python: string;
  /** The manage.py commands run before the switch: part of what the release is. */
  manage: string[];
  /** app.sharedDirs: which of its directories the release links to the shared ones. */
  sharedDirs: string[];
  /** The server's packages (appServer.ts): they are in the release's venv. */
  serverPackages: string;
  /** The settings file's content; secrets enter only through this digest. */
  settings: string;
}

function short(...parts: string[]): string {
  const hash = crypto.createHash("sha256");
  for (const p of parts) hash.update(p).update("\0");
  return hash.digest("hex").slice(0, 12);
}

/** 8 hex digits naming one definition of a program (see hostFacts.programName). */
export function programVariant(definition: string): string {
  return short("program", definition).slice(0, 8);
}

export function releaseId(r: ReleaseIdentity): string {
  return short(
    "release",
    r.sourceDigest,
    r.requirementsDigest,
    r.python,
    r.manage.join("\n"),
    r.sharedDirs.join("\n"),
    r.serverPackages,
    short("settings", r.settings),
  );
}

/** `serverPackages`: what the release adds when the requirements lack it (appServer.ts). */
export function venvId(requirementsDigest: string, python: string, serverPackages: string): string {
  return short("venv", requirementsDigest, python, serverPackages);
}

/** An env file that bash can source: KEY='value' lines, sorted for a stable digest. */
export function envFile(vars: Record<string, string>): string {
  return Object.keys(vars)
    .sort()
    .map((k) => `${k}=${shellQuote(vars[k])}\n`)
    .join("");
}
