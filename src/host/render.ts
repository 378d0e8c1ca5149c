// Renders the files in templates/: config files with {{NAME}} placeholders,
// and shell scripts preceded by their inputs as quoted assignments.
import * as fs from "fs";
import * as path from "path";
import { hostPaths } from "./hostFacts";
import { shellQuote } from "./ssh";

const TEMPLATES = path.resolve(__dirname, "..", "..", "templates");

export function readTemplate(name: string): string {
  return fs.readFileSync(path.join(TEMPLATES, name), "utf8");
}

/** Fills every {{NAME}}; a placeholder without a value, or a value no placeholder uses, is a bug. */
export function renderTemplate(name: string, vars: Record<string, string | number>): string {
  const used = new Set<string>();
  const text = readTemplate(name).replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
    if (!(key in vars)) throw new Error(`template ${name}: no value for {{${key}}}`);
    used.add(key);
    return String(vars[key]);
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`template ${name}: unused values ${unused.join(", ")}`);
  return text;
}

/**
 * A script from templates/: its title (the first "# " comment line, which
 * names the step in errors), its inputs as quoted shell assignments, the
 * shared prelude (host lock, service control), then its body. Every script
 * gets APP, STEP (the title), the app's places (hostPaths: ROOT,
 * LOG_DIR, LOCK_DIR...) and SUPERVISOR_PY. Values must not be secret: secrets go on stdin.
 */
export function renderScript(name: string, vars: Record<string, string | number> & { APP: string }): string {
  const body = readTemplate(name).replace(/^#!.*\n/, "");
  const title = body.split("\n").find((l) => l.startsWith("# ")) ?? `# ${name}`;
  const common = {
    STEP: title.replace(/^#\s*/, ""),
    ...hostPaths(vars.APP),
    // The prelude's `supervisor` command, without its comment lines.
    SUPERVISOR_PY: readTemplate("supervisor.py").replace(/^\s*#.*\n/gm, ""),
  };
  const clash = Object.keys(vars).filter((k) => k in common);
  if (clash.length) throw new Error(`script ${name}: ${clash.join(", ")} is given to every script`);
  const all = { ...vars, ...common };
  const assignments = Object.entries(all).map(([k, v]) => `${k}=${shellQuote(String(v))}`);
  const prelude = readTemplate("prelude.sh").replace(/^#.*\n/gm, "");
  return [title, ...assignments, prelude, body].join("\n");
}
