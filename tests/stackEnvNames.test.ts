// A managed-database stack whose app reads its settings under names of its own
// (app.envNames), under mocks: the password DigitalOcean generates reaches the
// app as DB_PASSWORD, only inside the release's secret settings file.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import { isSecret, Registered, runProgram, unwrap } from "./support/programMocks";

const deployKey = ed25519HostKey(Buffer.alloc(32, 15), "unit deploy key");
const SECRET_KEY = "unit-secret-key-under-the-apps-own-name";
const GENERATED_PASSWORD = "generated-by-digitalocean";
let registered: Registered[];

beforeAll(async () => {
  registered = await runProgram(
    {
      droplet: { sshPublicKey: deployKey.publicKey },
      app: {
        source: makeAppVariant("v1"),
        envNames: {
          secretKey: "SECRET_KEY",
          databaseUrl: [],
          databaseName: "DB_NAME",
          databaseUser: "DB_USER",
          databasePassword: ["DB_PASSWORD"],
          databaseHost: "DB_HOST",
          databasePort: "DB_PORT",
          databaseSslMode: "DB_SSLMODE",
          siteUrl: "SITE_ROOT",
          releaseId: ["RELEASE_ID", "SENTRY_RELEASE"],
        },
        // Free now: the deploy puts nothing under it.
        env: { DJANGO_SECRET_KEY: "unused" },
      },
      site: { serverName: "www.example.com example.com" },
      database: { kind: "managed" },
      sshPrivateKey: deployKey.privateKey,
      djangoSecretKey: SECRET_KEY,
      secretEnv: { SENTRY_DSN: "https://unit-test-dsn" },
    },
    ["sshPrivateKey", "djangoSecretKey", "secretEnv"],
  );
});

describe("a stack with app.envNames", () => {
  it("hands the release each value under the app's names, and nothing under the default ones", () => {
    const build = registered.find((r) => r.name === "hc-release-build")!;
    expect(isSecret(build.inputs.stdin)).toBe(true);
    const { stdin, triggers } = unwrap(build.inputs);
    const releaseId = triggers[0];
    const settings = Object.fromEntries(
      (stdin as string)
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(settings).toStrictEqual({
      DB_HOST: "'private-db.example.internal'",
      DB_NAME: "'hc'",
      DB_PASSWORD: `'${GENERATED_PASSWORD}'`,
      DB_PORT: "'25060'",
      DB_SSLMODE: "'require'",
      DB_USER: "'hc'",
      DJANGO_ALLOWED_HOSTS: "'www.example.com,example.com,localhost'",
      DJANGO_SECRET_KEY: "'unused'",
      RELEASE_ID: `'${releaseId}'`,
      SECRET_KEY: `'${SECRET_KEY}'`,
      SENTRY_DSN: "'https://unit-test-dsn'",
      SENTRY_RELEASE: `'${releaseId}'`,
      SITE_ROOT: "'http://www.example.com'",
    });
  });

  it("keeps the generated password and the secret key out of every plain input", () => {
    const withoutSecrets = (v: unknown): unknown =>
      isSecret(v)
        ? "[secret]"
        : Array.isArray(v)
          ? v.map(withoutSecrets)
          : v && typeof v === "object"
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]))
            : v;
    for (const r of registered) {
      const plain = JSON.stringify(withoutSecrets(r.inputs));
      for (const secret of [GENERATED_PASSWORD, SECRET_KEY]) {
        expect(plain.includes(secret), `${r.name} holds a secret in plain text`).toBe(false);
      }
    }
  });
});
