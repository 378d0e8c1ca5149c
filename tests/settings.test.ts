/**
 * The settings table itself (src/config/settings.ts): every default is a
 * value its own setting accepts.
 */
import { describe, expect, it } from "vitest";
import { type Fields, Problems } from "../src/config/readers";
import { SETTINGS } from "../src/config/settings";

function withDefaults(fields: Fields, prefix = ""): [string, unknown, Fields[string]][] {
  return Object.entries(fields).flatMap(([key, f]) => {
    const at = prefix ? `${prefix}.${key}` : key;
    const own: [string, unknown, Fields[string]][] = f.default === undefined ? [] : [[at, f.default, f]];
    const nested = f.fields ?? f.item?.fields;
    return nested ? [...own, ...withDefaults(nested, f.item ? `${at}[i]` : at)] : own;
  });
}

describe("settings table", () => {
  it.each(withDefaults(SETTINGS))("%s: its default passes its own check", (at, value, f) => {
    const p = new Problems();
    f.read(p, at, value, new Map());
    expect(p.list).toEqual([]);
  });
});
