// `npm run demo`: deploys the sample app's version 1 to the local sandbox
// host, then version 2 with a real `pulumi up` while the load probe runs,
// and reports. The last line is the probe's JSON summary.
import * as crypto from "crypto";
import { makeAppVariant } from "../tests/support/appVariants";
import { deployUnderLoad } from "../tests/support/deployUnderLoad";
import { requestOnce } from "../probe/probe";
import { SandboxStack, sandboxExec, startSandbox } from "../tests/support/sandboxStack";

const LISTEN = "127.0.0.1:8080";
const URL = `http://${LISTEN}`;

function appConfig(source: string) {
  return {
    name: "hc",
    source,
    jobs: [{ name: "alerts", command: "python manage.py sendalerts" }],
    healthCheck: { path: "/about/", expectText: "Monkey See Monkey Do" },
  };
}

function say(line: string) {
  process.stderr.write(`${line}\n`);
}

async function about(): Promise<string> {
  const r = await requestOnce(`${URL}/about/`);
  return `${r.status} ${r.body.trim().split("\n").slice(1).join(", ")}`;
}

async function main() {
  say("== starting the sandbox host (a local stand-in for a fresh droplet)");
  const sandbox = await startSandbox();
  say(`   ssh root@${sandbox.host} -p ${sandbox.port}, host key pinned`);

  const stack = new SandboxStack("demo");
  // Fresh random secrets the first time; kept (encrypted) in the stack's config after that.
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  stack.setPlain({ app: appConfig(makeAppVariant("v1")), site: { listen: LISTEN } });

  say("== pulumi up: bootstrap the host and deploy v1");
  const first = await stack.up();
  process.stderr.write(
    first.stdout
      .split("\n")
      .filter((l) => /^\s*[+~-]|Resources:|Duration:/.test(l))
      .join("\n") + "\n",
  );
  if (first.code !== 0) throw new Error(`pulumi up failed:\n${first.stdout}\n${first.stderr}`);
  say(`   ${URL}/about/ -> ${await about()}   (${first.seconds.toFixed(1)} s)`);

  say("== the host's services answer");
  const checks = await sandboxExec(
    {},
    `nginx -v 2>&1; supervisorctl status; su postgres -c "psql -tAc 'select version()'" | cut -d, -f1`,
  );
  process.stderr.write(checks.trimEnd().replace(/^/gm, "   ") + "\n");

  say("== pulumi up again with nothing changed");
  const again = await stack.up();
  if (again.code !== 0) throw new Error(`pulumi up failed:\n${again.stdout}\n${again.stderr}`);
  say(`   ${/Resources:\s*\n\s*(.*)/.exec(again.stdout)?.[1] ?? "?"} (${again.seconds.toFixed(1)} s)`);

  say("== pulumi up: deploy v2 while 32 clients send requests and a 15 s request is in flight");
  stack.setPlain({ app: appConfig(makeAppVariant("v2")) });
  const r = await deployUnderLoad(stack, { url: URL });
  process.stderr.write(
    r.up.stdout
      .split("\n")
      .filter((l) => /^\s*[+~-]|Resources:|Duration:/.test(l))
      .join("\n") + "\n",
  );
  if (r.up.code !== 0) throw new Error(`pulumi up failed:\n${r.up.stdout}\n${r.up.stderr}`);
  say(`   ${URL}/about/ -> ${await about()}   (${r.up.seconds.toFixed(1)} s)`);
  say(`   slow request across the switch: ${JSON.stringify(r.slow)}`);
  say(
    `   probe: ${r.probe.requests} requests, ${r.probe.failed} failed, errors ${JSON.stringify(r.probe.errors)}, p50 ${r.probe.latencyMs.p50} ms, p99 ${r.probe.latencyMs.p99} ms`,
  );
  say(`   answered by: ${JSON.stringify(r.probe.releases)}`);
  say("The sandbox keeps running: scripts/sandbox.sh ssh supervisorctl status; scripts/sandbox.sh stop");
  const p = r.probe;
  console.log(
    JSON.stringify({
      requests: p.requests,
      failed: p.failed,
      p50_ms: p.latencyMs.p50,
      p99_ms: p.latencyMs.p99,
      releases: p.releases,
      errors: p.errors,
      slow: r.slow,
      up_seconds: r.up.seconds,
    }),
  );
  process.exitCode = p.failed === 0 && r.slow && "status" in r.slow && r.slow.status === 200 ? 0 : 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
