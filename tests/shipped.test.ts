import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { shippedFiles } from "../src/source/shipped";
import { packDirectory } from "../src/source/source";

/** A project laid out as real ones are; `files` maps paths to contents. */
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shipped-"));
  const all = { "manage.py": "# manage\n", "requirements.txt": "Django==5.2\n", ...files };
  for (const [rel, content] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "pipe" });
function gitRepo(dir: string): void {
  git(dir, "init", "-q");
  git(dir, "add", "-A");
  git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init");
}

const LOCAL_ONLY = {
  ".env": "SECRET=1",
  ".env.production": "SECRET=2",
  "db.sqlite3": "x",
  "data/dev.sqlite3": "x",
  "media/upload.png": "x",
  "frontend/node_modules/lib/index.js": "x",
  "venv/bin/python": "x",
  "env/pyvenv.cfg": "home = /usr/bin", // a virtualenv under a name of the user's choosing
  "env/lib/site.py": "x",
  "shop/__pycache__/models.cpython-311.pyc": "x",
};

describe("what ships", () => {
  it("a plain directory: every file but what is local to one machine; source static/ dirs ship", () => {
    const dir = project({
      "static/css/site.css": "body{}",
      "shop/static/shop/app.js": "x",
      "shop/models.py": "x",
      ...LOCAL_ONLY,
    });
    const s = shippedFiles(dir);
    expect(s.how).toBe("directory walk");
    expect(s.files).toEqual([
      "manage.py",
      "requirements.txt",
      "shop/models.py",
      "shop/static/shop/app.js",
      "static/css/site.css",
    ]);
  });

  it("a git work tree: .gitignore honored, untracked files that are not ignored ship, deleted ones do not", () => {
    const dir = project({
      ".gitignore": "staticfiles/\n*.log\n",
      "static/css/site.css": "body{}",
      "staticfiles/admin/base.css": "collected",
      "debug.log": "x",
      "shop/old.py": "x",
      ...LOCAL_ONLY,
    });
    // The files git would refuse anyway are committed here, as some projects do by mistake.
    gitRepo(dir);
    fs.rmSync(path.join(dir, "shop/old.py"));
    fs.writeFileSync(path.join(dir, "shop/new.py"), "x");
    const s = shippedFiles(dir);
    expect(s.how).toBe("git ls-files");
    expect(s.files).toEqual([".gitignore", "manage.py", "requirements.txt", "shop/new.py", "static/css/site.css"]);
  });

  it("a project in a subdirectory of the work tree lists relative to itself", () => {
    const root = project({ "README.md": "x", ".gitignore": "*.pyc\n" });
    const dir = path.join(root, "backend");
    fs.mkdirSync(path.join(dir, "shop"), { recursive: true });
    for (const f of ["manage.py", "requirements.txt", "shop/views.py"]) fs.writeFileSync(path.join(dir, f), "x");
    gitRepo(root);
    expect(shippedFiles(dir).files).toEqual(["manage.py", "requirements.txt", "shop/views.py"]);
  });

  it("app.exclude leaves out more, in .gitignore syntax, and says how many", () => {
    const dir = project({ "docs/index.md": "x", "design/logo.psd": "x", "shop/docs.py": "x" });
    const s = shippedFiles(dir, ["/docs/", "*.psd"]);
    expect(s.files).toEqual(["manage.py", "requirements.txt", "shop/docs.py"]);
    expect(s.excludedByApp).toBe(2);
  });

  it("above the size limit: a clear error naming the largest parts and the fix", () => {
    const dir = project({ "data/dump.json": "x".repeat(5000), "shop/models.py": "x".repeat(100) });
    expect(() => shippedFiles(dir, [], 4096)).toThrow(
      /the source to ship is 5\.\d KB, more than 4\.0 KB; the largest parts: data\/ 4\.9 KB, shop\/ 100 B, .*\.gitignore or app\.exclude/,
    );
  });

  it("a CSS change changes the digest (and so the release id)", () => {
    const dir = project({ "static/css/site.css": "body{color:red}" });
    const before = packDirectory(dir).digest;
    fs.writeFileSync(path.join(dir, "static/css/site.css"), "body{color:blue}");
    expect(packDirectory(dir).digest).not.toBe(before);
  });

  it("the tarball holds exactly the shipped files", () => {
    const dir = project({ "static/css/site.css": "x", ...LOCAL_ONLY });
    const packed = packDirectory(dir);
    const listing = execFileSync("tar", ["-tzf", packed.archive], { encoding: "utf8" }).trim().split("\n").sort();
    expect(listing).toEqual(["manage.py", "requirements.txt", "static/css/site.css"]);
    expect(packed.shipped).toMatchObject({ count: 3, how: "directory walk", excludedByApp: 0 });
  });

  it("refuses a source whose manage.py would not ship", () => {
    const dir = project({});
    expect(() => packDirectory(dir, ["manage.py"])).toThrow(
      "app: manage.py would not be shipped: .gitignore or app.exclude leaves it out",
    );
  });
});

describe("the venv's digest", () => {
  it("covers the files requirements.txt includes (-r, -c), so a change there builds a new venv", () => {
    const dir = project({
      "requirements.txt": "-r requirements/production.txt\n",
      "requirements/production.txt": "-r base.txt\n--constraint=constraints.txt\ngunicorn==23.0.0\n",
      "requirements/base.txt": "Django==5.2\n",
      "requirements/constraints.txt": "sqlparse<1\n",
    });
    const before = packDirectory(dir).requirementsDigest;
    fs.writeFileSync(path.join(dir, "requirements/base.txt"), "Django==5.2.1\n");
    const afterBase = packDirectory(dir).requirementsDigest;
    expect(afterBase).not.toBe(before);
    fs.writeFileSync(path.join(dir, "requirements/constraints.txt"), "sqlparse<2\n");
    const afterConstraints = packDirectory(dir).requirementsDigest;
    expect(afterConstraints).not.toBe(afterBase);
    // Anything else in the source leaves it alone.
    fs.writeFileSync(path.join(dir, "shop.py"), "x");
    expect(packDirectory(dir).requirementsDigest).toBe(afterConstraints);
  });
});
