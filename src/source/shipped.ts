// Which of the source's files go to the host: what git would ship when the source is in a git
// work tree (tracked and untracked files, .gitignore honored), otherwise every file; never what
// is local to one machine; minus the app's own `app.exclude` patterns (gitignore syntax).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import ignore from "ignore";

// Never shipped, whatever git says.
const ALWAYS_EXCLUDED = [
  ".git/", // history, not code
  ".env", // local settings and secrets: each release gets its own .env from the stack
  ".env.*",
  "*.sqlite3", // a local database
  "/media/", // uploads live on the host (app.sharedDirs)
  "node_modules/", // front-end build input; the app ships what its build made
  "venv/", // local virtualenvs: the host builds its own (and any directory with a pyvenv.cfg)
  ".venv/",
  "__pycache__/", // bytecode, made again on the host
  "*.pyc",
];

/** Above this, a source is almost surely carrying data or build output by mistake. */
export const MAX_SOURCE_BYTES = 200 * 1024 * 1024;

export interface ShippedFiles {
  /** Paths relative to the source directory, "/"-separated, sorted. */
  files: string[];
  /** Their total size in bytes. */
  bytes: number;
  /** How the list was made. */
  how: "git ls-files" | "directory walk";
  /** Files left out by app.exclude. */
  excludedByApp: number;
}

/** Files in a git work tree, as git would ship them; undefined when `dir` is in none. */
function gitFiles(dir: string): string[] | undefined {
  let out: Buffer;
  try {
    // Paths come out relative to `dir`, even when the work tree's root is above it.
    out = execFileSync("git", ["-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], {
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 256 << 20,
    });
  } catch {
    return undefined; // not a work tree, or no git
  }
  return out.toString("utf8").split("\0").filter(Boolean);
}

function walk(root: string, skip: (rel: string, isDir: boolean) => boolean, rel = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const relPath = path.posix.join(rel, entry.name);
    if (skip(relPath, entry.isDirectory())) continue;
    if (entry.isDirectory()) out.push(...walk(root, skip, relPath));
    else if (entry.isFile()) out.push(relPath);
  }
  return out;
}

/** The files to ship from `dir`; throws, naming the biggest parts, above `maxBytes`. */
export function shippedFiles(dir: string, exclude: string[] = [], maxBytes = MAX_SOURCE_BYTES): ShippedFiles {
  const always = ignore().add(ALWAYS_EXCLUDED);
  const app = ignore().add(exclude);
  const isVenv = (rel: string) => fs.existsSync(path.join(dir, rel, "pyvenv.cfg"));
  const fromGit = gitFiles(dir);
  const candidates =
    fromGit ?? walk(dir, (rel, isDir) => always.ignores(isDir ? `${rel}/` : rel) || (isDir && isVenv(rel)), "").sort();

  const venvs = new Set(candidates.filter((f) => path.posix.basename(f) === "pyvenv.cfg").map(path.posix.dirname));
  const inVenv = (f: string) => [...venvs].some((v) => v === "." || f.startsWith(`${v}/`));
  let excludedByApp = 0;
  const files: string[] = [];
  for (const f of candidates) {
    if (always.ignores(f) || inVenv(f)) continue;
    const st = fs.lstatSync(path.join(dir, f), { throwIfNoEntry: false });
    if (!st?.isFile()) continue; // deleted but still tracked, a symlink, a submodule
    if (app.ignores(f)) {
      excludedByApp++;
      continue;
    }
    files.push(f);
  }
  files.sort();
  const sizes = files.map((f) => fs.statSync(path.join(dir, f)).size);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  if (bytes > maxBytes) throw new Error(tooBig(files, sizes, bytes, maxBytes));
  return { files, bytes, how: fromGit ? "git ls-files" : "directory walk", excludedByApp };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function tooBig(files: string[], sizes: number[], bytes: number, maxBytes: number): string {
  const byTop = new Map<string, number>();
  files.forEach((f, i) => {
    const top = f.includes("/") ? `${f.split("/")[0]}/` : f;
    byTop.set(top, (byTop.get(top) ?? 0) + sizes[i]);
  });
  const largest = [...byTop.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, size]) => `${name} ${formatBytes(size)}`)
    .join(", ");
  return (
    `app: the source to ship is ${formatBytes(bytes)}, more than ${formatBytes(maxBytes)}; the largest parts: ${largest}. ` +
    `Leave out what the app does not need at run time with .gitignore or app.exclude (like ["docs/", "*.psd"])`
  );
}
