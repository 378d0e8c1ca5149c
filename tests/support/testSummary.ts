// Prints "N passed, M failed" from vitest JSON reports — one closing line that
// any CI reads — and exits non-zero unless everything passed. The suite
// promises that nothing is skipped, so a skipped or todo test counts as
// failed. Also failed: a missing or unreadable report, a report with no
// test, a file that failed before its tests ran, and a runner that exited
// non-zero (an unhandled error that the JSON report omits).
// Usage: testSummary REPORT:EXIT_CODE ...
import * as fs from "fs";

let passed = 0;
let failed = 0;
const notes: string[] = [];
for (const arg of process.argv.slice(2)) {
  const [file, code] = arg.split(/:(?=\d+$)/);
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    if (skipped > 0) notes.push(`${file}: ${skipped} skipped or todo (counted as failed)`);
    failed += skipped;
    // A file that failed before its tests ran (a beforeAll, an import) has no failed test of its own.
    const brokenFiles = (r.testResults ?? []).filter(
      (f: { status: string; assertionResults?: unknown[] }) =>
        f.status === "failed" && !(f.assertionResults ?? []).some((a: any) => a.status === "failed"),
    ).length;
    if (brokenFiles > 0) notes.push(`${file}: ${brokenFiles} file(s) failed outside a test`);
    failed += brokenFiles;
    if (r.numTotalTests === 0) {
      notes.push(`${file}: no test ran`);
      failed += 1;
    }
  } catch {
    notes.push(`${file}: no readable report`);
    failed += 1;
  }
  if (code !== undefined && code !== "0" && failed === 0) {
    notes.push(`${file}: the runner exited with ${code} though every test passed (an unhandled error?)`);
    failed += 1;
  }
}
for (const n of notes) console.log(n);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
