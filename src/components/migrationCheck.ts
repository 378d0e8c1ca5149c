// MigrationCheck: the release's migrations in Pulumi's state, so that `pulumi preview` and
// `pulumi up` know which are new since the last deploy and refuse, before any step runs, those
// the serving release would not survive (see migrations.ts). Nothing on the host: the
// authoritative check runs there, before migrate (templates/migrate.py).
import * as pulumi from "@pulumi/pulumi";
import { Migrations } from "../config/types";
import { MigrationFindings, refusal, unsafeNewMigrations } from "../source/migrations";

export interface MigrationCheckArgs extends Migrations {
  /** Every migration in the release's source, with what in it breaks the serving release. */
  migrations: MigrationFindings;
}

type Inputs = MigrationCheckArgs;

/** Exported for tests. */
export const migrationCheckProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: Partial<Inputs>, news: Inputs) {
    const unsafe = unsafeNewMigrations(olds.migrations, news.migrations, news);
    // No property named: the engine would print its whole value (every migration) first.
    return unsafe.length === 0
      ? { inputs: news }
      : { inputs: news, failures: [{ property: "", reason: refusal(unsafe) }] };
  },
  async create(inputs: Inputs) {
    return { id: "migrations", outs: inputs };
  },
  async diff(_id: string, olds: Inputs, news: Inputs) {
    return { changes: JSON.stringify(olds) !== JSON.stringify(news) };
  },
  async update(_id: string, _olds: Inputs, news: Inputs) {
    return { outs: news };
  },
};

export class MigrationCheck extends pulumi.dynamic.Resource {
  constructor(name: string, args: MigrationCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(migrationCheckProvider, name, args, opts, "djangozd", "MigrationCheck");
  }
}
