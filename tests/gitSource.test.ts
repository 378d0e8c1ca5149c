// A git source: the ref resolves to a commit (the release id's input) and
// that commit's tree is exported, without .git, against a real repository.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { digestDirectory, exportGitRef, packDirectory, sourceCache } from "../src/source/source";
import { makeAppVariant } from "./support/appVariants";

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();
}

function repoWith(versions: string[]): { url: string; commits: string[] } {
  const work = makeAppVariant(versions[0]);
  git(work, "init", "-q", "-b", "main");
  const commits: string[] = [];
  for (const v of versions) {
    fs.writeFileSync(path.join(work, "VERSION"), `${v}\n`);
    git(work, "add", "-A");
    git(work, "commit", "-q", "-m", v);
    git(work, "tag", "-a", v, "-m", v);
    commits.push(git(work, "rev-parse", "HEAD"));
  }
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), "app-repo-"));
  git(os.tmpdir(), "clone", "-q", "--bare", work, bare);
  return { url: `file://${bare}`, commits };
}

describe("exportGitRef", () => {
  const { url, commits } = repoWith(["v1", "v2"]);

  it("resolves a branch, an annotated tag and a commit to the commit they name", () => {
    expect(exportGitRef(url, "main").commit).toBe(commits[1]);
    expect(exportGitRef(url, "v1").commit).toBe(commits[0]);
    expect(exportGitRef(url, commits[0]).commit).toBe(commits[0]);
  });

  it("exports that commit's files and nothing of git", () => {
    const { dir } = exportGitRef(url, "v1");
    expect(fs.readFileSync(path.join(dir, "VERSION"), "utf8")).toBe("v1\n");
    expect(fs.existsSync(path.join(dir, "manage.py"))).toBe(true);
    expect(fs.existsSync(path.join(dir, ".git"))).toBe(false);
    expect(digestDirectory(dir)).toBe(digestDirectory(exportGitRef(url, commits[0]).dir));
  });

  it("names the setting when the ref does not exist", () => {
    expect(() => exportGitRef(url, "no-such-branch")).toThrow(`app.git: ref "no-such-branch" not found in ${url}`);
  });
});

describe("refs mean exactly what they say", () => {
  it("a branch matches by its whole name, not by suffix; a tag wins over a branch of the same name", () => {
    const { url, commits } = repoWith(["v1", "v2", "v3"]);
    const bare = url.replace("file://", "");
    git(bare, "branch", "feature/main", commits[0]);
    git(bare, "branch", "release", commits[0]);
    git(bare, "branch", "v2", commits[2]);
    // ls-remote's suffix match would also find refs/heads/feature/main (v1).
    expect(exportGitRef(url, "main").commit).toBe(commits[2]);
    expect(exportGitRef(url, "release").commit).toBe(commits[0]);
    expect(exportGitRef(url, "v2").commit).toBe(commits[1]);
    expect(() => exportGitRef(url, "feature")).toThrow('ref "feature" not found');
  });

  it("an abbreviated commit id is refused with what to give instead", () => {
    const { url, commits } = repoWith(["v1"]);
    expect(() => exportGitRef(url, commits[0].slice(0, 7))).toThrow(
      `"${commits[0].slice(0, 7)}" is no branch or tag in ${url}; give a commit as its full 40-character id`,
    );
  });
});

describe("the source cache is this user's alone", () => {
  const stat = (p: string) => fs.statSync(p).mode & 0o777;

  it("lives outside the shared temp directory, 0700, with archives 0600", () => {
    const cache = sourceCache();
    expect(cache.startsWith(os.tmpdir() + path.sep)).toBe(false);
    expect(stat(cache)).toBe(0o700);
    const packed = packDirectory(makeAppVariant("cache-mode"));
    expect(path.dirname(packed.archive)).toBe(cache);
    expect(stat(packed.archive)).toBe(0o600);
  });

  it("a tarball changed after it was packed is packed again, not reused", () => {
    const app = makeAppVariant("cache-tamper");
    const first = packDirectory(app);
    fs.writeFileSync(first.archive, "planted");
    const again = packDirectory(app);
    expect(again.archive).toBe(first.archive);
    expect(execFileSync("tar", ["-tzf", again.archive], { encoding: "utf8" })).toContain("manage.py");
  });

  it("a git export changed after it was made is exported again", () => {
    const { url } = repoWith(["v1"]);
    const { dir } = exportGitRef(url, "v1");
    fs.writeFileSync(path.join(dir, "manage.py"), "import os; os.system('planted')\n");
    expect(fs.readFileSync(path.join(exportGitRef(url, "v1").dir, "manage.py"), "utf8")).not.toContain("planted");
  });
});
