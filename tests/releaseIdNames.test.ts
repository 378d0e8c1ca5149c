// The release id reaches the app under app.envNames.releaseId, and those names
// are part of what the id digests: renaming them builds a new release rather
// than leaving the old settings file in place.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { makeAppVariant } from "./support/appVariants";
import { settled, unwrap } from "./support/programMocks";

const registered: { name: string; inputs: Record<string, any> }[] = [];
pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "" } };
    },
    call: (args) => args.inputs,
  },
  "django-zero-downtime",
  "unit",
  false,
);

const ids: Record<string, string> = {};

beforeAll(async () => {
  const { Release } = await import("../src/components/release");
  const { packDirectory } = await import("../src/source/source");
  const source = packDirectory(makeAppVariant("v1"));
  const variants: Record<string, string[] | undefined> = {
    unset: undefined,
    default: ["RELEASE_ID"],
    renamed: ["APP_VERSION", "SENTRY_RELEASE"],
    none: [],
  };
  for (const [name, releaseIdNames] of Object.entries(variants)) {
    const release = new Release(name, {
      connection: { host: "203.0.113.10", port: 22, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" },
      hostId: "host-1",
      app: "hc",
      source,
      python: "python3",
      settings: pulumi.secret({ FEATURE: "on" }),
      releaseIdNames,
      manage: [],
      sharedDirs: [],
      server: "gunicorn-wsgi",
      migrations: { afterSwitch: [], allowUnsafe: [] },
      keepReleases: 5,
    });
    ids[name] = await new Promise<string>((resolve) => release.releaseId.apply(resolve));
  }
  await settled();
});

const stdinOf = (name: string) => unwrap(registered.find((r) => r.name === `${name}-build`)!.inputs).stdin as string;

describe("the release id's names", () => {
  it("default to RELEASE_ID", () => {
    expect(ids.unset).toBe(ids.default);
    expect(stdinOf("default")).toContain(`RELEASE_ID='${ids.default}'`);
  });

  it("go under every name given, or none", () => {
    expect(stdinOf("renamed")).toContain(`APP_VERSION='${ids.renamed}'`);
    expect(stdinOf("renamed")).toContain(`SENTRY_RELEASE='${ids.renamed}'`);
    expect(stdinOf("renamed")).not.toContain("RELEASE_ID=");
    expect(stdinOf("none")).toBe("FEATURE='on'\n");
  });

  it("make a different release when they change", () => {
    expect(new Set([ids.default, ids.renamed, ids.none]).size).toBe(3);
  });
});
