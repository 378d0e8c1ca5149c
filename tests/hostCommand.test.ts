// HostCommand's diff: what a change of inputs does to the resource.
import { describe, expect, it } from "vitest";
import { hostCommandProvider } from "../src/host/hostCommand";

const base = {
  connection: { host: "192.0.2.1", port: 22, user: "root", privateKey: "k", hostKey: "ssh-ed25519 AAAA" },
  create: "# Start\necho start",
  delete: "# Stop\necho stop",
  triggers: ["release-a"],
  stdin: "SECRET='x'\n",
  upload: { source: "/tmp/a/source.tar.gz", destination: "/srv/hc/uploads/a.tar.gz" },
};

const diff = (news: Record<string, unknown>) =>
  hostCommandProvider.diff!("id", { ...base, stdout: "done" }, { ...base, ...news });

describe("HostCommand diff", () => {
  it("reports no change for the same inputs", async () => {
    expect(await diff({})).toEqual({ changes: false, replaces: [] });
  });

  it("reports no change for a new or renamed timeline label (state written before it had none)", async () => {
    expect(await diff({ label: "hc-web-program" })).toEqual({ changes: false, replaces: [] });
  });

  it("replaces when a trigger changes", async () => {
    expect(await diff({ triggers: ["release-b"] })).toEqual({ changes: true, replaces: ["triggers"] });
  });

  it.each([
    ["create", { create: "# Start\necho again" }],
    ["connection", { connection: { ...base.connection, hostKey: "ssh-ed25519 BBBB" } }],
    ["stdin", { stdin: "SECRET='y'\n" }],
  ])("updates in place when %s changes", async (_what, change) => {
    expect(await diff(change)).toEqual({ changes: true, replaces: [] });
  });

  it("ignores where the local copy of an upload sits", async () => {
    expect(await diff({ upload: { ...base.upload, source: "/var/tmp/b/source.tar.gz" } })).toEqual({
      changes: false,
      replaces: [],
    });
  });
});
