// Writes the settings reference (made from src/config/settings.ts) into
// README.md between <!-- settings:start --> and <!-- settings:end -->.
// Run with `npm run docs:config` after changing a setting.
import * as fs from "node:fs";
import * as path from "node:path";
import { withSettingsTable } from "../src/config/docs";

const readmePath = path.join(__dirname, "..", "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withSettingsTable(before);
if (after === before) {
  console.log("README.md: settings reference already up to date");
} else {
  fs.writeFileSync(readmePath, after);
  console.log("README.md: settings reference written");
}
