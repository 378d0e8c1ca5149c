// Benchmark (not a test): `pulumi up` against the seed's own procedure, on the same fresh sandbox
// host in the same run, for an app shaped like a real one: Django with seven common dependencies
// (a C-extension wheel among them), 300 static files, and three management commands (collectstatic,
// an offline compress step, migrate). Each figure is the median of several runs, with its range.
// It records each code-only `up`'s timeline and draws the median one.
// Usage: npm run benchmark [-- --runs N] [-- --svg FILE]   (default 5 runs, docs/deploy-timeline.svg;
// the chart's data goes beside it, as .json)
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { TIMELINE_ENV, TimelineStep } from "../src/host/timeline";
import { makeAppVariant } from "../tests/support/appVariants";
import { REPO } from "../tests/support/pulumiEnv";
import { SandboxStack, sandboxEnv, sandboxExec, startSandbox } from "../tests/support/sandboxStack";
import { parseTimeline } from "../src/host/timeline";
import { timelineSvg } from "./timelineSvg";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2225 };
const LISTEN = "127.0.0.1:8082";
// Common dependencies of a Django app beyond the sample app's own three (Django, gunicorn, psycopg).
const TYPICAL = [
  "requests==2.32.3",
  "sentry-sdk==2.19.2",
  "boto3==1.35.90",
  "Pillow==11.0.0",
  "celery==5.4.0",
  "redis==5.2.1",
  "whitenoise==6.8.2",
];
// What django-compressor's `compress --offline` does, in small: bundle the collected CSS and JS.
const COMPRESS = `from hashlib import sha256
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Bundles every collected CSS and JS file into one file per type, named by its hash."

    def handle(self, *args, **options):
        root = Path(settings.STATIC_ROOT)
        for ext in ("css", "js"):
            body = "\\n".join(p.read_text() for p in sorted(root.rglob(f"*.{ext}")) if "CACHE" not in p.parts)
            out = root / "CACHE" / ext / f"output.{sha256(body.encode()).hexdigest()[:12]}.{ext}"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(body)
`;

function appFiles(): Record<string, string> {
  const files: Record<string, string> = { "api/management/commands/compress.py": COMPRESS };
  for (let i = 0; i < 150; i++) {
    const n = String(i).padStart(3, "0");
    files[`api/static/api/vendor/widget-${n}.js`] = `/* widget ${n} */\n${`export const w${n} = ${i};\n`.repeat(60)}`;
    files[`api/static/api/vendor/widget-${n}.css`] = `/* widget ${n} */\n${`.w${n} { margin: ${i}px; }\n`.repeat(60)}`;
  }
  return files;
}

const variant = (version: string, extra: string[] = []) =>
  makeAppVariant(version, { extraRequirements: [...TYPICAL, ...extra], files: appFiles() });

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

function figure(runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs };
}

const show = (f: Figure) =>
  f.runs.length === 1 ? `${f.median.toFixed(1)}` : `${f.median.toFixed(1)} (${f.min.toFixed(1)}–${f.max.toFixed(1)})`;

const seedPhases: Array<Record<string, number>> = [];

// Before each timed run, untimed: the disk writes of the run before (a venv written, one removed)
// are flushed, so that no run pays for the last one's (back to back, a seed-style run took 21 s
// where the same run after a pause took 12 s).
const settle = () => sandboxExec(place, "sync");

async function seedStyle(cache: "warm" | "cold", counted = true): Promise<number> {
  await settle();
  const r = spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "ssh", `bash -s hc /srv/hc/current ${cache}`], {
    input: fs.readFileSync(path.join(REPO, "benchmark/seed-style-deploy.sh")),
    env: sandboxEnv(place),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`seed-style deploy failed: ${r.stderr}`);
  // The script's own total: from its start to the new gunicorn answering, without SSH or cleanup.
  const total = /^seed-style total: ([\d.]+) s$/m.exec(r.stderr);
  if (!total) throw new Error(`seed-style deploy printed no total:\n${r.stderr}`);
  const seconds = Number(total[1]);
  const phases = Object.fromEntries(
    [...r.stderr.matchAll(/^seed-style phase: (.+) ([\d.]+) s$/gm)].map((m) => [m[1], Number(m[2])]),
  );
  if (cache === "warm" && counted) seedPhases.push(phases);
  const shown = Object.entries(phases).map(([k, v]) => `${k} ${v}`);
  log(
    `   seed-style (${cache === "warm" ? "every wheel on the server" : "downloading"}): ${seconds.toFixed(1)} s (${shown.join(", ")})`,
  );
  return seconds;
}

/** Seconds each kind of host step took in one timeline: resource and operation. */
function phases(steps: TimelineStep[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) {
    const key = `${s.resource} ${s.op}`;
    out[key] = (out[key] ?? 0) + (s.end - s.start) / 1000;
  }
  return out;
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, svg: { type: "string", default: "docs/deploy-timeline.svg" } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number ≥ 1, got ${values.runs}`);
  const timelines = fs.mkdtempSync(path.join(os.tmpdir(), "timeline-"));

  log("== fresh sandbox host");
  const sandbox = await startSandbox({ ...place, fresh: true });
  const stack = new SandboxStack("bench");
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  // No load during these runs: the seed-style baseline runs without any, and on 2 cores a load
  // probe would take CPU from pip. Zero downtime under load is what the integration tests measure.
  const up = async (label: string, source: string, timeline?: string) => {
    stack.setPlain({
      app: {
        name: "hc",
        source,
        manage: ["collectstatic --noinput", "compress", "migrate --noinput"],
        jobs: [{ name: "alerts", command: "python manage.py sendalerts" }],
        healthCheck: { path: "/about/" },
      },
      site: { listen: LISTEN },
    });
    await settle();
    const started = Date.now();
    const r = await stack.up([], timeline ? { [TIMELINE_ENV]: timeline } : {});
    if (r.code !== 0) throw new Error(`${label}: pulumi up failed\n${r.stdout}\n${r.stderr}`);
    log(`   ${label}: ${r.seconds.toFixed(1)} s`);
    return { seconds: r.seconds, started, ended: Date.now() };
  };

  const first = await up("first deploy (bootstrap + v1)", variant("v1"));
  const seedCold = await seedStyle("cold");
  await seedStyle("warm", false); // fills the wheelhouse, as earlier deploys fill pip's cache

  const codeOnly: Array<{ seconds: number; started: number; ended: number; timeline: string }> = [];
  const seedWarm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const timeline = path.join(timelines, `code-only-${i}.jsonl`);
    codeOnly.push({ ...(await up(`code-only change (v${i + 2})`, variant(`v${i + 2}`), timeline)), timeline });
    seedWarm.push(await seedStyle("warm"));
  }
  const last = `v${runs + 1}`;
  const noChange: number[] = [];
  for (let i = 0; i < runs; i++) noChange.push((await up("no change", variant(last))).seconds);
  const returns: number[] = [];
  for (let i = 0; i < runs; i++) {
    const to = i % 2 === 0 ? `v${runs}` : last;
    returns.push((await up(`return to the kept ${to}`, variant(to))).seconds);
  }
  const requirements = await up("requirements change (one package added)", variant("v99", ["six==1.16.0"]));
  // A second downloading run, last: the first ran before the host had done anything else.
  const seedCold2 = await seedStyle("cold");

  const tool = figure(codeOnly.map((r) => r.seconds));
  const seed = figure(seedWarm);
  const rows: Array<[string, Figure]> = [
    ["`pulumi up`, first deploy (bootstrap a fresh host + v1)", figure([first.seconds])],
    ["`pulumi up`, nothing changed", figure(noChange)],
    ["`pulumi up`, code-only change", tool],
    ["`pulumi up`, return to a kept release", figure(returns)],
    ["`pulumi up`, requirements change (one package added: a new venv)", figure([requirements.seconds])],
    ["seed-style code-only deploy, every wheel on the server", seed],
    ["seed-style code-only deploy, downloading (first and last run)", figure([seedCold, seedCold2])],
  ];
  console.log(`| what | runs | seconds: median (range) |`);
  console.log(`| --- | --- | --- |`);
  for (const [what, f] of rows) console.log(`| ${what} | ${f.runs.length} | ${show(f)} |`);
  const ratio = seed.median / tool.median;
  console.log(
    `\nseed-style (every wheel on the server) / pulumi up, code-only: ${ratio.toFixed(2)}x ` +
      `(${(seed.min / tool.max).toFixed(2)}–${(seed.max / tool.min).toFixed(2)}x over the runs' extremes)`,
  );

  // The median code-only run: its timeline drawn, and each host step's seconds across runs.
  // (For an even number of runs, the slower of the two middle ones.)
  const median = [...codeOnly].sort((a, b) => a.seconds - b.seconds)[codeOnly.length >> 1];
  const steps = parseTimeline(fs.readFileSync(median.timeline, "utf8"));
  fs.mkdirSync(path.dirname(path.resolve(values.svg!)), { recursive: true });
  const chart = {
    steps,
    up: { start: median.started, end: median.ended },
    title: `A code-only pulumi up (median of ${runs}: ${median.seconds.toFixed(1)} s)`,
  };
  fs.writeFileSync(values.svg!, timelineSvg(chart));
  // What the picture shows, kept beside it: the timeline as recorded, and when the up ran.
  fs.writeFileSync(values.svg!.replace(/\.svg$/, "") + ".json", `${JSON.stringify(chart, null, 1)}\n`);
  console.log(`\nhost steps of a code-only up, seconds: median (range) over ${runs} runs; timeline in ${values.svg}`);
  const perRun = codeOnly.map((r) => phases(parseTimeline(fs.readFileSync(r.timeline, "utf8"))));
  for (const key of Object.keys(phases(steps))) {
    console.log(`  ${key}: ${show(figure(perRun.map((p) => p[key] ?? 0)))}`);
  }
  console.log(
    `\nseed-style phases (every wheel on the server), seconds: median (range) over ${seedPhases.length} runs`,
  );
  for (const key of Object.keys(seedPhases[0] ?? {})) {
    console.log(`  ${key}: ${show(figure(seedPhases.map((p) => p[key] ?? 0)))}`);
  }
  console.log(
    JSON.stringify({
      runs,
      first_deploy_s: first.seconds,
      no_change_s: figure(noChange),
      code_change_s: tool,
      return_to_kept_s: figure(returns),
      requirements_change_s: requirements.seconds,
      seed_style_warm_s: seed,
      seed_style_cold_s: [seedCold, seedCold2],
      seed_over_tool_ratio: Number(ratio.toFixed(2)),
    }),
  );

  await stack.destroy();
  await stack.remove();
  spawnSync("bash", [path.join(REPO, "scripts/sandbox.sh"), "destroy"], { env: sandboxEnv(place) });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
