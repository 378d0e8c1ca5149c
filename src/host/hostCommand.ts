// HostCommand: run a script on a host over SSH as a Pulumi resource, with a
// create / update / delete script, `triggers` that force replacement, and the
// host key pinned on every connection.
//
// Why not @pulumi/command: its provider binary is not obtainable without
// internet access (not on the package registries this project can reach), and
// every test here must drive the real engine. A dynamic provider runs inside
// the Node.js SDK, needs no plugin, and lets this project fix the provider's
// known pitfalls by design: secrets travel on stdin only, no SSH setenv, no
// unbounded output lines, dial retries for hosts that are still booting.
import * as pulumi from "@pulumi/pulumi";
import { CHECK_TIMEOUT, DEFAULT_STEP_TIMEOUT, LOCK_WAIT } from "./hostFacts";
import { runOverSsh, SshTarget, uploadOverSsh } from "./ssh";
import { StepTimer, timed } from "./timeline";

export interface HostCommandArgs {
  /** How to reach the host. The private key should be a secret. */
  connection: pulumi.Input<SshTarget>;
  /** Script run by bash when the resource is created. */
  create: pulumi.Input<string>;
  /** Script run when an input other than `triggers` changes. Default: nothing. */
  update?: pulumi.Input<string>;
  /** Script run when the resource is deleted (with the inputs it was created with). Default: nothing. */
  delete?: pulumi.Input<string>;
  /**
   * Script run by `pulumi refresh`: exits non-zero, printing why, when the
   * host no longer has what `create` made (a stopped program, a removed
   * file). The resource is then marked drifted and the next `up` runs
   * `create` again in place to repair it. A change of this script alone is
   * no change to the host.
   */
  check?: pulumi.Input<string>;
  /** Values whose change replaces the resource (create the new one, then delete the old). */
  triggers?: pulumi.Input<unknown[]>;
  /** Data fed to the scripts on stdin; the only way secrets reach the host. */
  stdin?: pulumi.Input<string>;
  /** Seconds a script may run before the host kills it. Default DEFAULT_STEP_TIMEOUT (hostFacts). */
  timeoutSeconds?: pulumi.Input<number>;
  /** A local file copied to the host before `create` runs (not on update). */
  upload?: pulumi.Input<{ source: string; destination: string }>;
}

interface Inputs {
  connection: SshTarget;
  create: string;
  update?: string;
  delete?: string;
  check?: string;
  triggers?: unknown[];
  stdin?: string;
  timeoutSeconds?: number;
  upload?: { source: string; destination: string };
  /** The resource's name, for the deploy timeline: no change to the host (not diffed). */
  label?: string;
}

interface State extends Inputs {
  stdout?: string;
  /** Set by refresh when `check` failed: what is wrong on the host. */
  drifted?: string;
}

// Output lines kept in state: enough to read what happened, never unbounded.
const KEPT_OUTPUT_CHARS = 4000;
// RESOURCE_ID tells a script which resource runs it: after a failed `up`, an old resource
// (pending delete) and a new one can define the same program, and the old one's delete must
// leave alone what the new one owns (templates/program-stop.sh).
async function run(inputs: Inputs, script: string, resourceId: string, timer: StepTimer) {
  // The wait for the host lock (templates/prelude.sh) comes on top of the script's own time.
  const timeout = (inputs.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT) + LOCK_WAIT;
  const result = await runOverSsh(
    inputs.connection,
    `LOCK_WAIT=${LOCK_WAIT}\nRESOURCE_ID=${shellWord(resourceId)}\n${script}`,
    inputs.stdin ?? "",
    timeout,
    { onProgress: progressPrinter(timer), reuse: true },
  );
  return result.stdout.slice(-KEPT_OUTPUT_CHARS);
}

/**
 * Long steps say what they are doing: the engine shows a provider's stderr in the `pulumi up`
 * output as it comes (under the stack, and again in its diagnostics), with the time since the step began.
 */
function progressPrinter(timer: StepTimer) {
  const started = Date.now();
  return (line: string) => {
    timer.mark(line);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[+${seconds}s] ${line.slice(0, 300)}\n`);
  };
}

/** The id is the host and a time stamp: made by this provider, it never needs quoting, but is checked. */
function shellWord(id: string) {
  if (!/^[A-Za-z0-9.:_-]+$/.test(id)) throw new Error(`HostCommand: unexpected resource id ${JSON.stringify(id)}`);
  return id;
}

/** Upload (when any) and the create script: what create does, and what repairs drift. */
async function createOnHost(inputs: Inputs, resourceId: string, timer: StepTimer) {
  if (inputs.upload) {
    timer.mark("upload");
    await uploadOverSsh(inputs.connection, inputs.upload.source, inputs.upload.destination, true);
    timer.mark("script");
  }
  return run(inputs, inputs.create, resourceId, timer);
}

/** Exported for tests: what a change of inputs does (diff) is the contract. */
export const hostCommandProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    const id = `${inputs.connection.host}:${Date.now().toString(36)}`;
    const stdout = await timed(inputs.label ?? id, "create", (timer) => createOnHost(inputs, id, timer));
    return { id, outs: { ...inputs, stdout } };
  },

  async diff(_id: string, olds: State, news: Inputs) {
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    // Where the local copy of an upload sits is no change to the host.
    const comparable = (i: Inputs) => ({ ...i, upload: i.upload?.destination });
    const [o, n] = [comparable(olds), comparable(news)];
    const fields = [
      "connection",
      "create",
      "update",
      "delete",
      "triggers",
      "stdin",
      "timeoutSeconds",
      "upload",
    ] as const;
    const changed: string[] = fields.filter((f) => !same(o[f], n[f]));
    if (olds.drifted) changed.push("drifted");
    return {
      changes: changed.length > 0,
      replaces: changed.includes("triggers") ? ["triggers"] : [],
    };
  },

  async update(id: string, olds: State, news: Inputs) {
    let stdout = olds.stdout ?? "";
    const update = news.update;
    if (olds.drifted) stdout = await timed(news.label ?? id, "create", (timer) => createOnHost(news, id, timer));
    else if (update) stdout = await timed(news.label ?? id, "update", (timer) => run(news, update, id, timer));
    return { outs: { ...news, stdout } };
  },

  async read(id: string, state: State) {
    const { drifted: _was, ...props } = state;
    if (!props.check) return { id, props };
    try {
      await runOverSsh(props.connection, props.check, "", CHECK_TIMEOUT, { reuse: true });
      return { id, props };
    } catch (err) {
      // The check said what is wrong; anything else (no connection) is no answer.
      const e = err as Error & { exitCode?: number; details?: string };
      if (e.exitCode !== 1) throw err;
      return { id, props: { ...props, drifted: e.details || e.message } };
    }
  },

  async delete(id: string, olds: Inputs) {
    const script = olds.delete;
    if (script) await timed(olds.label ?? id, "delete", (timer) => run(olds, script, id, timer));
  },
};

export class HostCommand extends pulumi.dynamic.Resource {
  /** The last characters of the create (or update) script's stdout. */
  declare public readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: HostCommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      hostCommandProvider,
      name,
      { stdout: undefined, label: name, ...args },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connection", "stdin"] }),
      "djangozd",
      "HostCommand",
    );
  }
}
