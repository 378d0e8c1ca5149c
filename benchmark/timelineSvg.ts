// Draws a deploy timeline (src/host/timeline.ts) as a Gantt chart in SVG: one row per host step,
// split into its phases at its progress lines, on a time axis from the start of `pulumi up`.
import type { TimelineStep } from "../src/host/timeline";

export interface TimelineChart {
  steps: TimelineStep[];
  /** When `pulumi up` started and ended (ms since the epoch); default: the steps' first start and last end. */
  up?: { start: number; end: number };
  title?: string;
}

const LABEL_W = 250;
const PLOT_W = 900;
const ROW_H = 22;
const TOP = 46;

// Phases coloured by what they wait for; the first pattern a phase's text matches wins.
const KINDS: Array<[RegExp, string, string]> = [
  [/^upload$/, "#4e79a7", "upload"],
  [/\bpip\b|\bvenv\b/, "#f28e2b", "venv"],
  [/manage\.py|^static files:|^media:/, "#b07aa1", "the app's Django (manage.py)"],
  [/ started; checking it| healthy after| not healthy yet/, "#59a14f", "program start and health check"],
  [/^stopping /, "#e15759", "old program stop"],
];
const OTHER: [string, string] = ["#9cb3c9", "connect, lock, other"];

const escape = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A progress line as a phase name: without the release id it repeats. */
function phaseName(text: string): string {
  return text.replace(/^release [\w.-]+: /, "").replace(/\s*\(.*$/, "");
}

function colour(name: string): string {
  return KINDS.find(([re]) => re.test(name))?.[1] ?? OTHER[0];
}

/** A tick spacing that gives at most about 15 ticks. */
function tickStep(seconds: number): number {
  return [0.5, 1, 2, 5, 10, 20, 30, 60].find((s) => seconds / s <= 15) ?? 120;
}

export function timelineSvg(chart: TimelineChart): string {
  const steps = [...chart.steps].sort((a, b) => a.start - b.start);
  if (steps.length === 0) throw new Error("the timeline has no steps");
  const start = chart.up?.start ?? Math.min(...steps.map((s) => s.start));
  const end = chart.up?.end ?? Math.max(...steps.map((s) => s.end));
  const total = Math.max((end - start) / 1000, 0.1);
  const x = (ms: number) => LABEL_W + ((ms - start) / 1000 / total) * PLOT_W;
  const rows = chart.up ? steps.length + 1 : steps.length;
  const height = TOP + rows * ROW_H + 50;
  const out: string[] = [];
  const text = (tx: number, ty: number, s: string, attrs = "") =>
    out.push(`<text x="${tx.toFixed(1)}" y="${ty}" ${attrs}>${escape(s)}</text>`);
  const bar = (x0: number, x1: number, row: number, fill: string, title: string, extra = "") =>
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${TOP + row * ROW_H + 3}" width="${Math.max(x1 - x0, 1).toFixed(1)}" ` +
        `height="${ROW_H - 6}" fill="${fill}" ${extra}><title>${escape(title)}</title></rect>`,
    );

  if (chart.title) text(8, 20, chart.title, 'font-weight="bold"');
  const every = tickStep(total);
  for (let t = 0; t <= total + 1e-9; t += every) {
    const tx = x(start + t * 1000);
    out.push(
      `<line x1="${tx.toFixed(1)}" y1="${TOP - 4}" x2="${tx.toFixed(1)}" y2="${TOP + rows * ROW_H}" stroke="#ddd"/>`,
    );
    text(tx, TOP - 8, `${Number(t.toFixed(1))} s`, 'text-anchor="middle" fill="#555"');
  }

  let row = 0;
  if (chart.up) {
    text(8, TOP + ROW_H - 7, `pulumi up: ${total.toFixed(1)} s`);
    bar(x(start), x(end), row++, "#d9d9d9", "pulumi up: the engine and the program, around the host steps");
  }
  for (const step of steps) {
    const y = TOP + row * ROW_H + ROW_H - 7;
    const seconds = (step.end - step.start) / 1000;
    text(8, y, `${step.resource} ${step.op} ${seconds.toFixed(1)} s`);
    const bounds = [step.start, ...step.marks.map((m) => m.at), step.end];
    const names = ["connect, start", ...step.marks.map((m) => phaseName(m.text))];
    for (let i = 0; i < names.length; i++) {
      const [a, b] = [bounds[i], bounds[i + 1]];
      const name = names[i];
      bar(x(a), x(b), row, colour(name), `${name}: ${((b - a) / 1000).toFixed(2)} s`);
      if (x(b) - x(a) > name.length * 6 + 6) text(x(a) + 3, y, name, 'fill="#fff" font-size="10"');
    }
    if (!step.ok) bar(x(step.start), x(step.end), row, "none", "failed", 'stroke="#c00" stroke-width="2"');
    row++;
  }
  const since = chart.up ? "time since pulumi up started" : "time since the first step started";
  text(LABEL_W, TOP + rows * ROW_H + 20, since, 'fill="#555"');
  let lx = 8;
  for (const [fill, name] of [...KINDS.map(([, f, n]) => [f, n]), OTHER]) {
    const ly = TOP + rows * ROW_H + 32;
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${fill}"/>`);
    text(lx + 14, ly + 9, name);
    lx += 24 + name.length * 6;
  }

  const width = LABEL_W + PLOT_W + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}
