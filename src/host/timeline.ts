// A deploy's timeline. With DJANGO_ZD_TIMELINE naming a file, each host step of an `up` appends one
// JSON line to it when it ends: its resource, create/update/delete, start and end (ms since the
// epoch), whether it succeeded, and when each of its progress lines came. `npm run timeline` draws
// the file. Kept free of Pulumi types: the dynamic provider serializes this into state.

export const TIMELINE_ENV = "DJANGO_ZD_TIMELINE";

export interface TimelineMark {
  at: number;
  text: string;
}

export interface TimelineStep {
  resource: string;
  op: "create" | "update" | "delete";
  start: number;
  end: number;
  ok: boolean;
  marks: TimelineMark[];
}

export interface StepTimer {
  /** A phase of the step begins now. */
  mark(text: string): void;
  /** The step is over: written to the timeline file, when there is one. */
  end(ok: boolean): void;
}

export function startStep(resource: string, op: TimelineStep["op"]): StepTimer {
  const start = Date.now();
  const marks: TimelineMark[] = [];
  return {
    mark: (text) => void marks.push({ at: Date.now(), text }),
    end(ok) {
      const file = process.env[TIMELINE_ENV];
      if (!file) return;
      const step: TimelineStep = { resource, op, start, end: Date.now(), ok, marks };
      try {
        // Required here, not imported: the dynamic provider's serializer cannot capture a module
        // object that a test runner's loader wraps. One write per line: lines never interleave.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs: typeof import("fs") = require("fs");
        fs.appendFileSync(file, `${JSON.stringify(step)}\n`);
      } catch (err) {
        // The step's outcome on the host is what counts: a timeline that cannot be written is only said.
        process.stderr.write(`${TIMELINE_ENV}: cannot append to ${file}: ${(err as Error).message}\n`);
      }
    },
  };
}

/** Runs `work` as one step of the timeline. */
export async function timed<T>(
  resource: string,
  op: TimelineStep["op"],
  work: (timer: StepTimer) => Promise<T>,
): Promise<T> {
  const timer = startStep(resource, op);
  try {
    const result = await work(timer);
    timer.end(true);
    return result;
  } catch (err) {
    timer.end(false);
    throw err;
  }
}

/** Reads a timeline file: one JSON step per line; blank lines are skipped. */
export function parseTimeline(text: string): TimelineStep[] {
  const steps: TimelineStep[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const step = JSON.parse(line) as TimelineStep;
    const valid =
      typeof step.resource === "string" &&
      ["create", "update", "delete"].includes(step.op) &&
      typeof step.start === "number" &&
      typeof step.end === "number" &&
      typeof step.ok === "boolean" &&
      Array.isArray(step.marks);
    if (!valid) throw new Error(`timeline line ${i + 1} is not a step: ${line.slice(0, 80)}`);
    steps.push(step);
  });
  return steps;
}
