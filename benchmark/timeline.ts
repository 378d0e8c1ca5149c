// npm run timeline -- FILE [OUT.svg]: the steps of a deploy timeline (DJANGO_ZD_TIMELINE=FILE
// pulumi up) as a table, each phase with its seconds; with OUT.svg, also as a Gantt chart.
import * as fs from "fs";
import { parseTimeline } from "../src/host/timeline";
import { timelineSvg } from "./timelineSvg";

function main(args: string[]) {
  const [file, out] = args;
  if (!file || args.length > 2) throw new Error("usage: npm run timeline -- TIMELINE_FILE [OUT.svg]");
  const steps = parseTimeline(fs.readFileSync(file, "utf8")).sort((a, b) => a.start - b.start);
  const t0 = steps[0]?.start ?? 0;
  for (const s of steps) {
    const at = ((s.start - t0) / 1000).toFixed(1).padStart(6);
    const took = ((s.end - s.start) / 1000).toFixed(1).padStart(5);
    console.log(`+${at} s ${took} s  ${s.resource} ${s.op}${s.ok ? "" : " (failed)"}`);
    s.marks.forEach((m, i) => {
      const next = s.marks[i + 1]?.at ?? s.end;
      console.log(`          ${((next - m.at) / 1000).toFixed(1).padStart(5)} s    ${m.text.slice(0, 100)}`);
    });
  }
  if (out) {
    fs.writeFileSync(out, timelineSvg({ steps }));
    console.log(`wrote ${out}`);
  }
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
