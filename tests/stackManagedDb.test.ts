// A DigitalOcean stack with a managed PostgreSQL cluster, under mocks: the
// cluster admits only the droplet, the host gets no local PostgreSQL, and the
// app's settings point at the cluster over TLS.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import { DROPLET_ID, Registered, isSecret, runProgram, unwrap } from "./support/programMocks";

const deployKey = ed25519HostKey(Buffer.alloc(32, 14), "unit deploy key");
let registered: Registered[];
const inputsOf = (type: string) => unwrap(registered.find((r) => r.type === type)!.inputs);

beforeAll(async () => {
  registered = await runProgram(
    {
      droplet: { sshPublicKey: deployKey.publicKey, region: "ams3" },
      app: { source: makeAppVariant("v1") },
      database: { kind: "managed" },
      sshPrivateKey: deployKey.privateKey,
      djangoSecretKey: "unit-secret-key-for-a-managed-db-stack",
    },
    ["sshPrivateKey", "djangoSecretKey"],
  );
});

describe("a stack with a managed database", () => {
  it("protects the cluster (it holds the data), not the droplet (it holds none)", () => {
    const protectedTypes = registered.filter((r) => r.protect).map((r) => r.type);
    expect(protectedTypes).toEqual(["digitalocean:index/databaseCluster:DatabaseCluster"]);
  });

  it("creates a cluster in the droplet's region, its database and user", () => {
    expect(inputsOf("digitalocean:index/databaseCluster:DatabaseCluster")).toMatchObject({
      engine: "pg",
      region: "ams3",
      nodeCount: 1,
    });
    expect(inputsOf("digitalocean:index/databaseDb:DatabaseDb")).toMatchObject({
      clusterId: "db-cluster-1",
      name: "hc",
    });
    expect(inputsOf("digitalocean:index/databaseUser:DatabaseUser")).toMatchObject({
      clusterId: "db-cluster-1",
      name: "hc",
    });
  });

  it("admits only the droplet through the database firewall", () => {
    expect(inputsOf("digitalocean:index/databaseFirewall:DatabaseFirewall").rules).toEqual([
      { type: "droplet", value: DROPLET_ID },
    ]);
  });

  it("installs no PostgreSQL on the host and hands the app the cluster's address, over TLS", () => {
    const bootstrap = registered.find((r) => r.name === "hc-host-bootstrap")!;
    expect(unwrap(bootstrap.inputs).create).toContain("DB_LOCAL='0'");
    const build = registered.find((r) => r.name === "hc-release-build")!;
    expect(isSecret(build.inputs.stdin)).toBe(true);
    const env = unwrap(build.inputs).stdin as string;
    expect(env).toContain("DATABASE_HOST='private-db.example.internal'");
    expect(env).toContain("DATABASE_PORT='25060'");
    expect(env).toContain("DATABASE_SSLMODE='require'");
    expect(env).toContain("DATABASE_PASSWORD='generated-by-digitalocean'");
    expect(env).toContain(
      "DATABASE_URL='postgres://hc:generated-by-digitalocean@private-db.example.internal:25060/hc?sslmode=require'",
    );
  });
});
