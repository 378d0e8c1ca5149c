// The deploy timeline: what a step writes (only when asked), and the chart drawn from it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { timelineSvg } from "../benchmark/timelineSvg";
import { parseTimeline, startStep, timed, TIMELINE_ENV, TimelineStep } from "../src/host/timeline";

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "timeline-")), "up.jsonl");
// Never the caller's own timeline file, when the shell that runs the tests has one set.
beforeEach(() => void delete process.env[TIMELINE_ENV]);
afterEach(() => {
  delete process.env[TIMELINE_ENV];
  fs.rmSync(file, { force: true });
});

describe("recording", () => {
  it("writes nothing unless DJANGO_ZD_TIMELINE names a file", () => {
    const t = startStep("hc-release", "create");
    t.mark("pip install");
    t.end(true);
    expect(fs.existsSync(file)).toBe(false);
  });

  it("appends one line per step, its phases in order", async () => {
    process.env[TIMELINE_ENV] = file;
    await timed("hc-release", "create", async (t) => {
      t.mark("release abc: building venv abc");
      await new Promise((r) => setTimeout(r, 20));
      t.mark("release abc: manage.py migrate");
    });
    await expect(timed("hc-web", "update", async () => Promise.reject(new Error("unhealthy")))).rejects.toThrow(
      "unhealthy",
    );
    const [release, web] = parseTimeline(fs.readFileSync(file, "utf8"));
    expect(release).toMatchObject({ resource: "hc-release", op: "create", ok: true });
    expect(release.marks.map((m) => m.text)).toEqual([
      "release abc: building venv abc",
      "release abc: manage.py migrate",
    ]);
    expect(release.marks[1].at - release.marks[0].at).toBeGreaterThanOrEqual(15);
    expect(release.end).toBeGreaterThanOrEqual(release.marks[1].at);
    expect(web).toMatchObject({ resource: "hc-web", op: "update", ok: false, marks: [] });
  });

  it("never fails a step when the file cannot be written", async () => {
    process.env[TIMELINE_ENV] = path.join(file, "no-such-dir", "up.jsonl");
    await expect(timed("hc-release", "create", async () => "built")).resolves.toBe("built");
  });
});

describe("the chart", () => {
  const step = (resource: string, start: number, end: number, marks: Array<[number, string]>, ok = true) =>
    ({ resource, op: "create", start, end, ok, marks: marks.map(([at, text]) => ({ at, text })) }) as TimelineStep;
  const steps = [
    step("hc-web", 5000, 6000, [[5200, "hc-web-x started; checking it (up to 60s)"]]),
    step("hc-release", 1000, 4000, [
      [1500, "release r1: building venv v1"],
      [3000, "release r1: manage.py <migrate>"],
    ]),
    step("hc-job", 6000, 7000, [], false),
  ];
  const svg = timelineSvg({ steps, up: { start: 0, end: 8000 }, title: "code-only change" });

  it("draws a row per step in start order, after the whole up", () => {
    const rows = [...svg.matchAll(/<text x="8\.0" y="\d+" >([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(rows).toEqual(["pulumi up: 8.0 s", "hc-release create 3.0 s", "hc-web create 1.0 s", "hc-job create 1.0 s"]);
  });

  it("splits a step at its progress lines, without the release id, and escapes them", () => {
    expect(svg).toContain("<title>building venv v1: 1.50 s</title>");
    expect(svg).toContain("<title>manage.py &#60;migrate&#62;: 1.00 s</title>");
    expect(svg).toContain("<title>connect, start: 0.50 s</title>");
    expect(svg).toContain("<title>hc-web-x started; checking it: 0.80 s</title>");
  });

  it("places bars on the time axis and outlines a failed step", () => {
    // 900 px for 8 s after a 250 px label column: the release's build starts at 1.5 s.
    expect(svg).toMatch(/<rect x="418\.8" y="\d+" width="168\.8"[^>]*><title>building venv v1/);
    expect(svg).toMatch(/stroke="#c00"[^>]*><title>failed<\/title>/);
  });

  it("refuses a file that is not a timeline, naming the line", () => {
    expect(() => parseTimeline('\n{"hello": 1}\n')).toThrow(/line 2 is not a step/);
  });
});
