// The names the deploy's own values go under (app.envNames), and the rules
// that keep each name in one place: no two values under one name, and no
// name the deploy fills also set in app.env or secretEnv.
import { join, type Problems, show } from "./readers";

/** app.envNames as read: value → its names (typed loosely: the settings table's rules use it). */
type NamesOf = { readonly [value: string]: readonly string[] | undefined };

/**
 * Values the deploy derives from the site only as a default: app.env or secretEnv may set
 * their names instead (DJANGO_ALLOWED_HOSTS in app.env has always narrowed the default).
 */
export const SITE_DEFAULTS: readonly string[] = ["allowedHosts", "siteUrl"];

/** Name → the app.envNames key of the value the deploy puts under it, for the values no other setting may replace. */
export function providedNames(envNames: NamesOf): Map<string, string> {
  const provided = new Map<string, string>();
  for (const [key, names] of Object.entries(envNames)) {
    if (SITE_DEFAULTS.includes(key)) continue;
    for (const name of names ?? []) provided.set(name, key);
  }
  return provided;
}

/** Two values under one name: one would silently overwrite the other. */
export function checkDistinctNames(p: Problems, at: string, envNames: NamesOf): void {
  const first = new Map<string, string>();
  for (const [key, names] of Object.entries(envNames)) {
    for (const name of names ?? []) {
      const other = first.get(name);
      if (other) p.add(join(at, key), `${show(name)} is also ${join(at, other)}; give each value a name of its own`);
      else first.set(name, key);
    }
  }
}

/** Why `name` (in app.env or secretEnv) may not be used; undefined when it may. */
export function providedClash(name: string, provided: Map<string, string>): string | undefined {
  const key = provided.get(name);
  if (!key) return undefined;
  return `the deploy puts ${key} under this name (app.envNames.${key}); set it in one place only: remove it here, or give ${key} another name (or []) in app.envNames`;
}

/** app.env or secretEnv names the deploy fills itself, each reported. */
export function checkNotProvided(p: Problems, at: string, names: readonly string[], envNames: NamesOf): void {
  const provided = providedNames(envNames);
  for (const name of names) {
    const clash = providedClash(name, provided);
    if (clash) p.add(join(at, name), clash);
  }
}
