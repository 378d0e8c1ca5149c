// The day-2 commands: `npm run ops -- [--stack NAME] [--config-file FILE] COMMAND …`. Each reads
// the stack's outputs and config for the connection (the host key pinned) and runs one script on
// the host (templates/ops.sh, restore.sh), or, for rollback, sets app.release and runs pulumi up.
import { spawnSync } from "child_process";
import * as fs from "fs";
import { readTemplate, renderScript } from "../host/render";
import { readStack, StackInfo, StackSelection, stackArgs } from "./stackInfo";
import { DEFAULT_MAINTENANCE_PAGE } from "./maintenancePage";
import { rootScript, runSsh } from "./sshSession";

const USAGE = `usage: npm run ops -- [--stack NAME] [--config-file FILE] COMMAND

  releases                      the kept releases: id, live, built, venv, source
  logs [web|site|https|nginx|JOB] [-f] [-n LINES] [--since WHEN] [--grep REGEX]
                                the live release's program log (default web), or nginx's;
                                WHEN: 30m, 2h, 1d or a time (2026-12-04T17:00: the host's zone)
  exec -- ARGS…                 manage.py ARGS in the live release, with its settings
                                (a terminal when run from one: shell, createsuperuser, dbshell)
  maintenance on [--page FILE] | off
                                every request gets the page with 503 + Retry-After, or not
  rollback [RELEASE] [--yes]    pin a kept release (default: the newest one not live), then pulumi up
  rollback --clear [--yes]      unpin: back to the source, then pulumi up
  backup now | list             a pg_dump of the local database now; the archives on the host
  restore ARCHIVE               restore an archive into a fresh database and switch to it
  ssh [-- COMMAND…]             a shell (or a command) on the host, with the pinned host key`;

class UsageError extends Error {}

/** Splits off the options before the command. */
function parseGlobal(argv: string[]): { selection: StackSelection; command: string; rest: string[] } {
  const selection: StackSelection = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" || a === "-s") selection.stack = valueOf(argv, ++i, a);
    else if (a === "--config-file") selection.configFile = valueOf(argv, ++i, a);
    else if (a === "-h" || a === "--help") throw new UsageError("");
    else break;
  }
  if (i >= argv.length) throw new UsageError("");
  return { selection, command: argv[i], rest: argv.slice(i + 1) };
}

function valueOf(argv: string[], i: number, option: string): string {
  if (i >= argv.length || argv[i].startsWith("-")) throw new UsageError(`${option} needs a value`);
  return argv[i];
}

export interface LogsOptions {
  target: string;
  /** The last lines read; "all" with --since and no -n. */
  lines: number | "all";
  follow: boolean;
  grep: string;
  /** Only lines written since then: parseSince's form ("": no limit). */
  since: string;
}

/** logs' options (pure, tested). */
export function parseLogs(rest: string[], now = Date.now()): LogsOptions {
  const o: LogsOptions = { target: "web", lines: 100, follow: false, grep: "", since: "" };
  let targetSet = false;
  let linesSet = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "-f" || a === "--follow") o.follow = true;
    else if (a === "-n" || a === "--lines") {
      const n = Number(valueOf(rest, ++i, a));
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${a}: expected a number of lines, got ${rest[i]}`);
      o.lines = n;
      linesSet = true;
    } else if (a === "--since") o.since = parseSince(valueOf(rest, ++i, a), now);
    else if (a === "--grep") o.grep = valueOf(rest, ++i, a);
    else if (!a.startsWith("-") && !targetSet) {
      if (!/^[a-z][a-z0-9-]*$/.test(a)) throw new UsageError(`logs: ${JSON.stringify(a)} is no program role`);
      o.target = a;
      targetSet = true;
    } else throw new UsageError(`logs: unexpected ${JSON.stringify(a)}`);
  }
  if (o.since && !linesSet) o.lines = "all";
  return o;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * --since: a duration back from now (90s, 30m, 2h, 1d) or a time. Epoch seconds, except a time
 * without a zone: that is the host's (like the log lines without one), so it goes to the host as
 * "YYYY-MM-DDTHH:MM:SS" for templates/log-since.py to read there.
 */
export function parseSince(value: string, now = Date.now()): string {
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago) return String(Math.floor(now / 1000) - Number(ago[1]) * UNIT_SECONDS[ago[2]]);
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(value);
  const local = m ? `${m[1]}T${m[2]}${m[3] ?? ":00"}` : "";
  const moment = m ? Date.parse(`${local}${m[5] ?? "Z"}`) : NaN;
  if (Number.isNaN(moment)) {
    throw new UsageError(`--since: expected a duration (30m, 2h, 1d) or a time (2026-12-04T17:00), got ${value}`);
  }
  return m![5] ? String(Math.floor(moment / 1000)) : local;
}

/** What follows "--" (exec, ssh). */
function afterDashes(rest: string[], command: string): string[] {
  if (rest.length === 0) return [];
  if (rest[0] !== "--") throw new UsageError(`${command}: put its arguments after "--" (${command} -- …)`);
  return rest.slice(1);
}

const interactive = () => Boolean(process.stdin.isTTY && process.stdout.isTTY);

/** Runs templates/ops.sh's OP on the host. */
function opOnHost(
  info: StackInfo,
  op: string,
  args: string[],
  opts: { tty?: boolean; input?: string; capture?: boolean } = {},
) {
  const script = renderScript("ops.sh", {
    APP: info.app.name,
    OP: op,
    DATABASE: info.app.database.local ? info.app.database.name : "",
    LOG_SINCE: readTemplate("log-since.py"),
  });
  return runSsh(info.ssh, info.privateKey, {
    command: rootScript(info.ssh, script, args),
    tty: opts.tty ?? false,
    input: opts.input,
    capture: opts.capture,
  });
}

async function onHost(...a: Parameters<typeof opOnHost>): Promise<number> {
  return (await opOnHost(...a)).code;
}

/** The pulumi CLI with the terminal: its preview and prompt are the user's. */
function pulumiUp(selection: StackSelection, yes: boolean): number {
  const r = spawnSync("pulumi", ["up", ...(yes ? ["--yes"] : []), ...stackArgs(selection, true)], {
    stdio: "inherit",
  });
  return r.status ?? 1;
}

function pulumiConfig(selection: StackSelection, args: string[]) {
  const r = spawnSync("pulumi", ["config", ...args, ...stackArgs(selection, true)], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`pulumi config ${args.join(" ")} failed`);
}

/** The pinned release (app.release), if any. */
function pinnedRelease(selection: StackSelection): string | undefined {
  const r = spawnSync("pulumi", ["config", "get", "--path", "app.release", ...stackArgs(selection, true)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** The newest kept release that is not live: where a rollback goes by default. */
async function previousRelease(info: StackInfo): Promise<string> {
  const r = await opOnHost(info, "previous", [], { capture: true });
  if (r.code !== 0) throw new Error("no release to go back to (see: npm run ops -- releases)");
  return r.stdout.trim();
}

async function rollback(selection: StackSelection, rest: string[]): Promise<number> {
  const yes = rest.includes("--yes");
  const args = rest.filter((a) => a !== "--yes");
  if (args.length > 1) throw new UsageError(`rollback: unexpected ${args.slice(1).join(" ")}`);
  if (args[0] !== undefined && args[0] !== "--clear" && !/^[0-9a-f]{12}$/.test(args[0])) {
    throw new UsageError(`rollback: expected a release id of 12 hex digits (see: releases), got ${args[0]}`);
  }
  const before = pinnedRelease(selection);
  if (args[0] === "--clear") {
    if (!before) {
      console.error("no release is pinned (app.release is not set): nothing to clear");
      return 0;
    }
    pulumiConfig(selection, ["rm", "--path", "app.release"]);
    console.error(`app.release ${before} removed: pulumi up deploys the source again`);
  } else {
    const id = args[0] ?? (await previousRelease(readStack(selection)));
    pulumiConfig(selection, ["set", "--path", "app.release", id]);
    console.error(`app.release = ${id}: pulumi up switches to it (rollback --clear returns to the source)`);
  }
  const code = pulumiUp(selection, yes);
  if (code !== 0) {
    // Declined or failed: the config says again what the host runs, so a later plain `up` does not
    // carry out this rollback by surprise.
    if (before) pulumiConfig(selection, ["set", "--path", "app.release", before]);
    else pulumiConfig(selection, ["rm", "--path", "app.release"]);
    console.error(`pulumi up did not complete: app.release is ${before ?? "unset"} again, as before`);
  }
  return code;
}

type Action = (info: StackInfo) => Promise<number>;

/** The command's action, its arguments checked first: a usage error needs no connection. */
function plan(command: string, rest: string[]): Action {
  switch (command) {
    case "releases":
      return (info) => onHost(info, "releases", []);
    case "logs": {
      const o = parseLogs(rest);
      const args = [o.target, String(o.lines), o.follow ? "1" : "0", o.grep, o.since];
      return (info) => onHost(info, "logs", args);
    }
    case "exec": {
      const args = afterDashes(rest, "exec");
      if (args.length === 0) throw new UsageError("exec -- ARGS… (like: exec -- createsuperuser)");
      return (info) => onHost(info, "manage", args, { tty: interactive() });
    }
    case "maintenance": {
      const [state, ...more] = rest;
      if (state === "off" && more.length === 0) return (info) => onHost(info, "maintenance", ["off"]);
      if (state !== "on") throw new UsageError("maintenance on [--page FILE] | off");
      let page = DEFAULT_MAINTENANCE_PAGE;
      if (more[0] === "--page" && more.length === 2) page = fs.readFileSync(valueOf(more, 1, "--page"), "utf8");
      else if (more.length > 0) throw new UsageError(`maintenance on: unexpected ${more.join(" ")}`);
      return (info) => onHost(info, "maintenance", ["on"], { input: page });
    }
    case "backup":
      if (rest.length !== 1 || !["now", "list"].includes(rest[0])) throw new UsageError("backup now | list");
      return (info) => onHost(info, "backup", rest);
    case "restore":
      if (rest.length !== 1) throw new UsageError("restore ARCHIVE (a name from: backup list)");
      return (info) => onHost(info, "restore", rest);
    case "ssh": {
      const args = afterDashes(rest, "ssh");
      return async (info) => {
        const r = await runSsh(info.ssh, info.privateKey, {
          command: args.length ? args.join(" ") : undefined,
          tty: args.length === 0 || interactive(),
        });
        return r.code;
      };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

async function run(argv: string[]): Promise<number> {
  const { selection, command, rest } = parseGlobal(argv);
  if (command === "rollback") return rollback(selection, rest);
  const action = plan(command, rest);
  return action(readStack(selection));
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      if (err instanceof UsageError) {
        if (err.message) console.error(`ops: ${err.message}\n`);
        console.error(USAGE);
        process.exit(2);
      }
      console.error(`ops: ${err.message}`);
      process.exit(1);
    },
  );
}

export { run, USAGE, UsageError };
