// What preview knows about a release's migrations: the operations read from the migration
// files, which of them the serving release would not survive, and the refusal that
// MigrationCheck gives for those new since the last deploy (the host's check is
// tests/integration/migrations.test.ts).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { migrationCheckProvider } from "../src/components/migrationCheck";
import { facts, operations, readMigrations, unsafeNewMigrations } from "../src/source/migrations";

/** The findings' text of a migration file. */
const findings = (text: string) => facts(text).unsafe.map((u) => u.finding);

const file = (operations: string) => `from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_demo_check'),
    ]

    operations = [
${operations}
    ]
`;

describe("findings: what in a migration file breaks the serving release", () => {
  const cases: Array<[string, string, string[]]> = [
    [
      "RemoveField",
      "migrations.RemoveField(model_name='ping', name='ua')",
      ["RemoveField ping.ua: drops a column the serving release reads and writes"],
    ],
    [
      "RenameField",
      "migrations.RenameField(model_name='ping', old_name='ua', new_name='agent')",
      ["RenameField ping.ua: renames a column the serving release uses"],
    ],
    ["DeleteModel", "migrations.DeleteModel(name='Tag')", ["DeleteModel Tag: drops a table the serving release uses"]],
    [
      "RenameModel",
      "migrations.RenameModel(old_name='Tag', new_name='Label')",
      ["RenameModel Tag: renames a table the serving release uses"],
    ],
    [
      "AlterModelTable",
      "migrations.AlterModelTable(name='tag', table='labels')",
      ["AlterModelTable tag: renames a table the serving release uses"],
    ],
    [
      "AddField NOT NULL with a Python default",
      "migrations.AddField(model_name='ping', name='source', field=models.CharField(default='web', max_length=20))",
      ["AddField ping.source: a NOT NULL column without db_default, which the serving release's inserts leave out"],
    ],
    [
      "AddField nullable",
      "migrations.AddField(model_name='ping', name='note', field=models.TextField(blank=True, null=True))",
      [],
    ],
    [
      "AddField with db_default",
      "migrations.AddField(model_name='ping', name='n', field=models.IntegerField(db_default=0))",
      [],
    ],
    [
      "AddField many-to-many",
      "migrations.AddField(model_name='ping', name='tags', field=models.ManyToManyField(to='api.tag'))",
      [],
    ],
    [
      "CreateModel",
      "migrations.CreateModel(name='Tag', fields=[('id', models.BigAutoField(primary_key=True)), ('label', models.CharField(max_length=50))])",
      [],
    ],
    // The SQL decides (on the host): widening a varchar is fine, a type change is not.
    [
      "AlterField",
      "migrations.AlterField(model_name='ping', name='method', field=models.CharField(max_length=16))",
      [],
    ],
    ["RunPython", "migrations.RunPython(forwards, backwards)", []],
  ];
  it.each(cases)("%s", (_name, op, expected) => {
    expect(findings(file(`        ${op},`))).toEqual(expected);
  });

  it("reads each call whole: nested calls, brackets and parentheses inside strings", () => {
    const text = file(`        migrations.AddField(
            model_name='ping',
            name='label',
            field=models.CharField(default=')(', help_text="a [note] (see {docs})", max_length=9),
        ),
        migrations.RemoveField(
            model_name='ping',
            name='ua',
        ),`);
    expect(operations(text).map((o) => o.op)).toEqual(["AddField", "RemoveField"]);
    expect(findings(text)).toEqual([
      "AddField ping.label: a NOT NULL column without db_default, which the serving release's inserts leave out",
      "RemoveField ping.ua: drops a column the serving release reads and writes",
    ]);
  });
});

describe("readMigrations", () => {
  it("finds every migration of every app in the source, by app label (apps.py's label, else the directory) and name", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write("api/migrations/__init__.py", "");
    write("api/migrations/0001_initial.py", file("        migrations.CreateModel(name='Ping', fields=[]),"));
    write(
      "api/migrations/0002_remove_ping_ua.py",
      file("        migrations.RemoveField(model_name='ping', name='ua'),"),
    );
    write("project/apps/shop/migrations/0001_initial.py", file(""));
    write("users/apps.py", "class UsersConfig(AppConfig):\n    name = 'users'\n    label = 'accounts'\n");
    write("users/migrations/0001_initial.py", file(""));
    write("api/views.py", "migrations.RemoveField(model_name='x', name='y')");
    write(
      ".venv/lib/django/contrib/auth/migrations/0001_initial.py",
      file("        migrations.DeleteModel(name='User'),"),
    );
    expect(readMigrations(dir)).toEqual({
      "accounts.0001_initial": { creates: [], unsafe: [] },
      "api.0001_initial": { creates: ["ping"], unsafe: [] },
      "api.0002_remove_ping_ua": {
        creates: [],
        unsafe: [
          { model: "ping", finding: "RemoveField ping.ua: drops a column the serving release reads and writes" },
        ],
      },
      "shop.0001_initial": { creates: [], unsafe: [] },
    });
  });
});

describe("which migrations preview refuses", () => {
  const none = { afterSwitch: [], allowUnsafe: [] };
  const safe = { creates: [], unsafe: [] };
  const dropUa = {
    creates: [],
    unsafe: [{ model: "ping", finding: "RemoveField ping.ua: drops a column the serving release reads and writes" }],
  };
  const olds = { "api.0001_initial": { creates: ["ping"], unsafe: [] }, "api.0002_remove_old": dropUa };

  it("a first deploy: none (nothing serves yet)", () => {
    expect(unsafeNewMigrations(undefined, { ...olds, "api.0003_remove_ping_ua": dropUa }, none)).toEqual([]);
  });
  it("an unsafe migration new since the last deploy; not the ones already deployed", () => {
    expect(
      unsafeNewMigrations(olds, { ...olds, "api.0003_remove_ping_ua": dropUa, "api.0004_add_note": safe }, none),
    ).toEqual(["api.0003_remove_ping_ua: RemoveField ping.ua: drops a column the serving release reads and writes"]);
  });
  it("none when it runs after the switch, or its risk is accepted", () => {
    const news = { ...olds, "api.0003_remove_ping_ua": dropUa };
    expect(unsafeNewMigrations(olds, news, { afterSwitch: ["api.0003_remove_ping_ua"], allowUnsafe: [] })).toEqual([]);
    expect(unsafeNewMigrations(olds, news, { afterSwitch: [], allowUnsafe: ["api.0003_remove_ping_ua"] })).toEqual([]);
  });
  it("none on a table this deploy creates (the serving release does not use it yet)", () => {
    const news = {
      ...olds,
      "api.0003_coupon": facts(
        file("        migrations.CreateModel(name='Coupon', fields=[('id', models.BigAutoField(primary_key=True))]),"),
      ),
      "api.0004_coupon_active": facts(
        file(
          "        migrations.AddField(model_name='coupon', name='active', field=models.BooleanField(default=True)),",
        ),
      ),
    };
    expect(unsafeNewMigrations(olds, news, none)).toEqual([]);
    // The same operation on a table the serving release uses is refused.
    const onPing = {
      ...olds,
      "api.0003_ping_active": facts(
        file("        migrations.AddField(model_name='ping', name='active', field=models.BooleanField(default=True)),"),
      ),
    };
    expect(unsafeNewMigrations(olds, onPing, none)).toEqual([
      "api.0003_ping_active: AddField ping.active: a NOT NULL column without db_default, which the serving release's inserts leave out",
    ]);
  });

  it("MigrationCheck: the check fails naming each one and the ways forward; otherwise it passes", async () => {
    const news = { migrations: { ...olds, "api.0003_remove_ping_ua": dropUa }, ...none };
    const failed = await migrationCheckProvider.check!({ migrations: olds, ...none }, news);
    expect(failed.failures).toHaveLength(1);
    const reason = failed.failures![0].reason;
    expect(reason).toContain("  api.0003_remove_ping_ua: RemoveField ping.ua: drops a column");
    expect(reason).toContain("pulumi config set --path 'app.migrations.afterSwitch[N]' api.0003_remove_ping_ua");
    expect(reason).toContain("pulumi config set --path 'app.migrations.allowUnsafe[N]' api.0003_remove_ping_ua");
    expect((await migrationCheckProvider.check!({}, news)).failures).toBeUndefined();
    const accepted = { ...news, afterSwitch: ["api.0003_remove_ping_ua"] };
    expect((await migrationCheckProvider.check!({ migrations: olds, ...none }, accepted)).failures).toBeUndefined();
    // A new migration is a change (an update, shown in preview); the same set is none.
    expect((await migrationCheckProvider.diff!("migrations", { migrations: olds, ...none }, accepted)).changes).toBe(
      true,
    );
    expect((await migrationCheckProvider.diff!("migrations", accepted, accepted)).changes).toBe(false);
  });
});
