// Benchmark (not a test): wall time of `pulumi up` for a code-only change, a
// requirements change and a return to the previous version, against a fresh
// sandbox host; and the same code-only change done seed-style (fresh venv,
// full pip install) on the same host in the same run. Prints a Markdown table
// and a JSON line. Usage: npm run benchmark
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { makeAppVariant } from "../tests/support/appVariants";
import { REPO } from "../tests/support/pulumiEnv";
import { SandboxStack, sandboxEnv, startSandbox } from "../tests/support/sandboxStack";

const place = { dir: path.join(REPO, ".sandbox-bench"), port: 2224 };
// A typical Django app's dependencies on top of the sample app's three: what
// a code-only deploy reinstalls when every release gets a fresh venv.
const TYPICAL = [
  "requests==2.32.3",
  "sentry-sdk==2.19.2",
  "boto3==1.35.90",
  "Pillow==11.0.0",
  "celery==5.4.0",
  "redis==5.2.1",
  "whitenoise==6.8.2",
];
const variant = (version: string, extra: string[] = []) =>
  makeAppVariant(version, { extraRequirements: [...TYPICAL, ...extra] });
const LISTEN = "127.0.0.1:8082";

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

function seedStyle(): number {
  const started = Date.now();
  const r = spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "ssh", "bash -s hc /srv/hc/current"], {
    input: fs.readFileSync(path.join(REPO, "benchmark/seed-style-deploy.sh")),
    env: sandboxEnv(place),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`seed-style deploy failed: ${r.stderr}`);
  return (Date.now() - started) / 1000;
}

async function main() {
  log("== fresh sandbox host");
  const sandbox = await startSandbox({ ...place, fresh: true });
  const stack = new SandboxStack("bench");
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  const app = (source: string) => ({
    app: {
      name: "hc",
      source,
      jobs: [{ name: "alerts", command: "python manage.py sendalerts" }],
      healthCheck: { path: "/about/" },
    },
    site: { listen: LISTEN },
  });
  // No load during these runs: the seed-style baseline runs without any, and on
  // 2 cores a load probe would take CPU from pip. Zero downtime under load is
  // what the demo and the integration tests measure.
  const up = async (label: string, source: string) => {
    stack.setPlain(app(source));
    const r = await stack.up();
    if (r.code !== 0) throw new Error(`${label}: pulumi up failed\n${r.stdout}\n${r.stderr}`);
    log(`   ${label}: ${r.seconds.toFixed(1)} s`);
    return r.seconds;
  };

  const results = {
    first_deploy_s: await up("first deploy (bootstrap + v1)", variant("v1")),
    no_change_s: await up("no change", variant("v1")),
    code_change: await up("code-only change (v2)", variant("v2")),
    seed_style_code_change_s: (log("== seed-style code-only change (fresh venv, full pip install)"), seedStyle()),
    requirements_change: await up("requirements change (v3 + six)", variant("v3", ["six==1.16.0"])),
    return_to_previous: await up("return to v2", variant("v2")),
  };
  log(`   seed-style: ${results.seed_style_code_change_s.toFixed(1)} s`);
  const ratio = results.seed_style_code_change_s / results.code_change;

  const row = (what: string, s: number) => console.log(`| ${what} | ${s.toFixed(1)} |`);
  console.log(`| change | wall time (s) |`);
  console.log(`| --- | --- |`);
  row("`pulumi up`, first deploy (bootstrap a fresh host + v1)", results.first_deploy_s);
  row("`pulumi up`, nothing changed", results.no_change_s);
  row("`pulumi up`, code-only change", results.code_change);
  row("`pulumi up`, requirements change (one package added)", results.requirements_change);
  row("`pulumi up`, return to the previous version", results.return_to_previous);
  row(
    "seed-style code-only change (fresh venv + full pip install, new gunicorn checked)",
    results.seed_style_code_change_s,
  );
  console.log(`\nseed-style / this tool for a code-only change: ${ratio.toFixed(1)}x`);
  console.log(JSON.stringify({ ...results, seed_over_tool_ratio: Number(ratio.toFixed(2)) }));

  await stack.destroy();
  await stack.remove();
  spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "destroy"], { env: sandboxEnv(place) });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
