// The app's WSGI or ASGI application when the config names none: the `wsgi.py` (or `asgi.py`)
// that `django-admin startproject` put next to the settings module manage.py names, else the only
// one in the project's top two levels. Never a guess between several.
import * as fs from "fs";
import * as path from "path";

export type Interface = "wsgi" | "asgi";

const SETTINGS_DEFAULT = /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][\w.]*)["']/;
const SKIP = new Set(["venv", ".venv", "node_modules", ".git", "__pycache__", "site-packages"]);

/** Candidates at depth 1 and 2: "pkg/wsgi.py", "src/pkg/wsgi.py". */
function candidates(dir: string, file: string): string[] {
  const out: string[] = [];
  const subdirs = (rel: string) =>
    fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith("."))
      .map((e) => path.posix.join(rel, e.name));
  for (const first of subdirs("")) {
    if (fs.existsSync(path.join(dir, first, file))) out.push(path.posix.join(first, file));
    for (const second of subdirs(first)) {
      if (fs.existsSync(path.join(dir, second, file))) out.push(path.posix.join(second, file));
    }
  }
  return out.sort();
}

const toModule = (rel: string) => rel.replace(/\.py$/, "").split("/").join(".");

/** "config.wsgi:application" for a project laid out as startproject does; throws with what it found otherwise. */
export function detectEntrypoint(dir: string, kind: Interface): string {
  const file = `${kind}.py`;
  const manage = path.join(dir, "manage.py");
  const settings = fs.existsSync(manage) ? SETTINGS_DEFAULT.exec(fs.readFileSync(manage, "utf8"))?.[1] : undefined;
  if (settings) {
    // "config.settings" → config/; "shop.settings.production" → shop/settings/, then shop/.
    const parts = settings.split(".").slice(0, -1);
    for (let n = parts.length; n > 0; n--) {
      const rel = path.posix.join(...parts.slice(0, n), file);
      if (fs.existsSync(path.join(dir, rel))) return `${toModule(rel)}:application`;
    }
  }
  const found = candidates(dir, file);
  if (found.length === 1) return `${toModule(found[0])}:application`;
  const setting = `app.${kind}`;
  const example = `"config.${kind}:application"`;
  if (found.length === 0) {
    throw new Error(`${setting}: not set, and the source has no ${file} to serve; set ${setting} like ${example}`);
  }
  throw new Error(
    `${setting}: not set, and the source has several ${file} (${found.join(", ")}); set ${setting} like ${example}`,
  );
}
