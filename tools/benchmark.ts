// Benchmark (not a test): wall time of `pulumi up` for a code-only change, a
// requirements change and a return to the previous version, against a fresh
// sandbox host; and the same code-only change done seed-style (fresh venv,
// full pip install) on the same host in the same run. Prints a Markdown table
// and a JSON line. Usage: npm run benchmark
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { makeAppVariant } from "../tests/fixtures/app-variants";
import { deployUnderLoad } from "./deployUnderLoad";
import { REPO } from "./pulumiEnv";
import { SandboxStack, startSandbox } from "./sandboxStack";

const place = { dir: path.join(REPO, ".sandbox-bench"), port: 2224 };
const LISTEN = "127.0.0.1:8082";

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

function seedStyle(): number {
  const started = Date.now();
  const r = spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "ssh", "bash -s hc /srv/hc/current"], {
    input: fs.readFileSync(path.join(REPO, "tools/seed-style-deploy.sh")),
    env: { ...process.env, SANDBOX_DIR: place.dir, SANDBOX_SSH_PORT: String(place.port) },
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
  await stack.init(sandbox, { djangoSecretKey: crypto.randomBytes(32).toString("base64url"), dbPassword: crypto.randomBytes(18).toString("base64url") });
  const app = (source: string) => ({ app: { name: "hc", source, jobs: [{ name: "alerts", command: "python manage.py sendalerts" }] }, site: { listen: LISTEN } });
  const up = async (label: string, source: string) => {
    stack.setPlain(app(source));
    const r = await deployUnderLoad(stack, { url: `http://${LISTEN}`, slowSeconds: 0, minProbeMs: 0, marginMs: 500, clients: 8 });
    if (r.up.code !== 0) throw new Error(`${label}: pulumi up failed\n${r.up.stdout}\n${r.up.stderr}`);
    log(`   ${label}: ${r.up.seconds.toFixed(1)} s, probe ${r.probe.requests} requests, ${r.probe.failed} failed`);
    return { seconds: r.up.seconds, failed: r.probe.failed, requests: r.probe.requests };
  };

  const v1 = makeAppVariant("v1");
  stack.setPlain(app(v1));
  log("== first deploy (bootstrap + v1)");
  const first = await stack.up();
  if (first.code !== 0) throw new Error(first.stdout + first.stderr);
  log(`   ${first.seconds.toFixed(1)} s`);

  const results = {
    first_deploy_s: first.seconds,
    code_change: await up("code-only change (v2)", makeAppVariant("v2")),
    seed_style_code_change_s: (log("== seed-style code-only change (fresh venv, full pip install)"), seedStyle()),
    requirements_change: await up("requirements change (v3 + six)", makeAppVariant("v3", { extraRequirement: "six==1.16.0" })),
    return_to_previous: await up("return to v2", makeAppVariant("v2")),
  };
  log(`   seed-style: ${results.seed_style_code_change_s.toFixed(1)} s`);
  const ratio = results.seed_style_code_change_s / results.code_change.seconds;

  console.log(`| change | pulumi up (s) | failed requests |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| first deploy (bootstrap a fresh host + v1) | ${results.first_deploy_s.toFixed(1)} | – |`);
  console.log(`| code-only change | ${results.code_change.seconds.toFixed(1)} | ${results.code_change.failed} of ${results.code_change.requests} |`);
  console.log(`| requirements change | ${results.requirements_change.seconds.toFixed(1)} | ${results.requirements_change.failed} of ${results.requirements_change.requests} |`);
  console.log(`| return to the previous version | ${results.return_to_previous.seconds.toFixed(1)} | ${results.return_to_previous.failed} of ${results.return_to_previous.requests} |`);
  console.log(`| seed-style code-only change (fresh venv + pip install, no switch) | ${results.seed_style_code_change_s.toFixed(1)} | – |`);
  console.log(`\nseed-style / this tool for a code-only change: ${ratio.toFixed(1)}x`);
  console.log(JSON.stringify({ ...results, seed_over_tool_ratio: Number(ratio.toFixed(2)) }));

  await stack.destroy();
  await stack.remove();
  spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "destroy"], { env: { ...process.env, SANDBOX_DIR: place.dir, SANDBOX_SSH_PORT: String(place.port) } });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
