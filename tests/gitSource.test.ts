// A git source: the ref resolves to a commit (the release id's input) and
// that commit's tree is exported, without .git, against a real repository.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { digestDirectory, exportGitRef } from "../components/source";
import { makeAppVariant } from "../tools/appVariants";

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, encoding: "utf8" }).trim();
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
