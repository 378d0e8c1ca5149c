// templates/pip-hint.py against real pip logs (tests/fixtures/pip-logs, made by
// record.sh with the pip of Debian 12's python3 -m venv), run as release.sh
// runs it: the script's text with -I -c, the log and the host's Python version.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTemplate } from "../src/host/render";

const FIXTURES = path.resolve("tests/fixtures/pip-logs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pip-hint-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function hint(logFile: string): string {
  return execFileSync("python3", ["-I", "-c", readTemplate("pip-hint.py"), logFile, "3.11"], { encoding: "utf8" });
}
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
function hintFor(log: string): string {
  const file = path.join(tmp, `log-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, log);
  return hint(file);
}

// The start of a log where the requirements installed and a later pip run (the server's packages) failed.
const INSTALLED_FIRST =
  "Collecting Django==5.2.19\n  Using cached Django-5.2.19-py3-none-any.whl (8.3 MB)\nInstalling collected packages: Django\nSuccessfully installed Django-5.2.19\n";

describe("pip-hint.py", () => {
  it.each([
    [
      "requires-python.log",
      "Django==6.0 needs Python >=3.12, host has 3.11 (set app.python to a newer interpreter, or pin an older Django)\n",
    ],
    [
      "missing-header.log",
      "building curlprobe needs system packages: add them to app.packages (curl/curl.h is in libcurl4-openssl-dev)\n",
    ],
    [
      "pg-config.log",
      "building psycopg2 needs system packages: add them to app.packages (pg_config is in libpq-dev)\n",
    ],
  ])("%s: names the requirement and what to do", (name, expected) => {
    expect(hint(path.join(FIXTURES, name))).toBe(expected);
  });

  it("reads the failing run of a log that holds several", () => {
    expect(hintFor(INSTALLED_FIRST + fixture("pg-config.log"))).toMatch(/^building psycopg2 needs system packages/);
  });

  it("a header it does not know: how to find its package", () => {
    const log = fixture("missing-header.log").replaceAll("curl/curl.h", "zstd.h");
    expect(hintFor(log)).toBe(
      "building curlprobe needs system packages: add them to app.packages (the package with zstd.h: apt-file search zstd.h)\n",
    );
  });

  it("Python.h: the dev package of the host's Python", () => {
    const log = fixture("missing-header.log").replaceAll("curl/curl.h", "Python.h");
    expect(hintFor(log)).toMatch(/\(Python\.h is in python3\.11-dev\)\n$/);
  });

  it("a requirement that does not exist at all: check its name and version", () => {
    const log = fixture("requires-python.log")
      .split("\n")
      .filter((l) => !l.includes("Requires-Python"))
      .join("\n")
      .replaceAll("Django==6.0", "Django==5.2");
    expect(hintFor(log)).toBe("pip found no Django==5.2 (check its name and version in requirements.txt)\n");
  });

  it("says nothing it cannot back: a log it does not recognise gives no line", () => {
    expect(hintFor("ERROR: Exception:\nTraceback (most recent call last):\nOSError: [Errno 28] No space left\n")).toBe(
      "",
    );
    expect(hintFor("")).toBe("");
  });
});
