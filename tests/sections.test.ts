// appConfig / siteConfig: one object of settings checked on its own, as a
// program that uses the components as a library calls them.
import * as path from "path";
import { describe, expect, it } from "vitest";
import { appConfig, siteConfig } from "../src/config/config";
import { TLS_DEFAULT } from "./support/siteDefaults";

const SOURCE = path.resolve("examples/app");

describe("appConfig and siteConfig", () => {
  it("fill in the stack's defaults", () => {
    const app = appConfig({ name: "shop", source: SOURCE });
    expect(app).toMatchObject({
      name: "shop",
      source: SOURCE,
      python: "python3",
      workers: 2,
      manage: ["collectstatic --noinput", "migrate --noinput"],
      jobs: [],
      healthCheck: { path: "/", timeoutSeconds: 60 },
      migrations: { afterSwitch: [], allowUnsafe: [] },
    });
    expect(appConfig({ source: SOURCE, healthCheck: { path: "/up/" } }).healthCheck).toEqual({
      path: "/up/",
      timeoutSeconds: 60,
    });
    expect(siteConfig()).toEqual({
      serverName: "_",
      listen: "80",
      clientMaxBodySize: "10m",
      static: "nginx",
      tls: TLS_DEFAULT,
    });
  });

  it("refuse bad settings with the stack config's messages, every problem at once", () => {
    const bad = { source: SOURCE, workers: 0, wokers: 3 } as unknown as Parameters<typeof appConfig>[0];
    expect(() => appConfig(bad)).toThrow(
      [
        "Invalid app settings:",
        '  - app.wokers: unknown setting; did you mean "app.workers"?',
        "  - app.workers: expected a whole number from 1 to 64, got 0",
      ].join("\n"),
    );
    expect(() => appConfig({})).toThrow(/app\.source: set exactly one of "app\.source"/);
    expect(() => siteConfig({ listen: "eighty" })).toThrow(/site\.listen: expected a port or address:port/);
  });
});
