// The release pipeline's components under Pulumi mocks: which HostCommands
// DjangoApp registers, what they run, what forces a replacement, and that no
// secret reaches a command string.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { AppConfig } from "../src/config/types";
import { makeAppVariant } from "./support/appVariants";
import { APP_COMMANDS_WITH_ONE_JOB, isSecret, settled, unwrap } from "./support/programMocks";
import { TLS_DEFAULT } from "./support/siteDefaults";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "" } };
    },
    call: (args) => args.inputs,
  },
  "django-zero-downtime",
  "unit",
  false,
);

const SECRET_KEY = "unit-test-django-secret-key-7d1f0c";
const DB_PASSWORD = "unit-test-db-password-55e2";
const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-private-key\n-----END OPENSSH PRIVATE KEY-----";

const app: AppConfig = {
  name: "hc",
  source: "",
  python: "python3",
  wsgi: "hc.wsgi:application",
  server: "gunicorn-wsgi",
  packages: [],
  workers: 2,
  env: { FEATURE: "on" },
  envNames: {
    secretKey: ["DJANGO_SECRET_KEY"],
    allowedHosts: ["DJANGO_ALLOWED_HOSTS"],
    databaseUrl: ["DATABASE_URL"],
    databaseName: ["DATABASE_NAME"],
    databaseUser: ["DATABASE_USER"],
    databasePassword: ["DATABASE_PASSWORD"],
    databaseHost: ["DATABASE_HOST"],
    databasePort: ["DATABASE_PORT"],
    databaseSslMode: ["DATABASE_SSLMODE"],
    siteUrl: [],
    releaseId: ["RELEASE_ID"],
  },
  manage: ["collectstatic --noinput", "migrate --noinput"],
  jobs: [{ name: "alerts", command: "python manage.py sendalerts", singleton: false }],
  keepReleases: 5,
  sharedDirs: [],
  exclude: [],
  healthCheck: { path: "/about/", expectStatus: 200, expectText: "Monkey See Monkey Do", timeoutSeconds: 30 },
  migrations: { afterSwitch: [], allowUnsafe: [] },
};

const commands = (): Record<string, Record<string, any>> =>
  Object.fromEntries(registered.filter((r) => r.type.endsWith("HostCommand")).map((r) => [r.name, unwrap(r.inputs)]));
const raw = (name: string) => registered.find((r) => r.name === name)!.inputs;

/** Resolves an Output (mocks resolve them; secrets included). */
function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

let releaseId: string;

beforeAll(async () => {
  const { DjangoApp } = await import("../src/components/djangoApp");
  const deployed = new DjangoApp("hc", {
    connection: pulumi.secret({
      host: "203.0.113.10",
      port: 22,
      user: "root",
      privateKey: PRIVATE_KEY,
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB",
    }),
    hostId: "droplet-1",
    app: { ...app, source: makeAppVariant("v1") },
    site: { serverName: "example.com", listen: "80", clientMaxBodySize: "10m", static: "nginx", tls: TLS_DEFAULT },
    database: {
      name: "hc",
      user: "hc",
      password: pulumi.secret(DB_PASSWORD),
      host: "/var/run/postgresql",
      port: "5432",
      local: true,
    },
    djangoSecretKey: pulumi.secret(SECRET_KEY),
    secretEnv: pulumi.secret({ SENTRY_DSN: "https://unit-test-dsn" }),
  });
  releaseId = await value(deployed.releaseId);
  await value(deployed.workers);
  await settled();
});

describe("DjangoApp", () => {
  it("registers one command per step, with stable names", () => {
    expect(Object.keys(commands()).sort()).toEqual(APP_COMMANDS_WITH_ONE_JOB);
    expect(releaseId).toMatch(/^[0-9a-f]{12}$/);
  });

  it("replaces the release, the web program and the worker when the release changes, and updates the switch in place", () => {
    const c = commands();
    expect(c["hc-release-build"].triggers).toEqual([releaseId, "droplet-1"]);
    // A program's only triggers are its name (release + digest of its definition) and the host.
    expect(c["hc-web-program"].triggers).toEqual([
      expect.stringMatching(new RegExp(`^hc-web-${releaseId}-[0-9a-f]{8}$`)),
      "droplet-1",
    ]);
    expect(c["hc-job-alerts-program"].triggers).toEqual([
      expect.stringMatching(new RegExp(`^hc-alerts-${releaseId}-[0-9a-f]{8}$`)),
      "droplet-1",
    ]);
    expect(c["hc-web-program"].create).toContain(`[program:${c["hc-web-program"].triggers[0]}]`);
    expect(c["hc-job-alerts-program"].create).toContain(`[program:${c["hc-job-alerts-program"].triggers[0]}]`);
    // The switch's only trigger is the host: a new release updates it, never replaces it.
    expect(c["hc-site-upstream"].triggers).toEqual(["droplet-1"]);
    expect(c["hc-site-upstream"].update).toContain(
      `SOCKET='/srv/hc/run/${c["hc-web-program"].triggers[0].slice(3)}.sock'`,
    );
  });

  it("starts gunicorn on the release's own socket, health-checks it, and stops it gracefully", () => {
    const web = commands()["hc-web-program"];
    const program = web.triggers[0];
    expect(web.create).toMatch(/^# Start the supervisor program beside the running ones/);
    expect(web.create).toContain(`--bind unix:/srv/hc/run/${program.slice(3)}.sock`);
    expect(web.create).toContain("CHECK_PATH='/about/'");
    expect(web.create).toContain("EXPECT_TEXT='Monkey See Monkey Do'");
    expect(web.create).toContain("stopwaitsecs=40");
    expect(web.create).toContain("stopasgroup=true");
    expect(web.create).toContain("--graceful-timeout 30");
    expect(web.delete).toContain(`PROGRAM='${program}'`);
    expect(web.update).toBe(web.create);
    expect(web.check).toMatch(/^# Check that the supervisor program still runs/);
    // Never a reload or restart of supervisord, which restarts every program.
    expect(web.create).not.toMatch(/supervisorctl reload|\.restart\(/);
  });

  it("builds the release with the configured management commands and prunes on delete", () => {
    const build = commands()["hc-release-build"];
    expect(build.create).toContain(`RELEASE_DIR='/srv/hc/releases/${releaseId}'`);
    expect(build.create).toContain("MANAGE='collectstatic --noinput\nmigrate --noinput'");
    expect(build.upload.destination).toBe(`/srv/hc/uploads/${releaseId}.tar.gz`);
    expect(build.delete).toContain("KEEP='5'");
  });

  it("sends settings and secrets on stdin only, as an env file", () => {
    const c = commands();
    expect(isSecret(raw("hc-release-build").stdin)).toBe(true);
    expect(isSecret(raw("hc-host-bootstrap").stdin)).toBe(true);
    expect(isSecret(raw("hc-web-program").connection)).toBe(true);
    expect(c["hc-release-build"].stdin).toContain(`DJANGO_SECRET_KEY='${SECRET_KEY}'`);
    expect(c["hc-release-build"].stdin).toContain(`DATABASE_PASSWORD='${DB_PASSWORD}'`);
    expect(c["hc-release-build"].stdin).toContain(`RELEASE_ID='${releaseId}'`);
    expect(c["hc-release-build"].stdin).toContain("SENTRY_DSN='https://unit-test-dsn'");
    expect(c["hc-release-build"].stdin).toContain("DJANGO_ALLOWED_HOSTS='example.com,localhost'");
    expect(c["hc-release-build"].stdin).toContain(
      `DATABASE_URL='postgres://hc:${DB_PASSWORD}@%2Fvar%2Frun%2Fpostgresql/hc'`,
    );
    expect(c["hc-host-bootstrap"].stdin).toBe(`${DB_PASSWORD}\n`);
    for (const [name, inputs] of Object.entries(c)) {
      for (const field of ["create", "update", "delete", "triggers"]) {
        const text = JSON.stringify(inputs[field] ?? "");
        for (const secret of [SECRET_KEY, DB_PASSWORD, "unit-test-private-key", "unit-test-dsn"]) {
          expect(text.includes(secret), `${name}.${field} holds a secret`).toBe(false);
        }
      }
    }
  });

  it("renders the front door with only where it listens, and the site program with the rest", () => {
    const c = commands();
    const front = c["hc-site-config"].create as string;
    expect(front).toContain("server unix:/srv/hc/site/live.sock");
    expect(front).toContain("listen 80 default_server;");
    expect(front).toContain("nginx -t");
    expect(front).not.toContain("example.com");
    expect(front).not.toContain("10m");
    const site = c["hc-site-program"];
    const program = site.triggers[0] as string;
    expect(program).toMatch(/^hc-site-[0-9a-f]{8}$/);
    expect(site.create).toContain("server unix:/srv/hc/run/current.sock");
    expect(site.create).toContain("root /srv/hc/public;");
    expect(site.create).toContain("server_name example.com;");
    expect(site.create).toContain("client_max_body_size 10m;");
    // Named: the names' server, and a catch-all that answers 421 for any other name.
    expect(site.create).toContain(`listen unix:/srv/hc/site/${program}/nginx.sock;`);
    expect(site.create).toContain(
      `listen unix:/srv/hc/site/${program}/nginx.sock default_server;\n        return 421;`,
    );
    expect(site.create).toContain(`pid /srv/hc/site/${program}/nginx.pid;`);
    expect(site.create).toContain("stopsignal=QUIT");
    expect(c["hc-site-switch"].update).toContain(`SOCKET='/srv/hc/site/${program}/nginx.sock'`);
    expect(c["hc-site-switch"].update).toContain(`LINK='/srv/hc/site/live.sock'`);
    expect(c["hc-site-switch"].triggers).toEqual(["droplet-1"]);
  });
});
