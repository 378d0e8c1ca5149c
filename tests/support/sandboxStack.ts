// A Pulumi stack of this program that targets the local sandbox host: used by
// `npm run demo` and the integration tests. It drives the real CLI.
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import { REPO, STATE_DIR, pulumiEnv } from "./pulumiEnv";

const run = promisify(execFile);
const PROJECT = "django-zero-downtime";

export interface SandboxInfo {
  host: string;
  port: number;
  user: string;
  keyFile: string;
  hostKey: string;
}

export interface SandboxPlace {
  /** Where the sandbox lives. Default ~/.cache/django-zero-downtime/sandboxes/<port> (scripts/sandbox.sh). */
  dir?: string;
  /** Its SSH port on 127.0.0.1. Default 2222. */
  port?: number;
  /** Start from a fresh root, as a new droplet would be. */
  fresh?: boolean;
}

/** The environment that points scripts/sandbox.sh at this sandbox. */
export function sandboxEnv(place: SandboxPlace): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(place.dir ? { SANDBOX_DIR: place.dir } : {}),
    ...(place.port ? { SANDBOX_SSH_PORT: String(place.port) } : {}),
  };
}

/** Starts the sandbox (creating it the first time) and reads how to reach it. */
export async function startSandbox(place: SandboxPlace = {}): Promise<SandboxInfo> {
  const script = path.join(REPO, "scripts/sandbox.sh");
  const env = sandboxEnv(place);
  if (place.fresh) await run("bash", [script, "destroy"], { env, maxBuffer: 64 << 20 });
  await run("bash", [script, "start"], { env, maxBuffer: 64 << 20 });
  const { stdout } = await run("bash", [script, "env"], { env });
  const vars = Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((l) => l.match(/^([A-Z_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2].replace(/^'(.*)'$/, "$1")]),
  );
  return {
    host: vars.SANDBOX_HOST,
    port: Number(vars.SANDBOX_SSH_PORT),
    user: vars.SANDBOX_USER,
    keyFile: vars.SANDBOX_KEY,
    hostKey: vars.SANDBOX_HOST_KEY,
  };
}

/** Stops the sandbox (all its processes end; its files stay for the next start). */
export async function stopSandbox(place: SandboxPlace = {}): Promise<void> {
  const env = sandboxEnv(place);
  await run("bash", [path.join(REPO, "scripts/sandbox.sh"), "stop"], { env });
}

/** Runs a shell command on the sandbox as root (tests look at the host with it). */
export async function sandboxExec(place: SandboxPlace, command: string): Promise<string> {
  const env = sandboxEnv(place);
  const { stdout } = await run("bash", [path.join(REPO, "scripts/sandbox.sh"), "ssh", command], {
    env,
    maxBuffer: 64 << 20,
  });
  return stdout;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export interface StackProgram {
  /** The Pulumi program's directory. Default: this repository (index.ts). */
  workDir?: string;
  /** Its Pulumi project name, the prefix of its config keys. Default "django-zero-downtime". */
  project?: string;
}

export class SandboxStack {
  readonly configFile: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly workDir: string;
  private readonly project: string;

  constructor(
    readonly name: string,
    program: StackProgram = {},
  ) {
    this.workDir = program.workDir ?? REPO;
    this.project = program.project ?? PROJECT;
    const dir = path.join(STATE_DIR, "stacks");
    fs.mkdirSync(dir, { recursive: true });
    this.configFile = path.join(dir, `Pulumi.${name}.yaml`);
    this.env = pulumiEnv();
  }

  /** Runs `pulumi ARGS` for this stack; never throws on a non-zero exit. */
  async cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    const started = Date.now();
    const child = execFile("pulumi", [...args, "--stack", this.name, "--non-interactive"], {
      cwd: this.workDir,
      env: { ...this.env, ...opts.env },
      maxBuffer: 256 << 20,
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
    return { code, stdout, stderr, seconds: (Date.now() - started) / 1000 };
  }

  /**
   * Starts `pulumi ARGS` in a process group of its own, so that a test can
   * interrupt it (SIGINT to the CLI) or kill it with everything it started
   * (killTree), as a user's Ctrl-C or a power cut would.
   */
  startCli(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
    const started = Date.now();
    const child = spawn("pulumi", [...args, "--stack", this.name, "--non-interactive"], {
      cwd: this.workDir,
      env: this.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    const done = new Promise<CliResult>((resolve) =>
      child.on("close", (c, signal) =>
        resolve({ code: c ?? (signal ? 128 : 1), stdout, stderr, seconds: (Date.now() - started) / 1000 }),
      ),
    );
    return { child, done };
  }

  /**
   * SIGKILL to a process and all its descendants. The CLI starts plugins (the
   * dynamic provider that holds the SSH connections) in process groups of
   * their own, so killing its group alone would leave them running.
   */
  static killTree(pid: number): void {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
    const tree: number[] = [];
    const walk = (p: number) => {
      tree.push(p);
      for (const c of children.get(p) ?? []) walk(c);
    };
    walk(pid);
    for (const p of tree) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  async mustCli(args: string[], opts: { input?: string } = {}): Promise<CliResult> {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /**
   * Creates the stack if needed and sets the sandbox connection. `secrets` are
   * set only where the stack has none yet, so their values stay stable.
   */
  async init(sandbox: SandboxInfo, secrets: Record<string, string>): Promise<void> {
    const exists = await this.cli(["stack", "select"]);
    if (exists.code !== 0) {
      // `stack init` writes a salt-only Pulumi.<stack>.yaml beside Pulumi.yaml; this
      // stack's config (and its own salt) lives in configFile, so drop that one.
      const initFile = path.join(this.workDir, `Pulumi.${this.name}.yaml`);
      const hadInitFile = fs.existsSync(initFile);
      await this.mustCli(["stack", "init", "--secrets-provider", "passphrase"]);
      if (!hadInitFile) fs.rmSync(initFile, { force: true });
    }
    await this.setSecret("sshPrivateKey", fs.readFileSync(sandbox.keyFile, "utf8"));
    const have = this.plainConfig();
    for (const [k, v] of Object.entries(secrets)) {
      if (!(`${this.project}:${k}` in have)) await this.setSecret(k, v);
    }
    this.setPlain({
      host: { address: sandbox.host, port: sandbox.port, user: sandbox.user, hostKey: sandbox.hostKey },
    });
  }

  /** Sets a secret: the value goes on stdin, never on a command line. */
  async setSecret(key: string, value: string): Promise<void> {
    await this.mustCli(["config", "set", "--config-file", this.configFile, "--secret", `${this.project}:${key}`], {
      input: value,
    });
  }

  private readDoc(): { config?: Record<string, unknown>; [k: string]: unknown } {
    return fs.existsSync(this.configFile) ? (YAML.parse(fs.readFileSync(this.configFile, "utf8")) ?? {}) : {};
  }

  /** The stack's config entries as stored (secrets stay encrypted). */
  plainConfig(): Record<string, unknown> {
    return this.readDoc().config ?? {};
  }

  /** Merges plain (non-secret) top-level settings into the stack's config file. */
  setPlain(values: Record<string, unknown>): void {
    const doc = this.readDoc();
    doc.config = doc.config ?? {};
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete doc.config[`${this.project}:${k}`];
      else doc.config[`${this.project}:${k}`] = v;
    }
    fs.writeFileSync(this.configFile, YAML.stringify(doc));
  }

  /** `env`: more variables for the CLI, e.g. DJANGO_ZD_TIMELINE. */
  up(extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return this.cli(this.upArgs(extra), { env });
  }

  upArgs(extra: string[] = []): string[] {
    return ["up", "--yes", "--skip-preview", "--config-file", this.configFile, ...extra];
  }

  /** Sets a secret inside an object setting (e.g. secretEnv.NAME): the value goes on stdin. */
  async setSecretPath(pathKey: string, value: string): Promise<void> {
    await this.mustCli(
      ["config", "set", "--config-file", this.configFile, "--secret", "--path", `${this.project}:${pathKey}`],
      { input: value },
    );
  }

  preview(extra: string[] = []): Promise<CliResult> {
    return this.cli(["preview", "--config-file", this.configFile, ...extra]);
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.mustCli(["stack", "output", "--json"]);
    return JSON.parse(r.stdout);
  }

  async destroy(): Promise<CliResult> {
    return this.cli(["destroy", "--yes", "--skip-preview", "--config-file", this.configFile]);
  }

  async remove(): Promise<void> {
    // A run killed earlier (an interrupted test) may have left the stack locked.
    await this.cli(["cancel", "--yes"]);
    await this.cli(["stack", "rm", "--yes", "--force"]);
    fs.rmSync(this.configFile, { force: true });
  }
}
