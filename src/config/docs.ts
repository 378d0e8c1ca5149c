// The README's settings reference, made from the settings table: one row per
// setting with what it expects, its default, whether it is secret and what it
// does. `npm run docs:config` writes it into README.md between the markers; a
// unit test fails when the README's copy is out of date.
import type { Field, Fields } from "./readers";
import { SETTINGS } from "./settings";

export const START_MARKER = "<!-- settings:start -->";
export const END_MARKER = "<!-- settings:end -->";

/** Text for a table cell: no line breaks, and nothing markdown would read as markup. */
function cell(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").replace(/([\\|*<])/g, "\\$1");
}

function defaultOf(f: Field): string {
  if (f.defaultText) return cell(f.defaultText);
  if (f.default !== undefined) return `\`${JSON.stringify(f.default).replace(/,/g, ", ")}\``;
  return f.required ? "required" : "none";
}

function rows(fields: Fields, prefix: string): string[] {
  return Object.entries(fields).flatMap(([key, f]) => {
    const at = prefix ? `${prefix}.${key}` : key;
    const nested = f.fields ?? f.item?.fields;
    const row = [
      `\`${at}\``,
      f.fields ? "an object" : cell(f.expected),
      f.fields ? "" : defaultOf(f),
      f.secret ? "yes" : "",
      cell(f.help),
    ];
    const own = `| ${row.join(" | ")} |`;
    if (!nested) return [own];
    return [own, ...rows(nested, f.item ? `${at}[i]` : at)];
  });
}

/** The markdown table of every setting, in the table's order. */
export function settingsTable(): string {
  return [
    "| Setting | Expected | Default | Secret | What it does |",
    "| --- | --- | --- | --- | --- |",
    ...rows(SETTINGS, ""),
  ].join("\n");
}

/** The README with its settings reference replaced by `table`. */
export function withSettingsTable(readme: string, table = settingsTable()): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START_MARKER} … ${END_MARKER} section`);
  return `${readme.slice(0, start + START_MARKER.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
