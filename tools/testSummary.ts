// Prints "N passed, M failed" from vitest JSON reports: one closing line that
// any CI reads. A missing or empty report counts as a failure.
import * as fs from "fs";

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numTotalTests > 0 ? 0 : 1);
  } catch {
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed`);
