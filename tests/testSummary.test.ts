// The closing line CI reads must never claim success that didn't happen.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "summary-"));
function report(name: string, r: object): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(r));
  return file;
}
function summary(...args: string[]): { out: string; code: number } {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", "tests/support/testSummary.ts", ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return { out, code: 0 };
  } catch (e: any) {
    return { out: e.stdout, code: e.status };
  }
}
const ok = {
  numPassedTests: 3,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  numTotalTests: 3,
  testResults: [{ status: "passed", assertionResults: [] }],
};

describe("testSummary", { timeout: 30_000 }, () => {
  it("passes only when everything passed and the runner exited 0", () => {
    expect(summary(`${report("ok.json", ok)}:0`)).toEqual({ out: "3 passed, 0 failed\n", code: 0 });
  });

  it.each([
    ["a skipped test", { ...ok, numPassedTests: 2, numPendingTests: 1 }, "0", /2 passed, 1 failed\n$/],
    ["a todo test", { ...ok, numTodoTests: 1 }, "0", /3 passed, 1 failed\n$/],
    ["no test at all", { ...ok, numPassedTests: 0, numTotalTests: 0, testResults: [] }, "0", /0 passed, 1 failed\n$/],
    [
      "a file that failed outside its tests",
      { ...ok, testResults: [{ status: "failed", assertionResults: [] }] },
      "1",
      /3 passed, 1 failed\n$/,
    ],
    ["an unhandled error the report omits", ok, "1", /3 passed, 1 failed\n$/],
  ])("fails on %s", (_what, r, code, line) => {
    const s = summary(`${report("r.json", r)}:${code}`);
    expect(s.out).toMatch(line);
    expect(s.code).toBe(1);
  });

  it("fails on a missing report", () => {
    const s = summary(`${path.join(dir, "absent.json")}:0`);
    expect(s.out).toMatch(/0 passed, 1 failed\n$/);
    expect(s.code).toBe(1);
  });
});
