// The app's source: a local directory, or a git ref resolved to a commit and
// exported. Both end as a tarball to upload and a digest of the content,
// which is what release ids are made of (never timestamps).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ShippedFiles, shippedFiles } from "./shipped";

export interface PackedSource {
  /** sha256 over every shipped file's path, mode and content. */
  digest: string;
  /** sha256 of requirements.txt and the files it includes: venvs are shared by releases that agree on it. */
  requirementsDigest: string;
  /** A gzipped tarball of the shipped files, in this user's source cache. */
  archive: string;
  /** What was shipped: how many files, how big, how they were chosen. */
  shipped: Omit<ShippedFiles, "files"> & { count: number };
}

/** The files that go to the host, relative to `root`, sorted (shipped.ts chooses them). */
export function listFiles(root: string, exclude: string[] = []): string[] {
  return shippedFiles(root, exclude).files;
}

function digestFiles(dir: string, files: string[]): string {
  const hash = crypto.createHash("sha256");
  for (const file of files) {
    const full = path.join(dir, file);
    const executable = (fs.statSync(full).mode & 0o111) !== 0;
    hash.update(`${file}\0${executable ? "x" : "-"}\0`);
    hash.update(fs.readFileSync(full));
    hash.update("\0");
  }
  return hash.digest("hex");
}

export function digestDirectory(dir: string, exclude: string[] = []): string {
  return digestFiles(dir, listFiles(dir, exclude));
}

/**
 * This user's cache of packed sources and git exports: a directory only its owner may enter.
 * The shared temp directory is not used: there another user could plant a tarball under the
 * expected name, and `pip install` on the server would run its code as root.
 */
export function sourceCache(): string {
  const root = path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"),
    "django-zero-downtime",
    "sources",
  );
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(root);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new Error(`source cache ${root}: not a directory owned by you; remove it`);
  }
  if ((st.mode & 0o077) !== 0) fs.chmodSync(root, 0o700);
  // Each deploy of new code adds one entry: those unused for two weeks go.
  const cutoff = Date.now() - 14 * 86_400_000;
  for (const name of fs.readdirSync(root)) {
    const entry = path.join(root, name);
    if (fs.lstatSync(entry).mtimeMs < cutoff) fs.rmSync(entry, { recursive: true, force: true });
  }
  return root;
}

const sha256File = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

// "-r base.txt", "--requirement=base.txt", "-c constraints.txt": pip reads these relative to the including file.
const INCLUDE = /^\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)/;

/**
 * sha256 of requirements.txt and every file it includes (-r, -c), recursively: a changed
 * requirements/base.txt must build a new venv as surely as a changed requirements.txt.
 */
export function digestRequirements(dir: string): string {
  const hash = crypto.createHash("sha256");
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const full = path.join(dir, rel);
    // A missing include fails pip on the host with its own message; here it just adds nothing.
    const text = fs.existsSync(full) ? fs.readFileSync(full, "utf8") : "";
    hash.update(`${rel}\0${text}\0`);
    for (const line of text.split("\n")) {
      const m = INCLUDE.exec(line);
      if (m && !/^[a-z]+:\/\//.test(m[1])) visit(path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1])));
    }
  };
  visit("requirements.txt");
  return hash.digest("hex");
}

/**
 * Packs a local directory. The tarball is reused when the content is unchanged and the
 * tarball is the one this cache wrote (its own sha256 is kept beside it, and checked).
 */
export function packDirectory(dir: string, exclude: string[] = []): PackedSource {
  const { files, ...stats } = shippedFiles(dir, exclude);
  for (const required of ["manage.py", "requirements.txt"]) {
    if (!files.includes(required)) {
      throw new Error(`app: ${required} would not be shipped: .gitignore or app.exclude leaves it out`);
    }
  }
  // The digest and the tarball come from the same list: whatever ships is in the release id.
  const digest = digestFiles(dir, files);
  const shipped = { ...stats, count: files.length };
  const requirementsDigest = digestRequirements(dir);
  const cache = sourceCache();
  const archive = path.join(cache, `${digest}.tar.gz`);
  const sum = `${archive}.sha256`;
  const intact = () =>
    fs.existsSync(sum) && fs.existsSync(archive) && fs.readFileSync(sum, "utf8") === sha256File(archive);
  if (intact()) {
    fs.utimesSync(archive, new Date(), new Date());
    fs.utimesSync(sum, new Date(), new Date());
  } else {
    const listing = path.join(cache, `files-${digest}-${process.pid}`);
    fs.writeFileSync(listing, files.join("\n") + "\n", { mode: 0o600 });
    const partial = `${archive}.${process.pid}`;
    execFileSync("tar", ["-czf", partial, "-C", dir, "--owner=0", "--group=0", "--numeric-owner", "-T", listing]);
    fs.chmodSync(partial, 0o600);
    fs.writeFileSync(`${sum}.${process.pid}`, sha256File(partial), { mode: 0o600 });
    fs.renameSync(partial, archive);
    fs.renameSync(`${sum}.${process.pid}`, sum);
    fs.rmSync(listing);
  }
  return { digest, requirementsDigest, archive, shipped };
}

/**
 * Resolves a git ref to its commit and exports that commit as a directory (cached by commit,
 * with the digest of what was exported checked on reuse).
 */
export function exportGitRef(url: string, ref: string): { commit: string; dir: string } {
  const commit = /^[0-9a-f]{40}$/.test(ref) ? ref : resolveRef(url, ref);
  const cache = sourceCache();
  const dir = path.join(cache, `git-${commit}`);
  const sum = `${dir}.sha256`;
  if (fs.existsSync(dir) && fs.existsSync(sum) && fs.readFileSync(sum, "utf8") === digestDirectory(dir)) {
    for (const p of [dir, sum]) fs.utimesSync(p, new Date(), new Date());
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    const work = fs.mkdtempSync(path.join(cache, "clone-"));
    try {
      execFileSync("git", ["init", "-q", work]);
      execFileSync("git", ["-C", work, "fetch", "-q", "--depth", "1", url, commit], { stdio: "pipe" });
      const partial = `${dir}.${process.pid}`;
      fs.rmSync(partial, { recursive: true, force: true });
      fs.mkdirSync(partial, { mode: 0o700 });
      execFileSync("sh", ["-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", work, commit, partial]);
      fs.writeFileSync(`${sum}.${process.pid}`, digestDirectory(partial), { mode: 0o600 });
      fs.renameSync(partial, dir);
      fs.renameSync(`${sum}.${process.pid}`, sum);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  return { commit, dir };
}

/**
 * The commit a branch or tag names, matched exactly (`git ls-remote` alone matches by suffix:
 * "main" would also find refs/heads/feature/main). A tag wins over a branch of the same name,
 * as in git itself; an annotated tag is peeled to its commit.
 */
function resolveRef(url: string, ref: string): string {
  let out: string;
  try {
    out = execFileSync("git", ["ls-remote", url, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`], {
      encoding: "utf8",
      stdio: "pipe",
    });
  } catch (err) {
    throw new Error(`app.git: cannot read ${url}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  const refs = new Map(
    out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .map(([sha, name]) => [name, sha] as const),
  );
  const sha = refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/tags/${ref}`) ?? refs.get(`refs/heads/${ref}`);
  if (sha) return sha;
  if (/^[0-9a-f]{4,39}$/.test(ref)) {
    throw new Error(`app.git.ref: "${ref}" is no branch or tag in ${url}; give a commit as its full 40-character id`);
  }
  throw new Error(`app.git: ref "${ref}" not found in ${url} (no branch or tag of that name)`);
}
