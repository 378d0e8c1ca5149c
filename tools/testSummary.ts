// Prints "N passed, M failed" from vitest JSON reports: one closing line that
// any CI reads. A missing or empty report, or a file that failed to run,
// counts as a failure.
import * as fs from "fs";

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    // A file that failed before its tests ran (a beforeAll, an import) has no
    // failed test of its own, and a report with no test at all is a failure too.
    if (r.numFailedTests === 0) failed += r.numFailedTestSuites;
    if (r.numTotalTests === 0) failed += 1;
  } catch {
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
