// The small toolkit the settings table is written in: problem collection,
// readers for each kind of value (text, whole number, yes/no, list, object),
// "did you mean" for unknown keys, and the types that turn a table of
// settings into the TypeScript type of the values it produces.
//
// A reader returns the value when it is usable, `undefined` when it is wrong
// (and then records why). Each message names the setting's path and what is
// expected, e.g. `app.workers: expected a whole number from 1 to 64, got "lots"`.

export type Obj = Record<string, unknown>;

export class Problems {
  readonly list: string[] = [];
  add(at: string, message: string): void {
    this.list.push(`${at}: ${message}`);
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Unset: absent, or null (an emptied YAML key). */
export function missing(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/** A value as it appears in a message: JSON, cut short. Never used on secrets. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** "app" + "env" → "app.env"; odd keys are bracketed: app.env["my-var"]. */
export function join(at: string, key: string | number): string {
  if (typeof key === "number") return `${at}[${key}]`;
  const k = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!at) return k;
  return k.startsWith("[") ? `${at}${k}` : `${at}.${k}`;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, if it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.min(2, Math.ceil(key.length / 3)) ? best : undefined;
}

export function unknownKeys(p: Problems, at: string, value: Obj, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    p.add(
      join(at, key),
      near
        ? `unknown setting; did you mean "${join(at, near)}"?`
        : `unknown setting (expected one of: ${known.join(", ")})`,
    );
  }
}

// ---------------------------------------------------------------------------
// Formats: how one kind of value is read

/** Names already taken in the list being read (job names), name → where first seen. */
export type Scope = Map<string, string>;

export interface Format<T> {
  /** What the value must be: "expected …" in messages, and the docs' "expected" column. */
  readonly expected: string;
  /** Reads a value that is set; undefined when it is wrong (recorded). */
  read(p: Problems, at: string, v: unknown, scope: Scope): T | undefined;
  /** An object's settings. */
  readonly fields?: Fields;
  /** A list's items. */
  readonly item?: Format<unknown>;
  /** An object or a list: Pulumi keeps it as JSON. */
  readonly structured?: boolean;
}

/** Text, checked by `ok`. Whole numbers are taken as their digits (`--path` stores "16" as 16). */
export function text(expected: string, ok: (s: string) => boolean = (s) => s !== ""): Format<string> {
  return {
    expected,
    read(p, at, v) {
      if (missing(v)) return undefined;
      const s = typeof v === "number" && Number.isInteger(v) ? String(v) : v;
      if (typeof s !== "string" || !ok(s)) {
        p.add(at, `expected ${expected}, got ${show(v)}`);
        return undefined;
      }
      return s;
    },
  };
}

export function pattern(re: RegExp): (s: string) => boolean {
  return (s) => re.test(s);
}

/** One of a few words, typed as such. */
export function choice<const W extends string>(words: readonly W[], expected: string): Format<W> {
  const t = text(expected, (s) => (words as readonly string[]).includes(s));
  return { expected, read: (p, at, v, scope) => t.read(p, at, v, scope) as W | undefined };
}

export function wholeNumber(
  min: number,
  max: number,
  expected = `a whole number from ${min} to ${max}`,
): Format<number> {
  return {
    expected,
    read(p, at, v) {
      if (missing(v)) return undefined;
      const n = typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
        p.add(at, `expected ${expected}, got ${show(v)}`);
        return undefined;
      }
      return n;
    },
  };
}

export const yesNo: Format<boolean> = {
  expected: "true or false",
  read(p, at, v) {
    if (missing(v)) return undefined;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    p.add(at, `expected true or false, got ${show(v)}`);
    return undefined;
  },
};

/** A list; wrong items are reported and left out. `nonEmpty` is the message for an empty list. */
export function list<T>(expected: string, item: Format<T>, o: { nonEmpty?: string } = {}): Format<T[]> {
  return {
    expected,
    item,
    structured: true,
    read(p, at, v) {
      if (missing(v)) return undefined;
      if (!Array.isArray(v)) {
        p.add(at, `expected ${expected}, got ${show(v)}`);
        return undefined;
      }
      if (v.length === 0 && o.nonEmpty) p.add(at, o.nonEmpty);
      const scope: Scope = new Map();
      return v.flatMap((x, i) => {
        const value = item.read(p, join(at, i), x, scope);
        return value === undefined ? [] : [value];
      });
    },
  };
}

// ---------------------------------------------------------------------------
// Settings: a format with its default, help text and checks

export interface Field<T = unknown, Always extends boolean = boolean> extends Format<T> {
  /** One line for the docs: what the setting does. */
  readonly help: string;
  readonly default?: T;
  /** The default in words, when it is not a fixed value (docs only). */
  readonly defaultText?: string;
  readonly required?: boolean;
  /** Unset is read as {}: an object whose own settings all have defaults or rules. */
  readonly readEmpty?: boolean;
  /** Must be set with --secret; its value never appears in a message. */
  readonly secret?: boolean;
  /** More checks on a good value; `false` means the value is not to be used. */
  check?(p: Problems, at: string, value: T, scope: Scope): boolean | void;
  /** Type-level only: whether the value is always there after defaults. */
  readonly __always?: Always;
}

export type Fields = Record<string, Field<unknown, boolean>>;

interface Options<T> {
  help: string;
  defaultText?: string;
  secret?: boolean;
  check?(p: Problems, at: string, value: T, scope: Scope): boolean | void;
}

export function setting<T>(
  format: Format<T>,
  o: Options<T> & ({ default: T } | { required: true } | { readEmpty: true }),
): Field<T, true>;
export function setting<T>(format: Format<T>, o: Options<T>): Field<T, false>;
export function setting<T>(format: Format<T>, o: Options<T>): Field<T, boolean> {
  return { ...format, ...o };
}

/** Reads one setting: required and default handling, then the setting's own checks. */
export function readField<T>(p: Problems, at: string, v: unknown, f: Field<T>, scope: Scope): T | undefined {
  if (missing(v)) {
    if (f.required) {
      p.add(at, `required; expected ${f.expected}`);
      return undefined;
    }
    return f.readEmpty ? f.read(p, at, {}, scope) : structuredClone(f.default);
  }
  const value = f.read(p, at, v, scope);
  if (value === undefined) return structuredClone(f.default);
  return f.check?.(p, at, value, scope) === false ? undefined : value;
}

type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;
type AlwaysKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, true> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The values an object of settings gives: settings without a default or requirement may be absent. */
export type Value<F extends Fields> = Simplify<
  { [K in AlwaysKeys<F>]: ValueOf<F[K]> } & { [K in Exclude<keyof F, AlwaysKeys<F>>]?: ValueOf<F[K]> }
>;

interface SectionOptions<F extends Fields> {
  expected?: string;
  /** Exactly one of these keys must be set; checked where the first of them is read. */
  oneOf?: { keys: (keyof F & string)[]; message: string };
  /** Rules between this object's settings, run on what could be read. */
  rule?(p: Problems, at: string, value: Partial<Value<F>>): void;
}

export interface Section<F extends Fields> extends Format<Value<F>> {
  readonly fields: F;
}

/** An object of settings. Unknown keys are reported; undefined when a required setting is missing or wrong. */
export function section<F extends Fields>(fields: F, o: SectionOptions<F> = {}): Section<F> {
  const expected = o.expected ?? "an object";
  return {
    expected,
    fields,
    structured: true,
    read(p, at, v, scope) {
      if (!isObj(v)) {
        p.add(at, `expected ${expected}, got ${show(v)}`);
        return undefined;
      }
      unknownKeys(p, at, v, Object.keys(fields));
      const out: Obj = {};
      let complete = true;
      for (const [key, f] of Object.entries(fields)) {
        if (o.oneOf?.keys[0] === key && o.oneOf.keys.filter((k) => !missing(v[k])).length !== 1) {
          p.add(join(at, key), o.oneOf.message);
        }
        const value = readField(p, join(at, key), v[key], f, scope);
        if (value !== undefined) out[key] = value;
        else if (f.required) complete = false;
      }
      o.rule?.(p, at, out as Partial<Value<F>>);
      return complete ? (out as Value<F>) : undefined;
    },
  };
}
