// Release: one version of the app on the host — its code, its venv, its
// settings — built beside the running one, with the pre-switch management
// commands (collectstatic, migrate) run before any traffic reaches it.
import * as pulumi from "@pulumi/pulumi";
import { HostCommand } from "../host/hostCommand";
import { serverPackages } from "./appServer";
import { LONG_STEP_TIMEOUT, releaseDir, uploadPath, venvDir } from "../host/hostFacts";
import { Migrations } from "../config/types";
import { waysForward } from "../source/migrations";
import { readTemplate, renderScript } from "../host/render";
import { envFile, releaseId, venvId } from "../source/releaseId";
import { PackedSource } from "../source/source";
import { SshTarget } from "../host/ssh";

export interface ReleaseArgs {
  connection: pulumi.Input<SshTarget>;
  /** Changes when the host is replaced: the release is built again there. */
  hostId: pulumi.Input<string>;
  app: string;
  /** The packed source; or `pinned`, a kept release's id (app.release): nothing is uploaded or built. */
  source: PackedSource | { pinned: string };
  /** Where the source came from (a directory, or a repository and commit): kept in the release. */
  sourceLabel?: string;
  /** Interpreter for the venv. */
  python: string;
  /** Settings for the app, secrets included; written readable by the app user only.
   *  The release id (under `releaseIdNames`) is added here: it follows from the id. */
  settings: pulumi.Input<Record<string, string>>;
  /** The names the app reads the release id under (app.envNames.releaseId). Default ["RELEASE_ID"]. */
  releaseIdNames?: string[];
  /** manage.py commands run before the switch; "migrate" runs checked, in two phases. */
  manage: string[];
  /** Migrations applied after the switch, and those applied unchecked. */
  migrations: Migrations;
  /** Releases kept on the host. */
  keepReleases: number;
  /** Directories that outlive releases (app.sharedDirs), linked into this one. */
  sharedDirs: string[];
  /** app.server: its packages are added to the venv when the requirements lack them. */
  server: string;
}

export class Release extends pulumi.ComponentResource {
  /** Content-derived id, e.g. "3f2a9c0b1d4e". */
  public readonly releaseId: pulumi.Output<string>;
  /** /srv/<app>/releases/<id>, known once the release is built. */
  public readonly directory: pulumi.Output<string>;

  constructor(name: string, args: ReleaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("djangozd:app:Release", name, {}, opts);
    const idNames = args.releaseIdNames ?? ["RELEASE_ID"];
    const withId = (s: Record<string, string>, id: string) => ({
      ...s,
      ...Object.fromEntries(idNames.map((n) => [n, id])),
    });
    // The id digests the settings file as written, with the id itself left blank (it cannot
    // digest itself): the names it goes under are part of the release too.
    const settingsFile = pulumi.output(args.settings).apply((s) => envFile(withId(s, "")));
    const source = "pinned" in args.source ? undefined : args.source;
    // The id must be plain (it names paths and programs) though it digests secrets.
    const id = source
      ? pulumi.unsecret(
          settingsFile.apply((settings) =>
            releaseId({
              sourceDigest: source.digest,
              requirementsDigest: source.requirementsDigest,
              python: args.python,
              manage: args.manage,
              sharedDirs: args.sharedDirs,
              serverPackages: serverPackages(args.server),
              settings,
            }),
          ),
        )
      : pulumi.output((args.source as { pinned: string }).pinned);
    // A pinned release keeps the venv it was built with (release.sh reads its link).
    const venv = source
      ? venvDir(args.app, venvId(source.requirementsDigest, args.python, serverPackages(args.server)))
      : "";

    const build = new HostCommand(
      `${name}-build`,
      {
        connection: args.connection,
        create: id.apply((i) =>
          renderScript("release.sh", {
            APP: args.app,
            RELEASE_ID: i,
            RELEASE_DIR: releaseDir(args.app, i),
            VENV_DIR: venv,
            PYTHON: args.python,
            ARCHIVE: uploadPath(args.app, i),
            MANAGE: args.manage.join("\n"),
            MIGRATE_PY: readTemplate("migrate.py"),
            LINTER: readTemplate("migration-linter.txt"),
            AFTER_SWITCH: args.migrations.afterSwitch.join(" "),
            ALLOW_UNSAFE: args.migrations.allowUnsafe.join(" "),
            WAYS_FORWARD: waysForward("{migration}"),
            SHARED_DIRS: args.sharedDirs.join("\n"),
            FACTS_PY: readTemplate("django-facts.py"),
            SERVER_PACKAGES: serverPackages(args.server),
            PIP_HINT_PY: readTemplate("pip-hint.py"),
            PINNED: source ? "" : "yes",
            SOURCE_LABEL: args.sourceLabel ?? "",
          }),
        ),
        upload: source
          ? id.apply((i) => ({ source: source.archive, destination: uploadPath(args.app, i) }))
          : undefined,
        stdin: pulumi.secret(pulumi.all([args.settings, id]).apply(([s, i]) => envFile(withId(s, i)))),
        // The old release is not deleted with its resource: prune keeps the
        // last few (for fast returns) and any that a process still uses.
        delete: renderScript("prune.sh", { APP: args.app, KEEP: args.keepReleases }),
        check: id.apply((i) =>
          renderScript("release-check.sh", { APP: args.app, RELEASE_DIR: releaseDir(args.app, i) }),
        ),
        triggers: [id, args.hostId],
        timeoutSeconds: LONG_STEP_TIMEOUT,
      },
      { parent: this },
    );

    this.releaseId = pulumi.all([build.id, id]).apply(([, i]) => i);
    this.directory = this.releaseId.apply((i) => releaseDir(args.app, i));
    this.registerOutputs({ releaseId: this.releaseId, directory: this.directory });
  }
}
