// The app's source: a local directory, or a git ref resolved to a commit and
// exported. Both end as a tarball to upload and a digest of the content,
// which is what release ids are made of (never timestamps).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Never part of a release: caches, VCS data, local venvs and collected static files.
const EXCLUDED = new Set(["__pycache__", ".git", "venv", ".venv", "static", "node_modules", ".env"]);

export interface PackedSource {
  /** sha256 over every file's path, mode and content. */
  digest: string;
  /** sha256 of requirements.txt alone: venvs are shared by releases that agree on it. */
  requirementsDigest: string;
  /** A gzipped tarball of the source, in the OS temp directory. */
  archive: string;
}

/** The files that go to the host, relative to `root`, sorted. */
export function listFiles(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    // Only the top-level static/ is output (collectstatic); app static dirs are source.
    if (EXCLUDED.has(entry.name) && (entry.name !== "static" || rel === "")) continue;
    if (entry.name.endsWith(".pyc")) continue;
    const relPath = path.posix.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, relPath));
    else if (entry.isFile()) out.push(relPath);
  }
  return out.sort();
}

export function digestDirectory(dir: string): string {
  const hash = crypto.createHash("sha256");
  for (const file of listFiles(dir)) {
    const full = path.join(dir, file);
    const executable = (fs.statSync(full).mode & 0o111) !== 0;
    hash.update(`${file}\0${executable ? "x" : "-"}\0`);
    hash.update(fs.readFileSync(full));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Packs a local directory; the tarball is reused when the content is unchanged. */
export function packDirectory(dir: string): PackedSource {
  const digest = digestDirectory(dir);
  const requirements = fs.readFileSync(path.join(dir, "requirements.txt"));
  const requirementsDigest = crypto.createHash("sha256").update(requirements).digest("hex");
  const archive = path.join(os.tmpdir(), `djangozd-source-${digest.slice(0, 16)}.tar.gz`);
  if (!fs.existsSync(archive)) {
    const listing = path.join(os.tmpdir(), `djangozd-files-${digest.slice(0, 16)}-${process.pid}`);
    fs.writeFileSync(listing, listFiles(dir).join("\n") + "\n");
    const partial = `${archive}.${process.pid}`;
    execFileSync("tar", ["-czf", partial, "-C", dir, "--owner=0", "--group=0", "--numeric-owner", "-T", listing]);
    fs.renameSync(partial, archive);
    fs.rmSync(listing);
  }
  return { digest, requirementsDigest, archive };
}

/** Resolves a git ref to its commit and exports that commit as a directory (cached by commit). */
export function exportGitRef(url: string, ref: string): { commit: string; dir: string } {
  const commit = /^[0-9a-f]{40}$/.test(ref) ? ref : resolveRef(url, ref);
  const dir = path.join(os.tmpdir(), `djangozd-git-${commit}`);
  if (!fs.existsSync(dir)) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "djangozd-clone-"));
    try {
      execFileSync("git", ["init", "-q", work]);
      execFileSync("git", ["-C", work, "fetch", "-q", "--depth", "1", url, commit], { stdio: "pipe" });
      const partial = `${dir}.${process.pid}`;
      fs.mkdirSync(partial);
      execFileSync("sh", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", work, commit, partial]);
      fs.renameSync(partial, dir);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  return { commit, dir };
}

function resolveRef(url: string, ref: string): string {
  let out: string;
  try {
    out = execFileSync("git", ["ls-remote", url, ref, `refs/tags/${ref}^{}`], { encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    throw new Error(`app.git: cannot read ${url}: ${(err as Error).message.split("\n")[0]}`);
  }
  const lines = out.trim().split("\n").filter(Boolean);
  // A peeled annotated tag names the commit; otherwise the ref itself does.
  const line = lines.find((l) => l.endsWith("^{}")) ?? lines[0];
  if (!line) throw new Error(`app.git: ref "${ref}" not found in ${url}`);
  return line.split("\t")[0];
}
