/**
 * The README's settings reference (between the settings markers) is the one
 * made from the settings table: `npm run docs:config` writes it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { END_MARKER, settingsTable, START_MARKER, withSettingsTable } from "../src/config/docs";

describe("README settings reference", () => {
  it("matches the settings table", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    expect(readme, `README.md needs a ${START_MARKER} … ${END_MARKER} section`).toContain(START_MARKER);
    expect(
      withSettingsTable(readme) === readme,
      "README.md's settings table differs from src/config/settings.ts: run `npm run docs:config`",
    ).toBe(true);
  });

  it("has a row for every setting, nested ones by path", () => {
    const table = settingsTable();
    for (const at of ["`app.workers`", "`app.jobs[i].name`", "`droplet.dns.record`", "`secretEnv`"]) {
      expect(table).toContain(`| ${at} |`);
    }
    expect(table).toContain("| `app.workers` | a whole number from 1 to 64 | `2` |  | gunicorn worker processes. |");
  });
});
