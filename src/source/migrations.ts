// What `pulumi preview` can tell about a release's migrations without the host: their names
// and, read from the migration files, the operations that plainly break the release still
// serving (a dropped or renamed column or table, a NOT NULL column without a database
// default). This is the early warning only: on the host, before anything is migrated,
// templates/migrate.py checks the SQL of every pending migration with
// django-migration-linter, which also catches type changes, new unique constraints and raw SQL.
import * as fs from "fs";
import * as path from "path";
import { Migrations } from "../config/types";
import { listFiles } from "./source";

/** What one migration file shows: the models it creates, and what in it breaks the serving release. */
export interface MigrationFacts {
  /** Lowercase names of the models it creates. */
  creates: string[];
  unsafe: Array<{ model: string; finding: string }>;
}

/** "app_label.migration_name" → its facts. */
export type MigrationFindings = Record<string, MigrationFacts>;

/**
 * Every migration in the source. The app label is the `label = "…"` of the app's apps.py, or
 * else the name of the directory that holds `migrations/` (Django's default).
 */
export function readMigrations(sourceDir: string): MigrationFindings {
  const found: MigrationFindings = {};
  for (const file of listFiles(sourceDir)) {
    const m = /^(?:(.*)\/)?([A-Za-z_]\w*)\/migrations\/(\w+)\.py$/.exec(file);
    if (!m || m[3] === "__init__") continue;
    const appDir = path.join(sourceDir, m[1] ?? "", m[2]);
    const appsPy = path.join(appDir, "apps.py");
    const label = fs.existsSync(appsPy)
      ? (/^\s+label\s*=\s*['"](\w+)['"]/m.exec(fs.readFileSync(appsPy, "utf8"))?.[1] ?? m[2])
      : m[2];
    found[`${label}.${m[3]}`] = facts(fs.readFileSync(path.join(sourceDir, file), "utf8"));
  }
  return found;
}

/** The text of each `migrations.<Operation>(...)` call in a migration file. */
export function operations(text: string): Array<{ op: string; args: string }> {
  const out: Array<{ op: string; args: string }> = [];
  const call = /\bmigrations\.([A-Z]\w*)\(/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    const end = closingParen(text, call.lastIndex);
    out.push({ op: m[1], args: text.slice(call.lastIndex, end) });
    call.lastIndex = end;
  }
  return out;
}

// Index of the ")" that closes the call whose arguments start at `from` (strings skipped).
function closingParen(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return text.length;
      i = close;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (--depth === 0) return i;
    }
  }
  return text.length;
}

const arg = (args: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*['"]([^'"]+)['"]`).exec(args)?.[1] ?? "?";

/** The models a migration file creates, and its operations that the release still serving cannot survive. */
export function facts(text: string): MigrationFacts {
  const ops = operations(text);
  const creates = ops.filter((o) => o.op === "CreateModel").map((o) => arg(o.args, "name").toLowerCase());
  const unsafe = ops.flatMap(({ op, args }) => {
    const model = (
      arg(args, "model_name") !== "?"
        ? arg(args, "model_name")
        : arg(args, op.startsWith("Rename") ? "old_name" : "name")
    ).toLowerCase();
    return findings(op, args).map((finding) => ({ model, finding }));
  });
  return { creates, unsafe };
}

function findings(op: string, args: string): string[] {
  const field = `${arg(args, "model_name")}.${arg(args, "name")}`;
  switch (op) {
    case "RemoveField":
      return [`RemoveField ${field}: drops a column the serving release reads and writes`];
    case "RenameField":
      return [
        `RenameField ${arg(args, "model_name")}.${arg(args, "old_name")}: renames a column the serving release uses`,
      ];
    case "DeleteModel":
      return [`DeleteModel ${arg(args, "name")}: drops a table the serving release uses`];
    case "RenameModel":
      return [`RenameModel ${arg(args, "old_name")}: renames a table the serving release uses`];
    case "AlterModelTable":
      return [`AlterModelTable ${arg(args, "name")}: renames a table the serving release uses`];
    case "AddField": {
      const safe = /\bnull\s*=\s*True\b|\bdb_default\s*=|ManyToManyField|GeneratedField/.test(args);
      return safe
        ? []
        : [`AddField ${field}: a NOT NULL column without db_default, which the serving release's inserts leave out`];
    }
    default:
      return [];
  }
}

/**
 * The migrations new since the last deploy whose findings would break the serving release and
 * that the config does not place after the switch or accept: one line each. None on a first
 * deploy (`olds` undefined): nothing serves yet.
 */
export function unsafeNewMigrations(
  olds: MigrationFindings | undefined,
  news: MigrationFindings,
  config: Migrations,
): string[] {
  if (!olds) return [];
  const declared = new Set([...config.afterSwitch, ...config.allowUnsafe]);
  const added = Object.entries(news).filter(([name]) => !(name in olds));
  // A table this deploy creates: the serving release does not use it yet.
  const created = new Set(added.flatMap(([name, f]) => f.creates.map((model) => `${name.split(".")[0]}.${model}`)));
  return added
    .filter(([name]) => !declared.has(name))
    .flatMap(([name, f]) =>
      f.unsafe.filter((u) => !created.has(`${name.split(".")[0]}.${u.model}`)).map((u) => `${name}: ${u.finding}`),
    );
}

/** What a refusal says after its list of migrations: the ways forward, for `migration` as the example. */
export function waysForward(migration: string): string {
  return [
    'Ways forward (README, "Schema changes"):',
    "  - a column or table the new code no longer uses: drop it after the switch, once the old release",
    "    has stopped, in the same `pulumi up` (if the old code writes it, first make it nullable):",
    `      pulumi config set --path 'app.migrations.afterSwitch[N]' ${migration}`,
    "  - a new NOT NULL column: give it a database default (db_default=…), or add it nullable now and",
    "    make it NOT NULL in a later release",
    "  - a rename or a type change: add the new column beside the old, write both, copy, move reads,",
    "    drop the old one in a later release",
    "  - accept the risk (the old release's requests may fail while the deploy runs):",
    `      pulumi config set --path 'app.migrations.allowUnsafe[N]' ${migration}`,
  ].join("\n");
}

/** The preview's refusal: each unsafe migration, then the ways forward. */
export function refusal(lines: string[]): string {
  return [
    "migrations the serving release would not survive (it runs until the switch):",
    ...lines.map((l) => `  ${l}`),
    "Nothing was changed.",
    waysForward(lines[0]?.split(":")[0] ?? "app_label.migration_name"),
  ].join("\n");
}
