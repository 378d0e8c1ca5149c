// The package used as a library, as another team would: `npm pack` builds it,
// a separate Pulumi program (its own project, its own index.ts) imports
// DjangoApp from "django-zero-downtime", wires its own host connection and
// deploys the sample app to the sandbox with the real engine. Proves the
// package ships what it needs (compiled code, typings, templates) and that
// nothing reaches back into this repository.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeAppVariant } from "../support/appVariants";
import { requestOnce } from "../../probe/probe";
import { REPO } from "../support/pulumiEnv";
import { SandboxStack, startSandbox, stopSandbox } from "../support/sandboxStack";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const LISTEN = "127.0.0.1:8085";
const PROJECT = "shop-infra";

const CONSUMER = `import * as pulumi from "@pulumi/pulumi";
import { DjangoApp, appConfig, siteConfig } from "django-zero-downtime";

const cfg = new pulumi.Config();
const host = cfg.requireObject<{ address: string; port: number; user: string; hostKey: string }>("host");

const shop = new DjangoApp("shop", {
  connection: cfg.requireSecret("sshPrivateKey").apply((privateKey) => ({
    host: host.address,
    port: host.port,
    user: host.user,
    privateKey,
    hostKey: host.hostKey,
  })),
  hostId: \`\${host.address}:\${host.port}\`,
  app: appConfig({ name: "shop", source: cfg.require("source"), healthCheck: { path: "/about/" } }),
  site: siteConfig({ listen: "${LISTEN}" }),
  database: {
    name: "shop",
    user: "shop",
    password: cfg.requireSecret("dbPassword"),
    host: "/var/run/postgresql",
    port: "5432",
    local: true,
  },
  djangoSecretKey: cfg.requireSecret("djangoSecretKey"),
  secretEnv: {},
});

export const releaseId = shop.releaseId;
`;

let program: string;
let stack: SandboxStack;

/** The packed package, unpacked where npm would install it; other dependencies linked from this repository. */
function makeProgram(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "consumer-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: REPO, encoding: "utf8" })
    .trim()
    .split("\n")
    .pop()!;
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(path.join(modules, "django-zero-downtime"), { recursive: true });
  execFileSync("tar", [
    "-xzf",
    path.join(dir, packed),
    "-C",
    path.join(modules, "django-zero-downtime"),
    "--strip-components=1",
  ]);
  for (const entry of fs.readdirSync(path.join(REPO, "node_modules"))) {
    if (entry !== "django-zero-downtime" && !entry.startsWith(".")) {
      fs.symlinkSync(path.join(REPO, "node_modules", entry), path.join(modules, entry));
    }
  }
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${PROJECT}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
  );
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: PROJECT, private: true, main: "index.ts" }));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "commonjs", esModuleInterop: true } }),
  );
  fs.writeFileSync(path.join(dir, "index.ts"), CONSUMER);
  return dir;
}

beforeAll(async () => {
  program = makeProgram();
  stack = new SandboxStack("ilib", { workDir: program, project: PROJECT });
  const sandbox = await startSandbox(place);
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  stack.setPlain({ source: makeAppVariant("lib1") });
});

afterAll(async () => {
  await stack?.destroy();
  await stack?.remove();
  await stopSandbox(place);
  if (program) fs.rmSync(program, { recursive: true, force: true });
});

describe("used as a library", () => {
  test("the package holds the compiled code, its typings and the templates, and nothing of the tests", () => {
    const pkg = path.join(program, "node_modules", "django-zero-downtime");
    for (const file of ["dist/index.js", "dist/index.d.ts", "templates/release.sh", "templates/prelude.sh"]) {
      expect(fs.existsSync(path.join(pkg, file)), file).toBe(true);
    }
    expect(fs.existsSync(path.join(pkg, "tests"))).toBe(false);
    expect(fs.existsSync(path.join(pkg, "src"))).toBe(false);
  });

  test("another Pulumi program imports DjangoApp, deploys the app to its own host, and then changes nothing", async () => {
    const up = await stack.up();
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const about = await requestOnce(`http://${LISTEN}/about/`);
    expect(about.status).toBe(200);
    expect(about.body).toContain("lib1");
    const again = await stack.cli(["preview", "--config-file", stack.configFile, "--diff"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/^\s*[+~-] /m);
  });
});
