// Schema changes under load: the serving release runs until the switch, so migrations it
// cannot survive are refused (in preview, and on the host by django-migration-linter before
// anything is migrated), and a dropped column is applied after the switch with no failed
// request. Real engine, real sandbox host (PostgreSQL), real migrations of the sample app;
// the probe writes pings (INSERT ... ua ...) the whole time.
import * as crypto from "crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AppVariantOptions, makeAppVariant } from "../support/appVariants";
import { deployUnderLoad } from "../support/deployUnderLoad";
import { requestOnce } from "../../probe/probe";
import { CliResult, SandboxStack, sandboxExec, startSandbox, stopSandbox } from "../support/sandboxStack";

// One sandbox per SSH port (scripts/sandbox.sh keeps it outside the checkout).
const place = { port: 2223 };
const LISTEN = "127.0.0.1:8084";
const URL = `http://${LISTEN}`;
const stack = new SandboxStack("imigrate");
const onHost = (command: string) => sandboxExec(place, command);
const sql = async (query: string) => (await onHost(`runuser -u postgres -- psql -d hc -Atc "${query}"`)).trim();
const columns = () =>
  sql(
    "select column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') from information_schema.columns where table_name = 'api_ping' order by 1",
  );
const applied = () => sql("select name from django_migrations where app = 'api' order by id");

let app: Record<string, any>;
const apply = () => stack.setPlain({ app, site: { listen: LISTEN } });

// Migrations as `makemigrations` writes them, each after the previous one.
const migration = (after: string, operations: string) => `from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '${after}'),
    ]

    operations = [
${operations}
    ]
`;
const M = {
  additive: migration(
    "0002_demo_check",
    `        migrations.AddField(
            model_name='ping',
            name='note',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=50)),
            ],
        ),`,
  ),
  dropUa: (after: string) =>
    migration(
      after,
      `        migrations.RemoveField(
            model_name='ping',
            name='ua',
        ),`,
    ),
  notNull: migration(
    "0003_ping_note_tag",
    `        migrations.AddField(
            model_name='ping',
            name='source',
            field=models.CharField(default='web', max_length=20),
        ),`,
  ),
  rename: migration(
    "0003_ping_note_tag",
    `        migrations.RenameField(
            model_name='ping',
            old_name='ua',
            new_name='user_agent',
        ),`,
  ),
  widenMethod: migration(
    "0003_ping_note_tag",
    `        migrations.AlterField(
            model_name='ping',
            name='method',
            field=models.CharField(blank=True, max_length=16),
        ),`,
  ),
  uaNullable: migration(
    "0004_alter_ping_method",
    `        migrations.AlterField(
            model_name='ping',
            name='ua',
            field=models.CharField(blank=True, max_length=200, null=True),
        ),`,
  ),
};
const DIR = "api/migrations";
const ADDITIVE = { [`${DIR}/0003_ping_note_tag.py`]: M.additive };
const WIDENED = { ...ADDITIVE, [`${DIR}/0004_alter_ping_method.py`]: M.widenMethod };
// The code of a release that no longer writes ua (its pings leave the column out).
const WITHOUT_UA: AppVariantOptions["edits"] = [
  {
    file: "api/views.py",
    from: "(created, remote_addr, method, ua, body, owner_id, scheme)",
    to: "(created, remote_addr, method, body, owner_id, scheme)",
  },
  {
    file: "api/views.py",
    from: "SELECT last_ping, %s, %s, %s, %s, id, %s FROM t",
    to: "SELECT last_ping, %s, %s, %s, id, %s FROM t",
  },
  {
    file: "api/views.py",
    from: "params = [str(code), client_ip(request), request.method, ua, body, request.scheme]",
    to: "params = [str(code), client_ip(request), request.method, body, request.scheme]",
  },
  { file: "api/models.py", from: "    ua = models.CharField(max_length=200, blank=True)\n", to: "" },
];

// ... and no longer writes body either.
const WITHOUT_UA_AND_BODY: AppVariantOptions["edits"] = [
  ...WITHOUT_UA!,
  {
    file: "api/views.py",
    from: "(created, remote_addr, method, body, owner_id, scheme)",
    to: "(created, remote_addr, method, owner_id, scheme)",
  },
  {
    file: "api/views.py",
    from: "SELECT last_ping, %s, %s, %s, id, %s FROM t",
    to: "SELECT last_ping, %s, %s, id, %s FROM t",
  },
  { file: "api/views.py", from: "request.method, body, request.scheme]", to: "request.method, request.scheme]" },
];
const DROP_BODY = migration(
  "0006_remove_ping_ua",
  "        migrations.RemoveField(\n            model_name='ping',\n            name='body',\n        ),",
);

async function serves(): Promise<string> {
  const r = await requestOnce(`${URL}/about/`);
  expect(r.status).toBe(200);
  return String(r.headers["x-release"]);
}

function report(name: string, r: { up: CliResult; probe: { requests: number; failed: number } }) {
  console.log(
    JSON.stringify({
      case: name,
      requests: r.probe.requests,
      failed: r.probe.failed,
      up_code: r.up.code,
      up_s: r.up.seconds,
    }),
  );
}

beforeAll(async () => {
  const sandbox = await startSandbox({ ...place, fresh: true });
  // This host already runs PostgreSQL for something else, on TCP, and an nginx site of its own,
  // as an existing server may: the deploy adds its database, role and site, and leaves theirs alone.
  await onHost(
    "export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends postgresql nginx >/dev/null" +
      " && echo '# edited by the host owner' >> /etc/nginx/sites-available/default" +
      " && echo \"listen_addresses = 'localhost'\" > $(ls -d /etc/postgresql/*/main)/conf.d/10-other-service.conf && service postgresql start >/dev/null",
  );
  await stack.remove();
  await stack.init(sandbox, {
    djangoSecretKey: crypto.randomBytes(32).toString("base64url"),
    dbPassword: crypto.randomBytes(18).toString("base64url"),
  });
  app = {
    name: "hc",
    source: makeAppVariant("m1"),
    workers: 2,
    jobs: [{ name: "alerts", command: "python manage.py sendalerts" }],
    // The sample app has no "/" (the default path).
    healthCheck: { path: "/about/" },
  };
  apply();
  // Another apt holds dpkg's lock for 15 s when the first up starts (unattended-upgrades on a
  // new server): the bootstrap waits for it instead of failing.
  await onHost(
    "rm -f /tmp/apt-released; setsid python3 -c \"import fcntl, time; f = open('/var/lib/dpkg/lock-frontend', 'w'); fcntl.lockf(f, fcntl.LOCK_EX); time.sleep(15); open('/tmp/apt-released', 'w').write(str(time.time()))\" </dev/null >/dev/null 2>&1 & sleep 1",
  );
  const r = await stack.up();
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

afterAll(async () => {
  await stack.destroy();
  await stack.remove();
  await stopSandbox(place);
});

describe("an existing host", () => {
  test("PostgreSQL that was there before keeps its TCP listener; the app's database is on it", async () => {
    expect(await onHost("pg_isready -h 127.0.0.1 -p 5432")).toContain("accepting connections");
    expect(await applied()).toMatch(/^0001_initial\n0002_demo_check$/);
  });

  test("nginx's default site, edited by the host's owner, is left in place", async () => {
    expect(await onHost("tail -n 1 /etc/nginx/sites-enabled/default")).toBe("# edited by the host owner\n");
  });

  test("the first up waited for another apt's lock, then installed its packages (supervisor among them)", async () => {
    const [released, installed] = (
      await onHost("cat /tmp/apt-released; echo; stat -c %Y /var/lib/dpkg/info/supervisor.list")
    )
      .trim()
      .split("\n")
      .map(Number);
    expect(installed).toBeGreaterThanOrEqual(Math.floor(released));
  });
});

describe("migrations the serving release survives", () => {
  test("a new nullable column and a new table: applied before the switch, no warning, 0 failed", async () => {
    app.source = makeAppVariant("m2", { files: ADDITIVE });
    // `shell` reads stdin: it must get none, not the commands after it (migrate would not run).
    app.manage = ["shell", "migrate --noinput", "collectstatic --noinput"];
    apply();
    const preview = await stack.preview();
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~\s+\S*MigrationCheck\s+hc-migrations\s+update/);
    const r = await deployUnderLoad(stack, { url: URL });
    report("additive", r);
    expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
    expect(r.probe.failed).toBe(0);
    expect(r.up.stdout + r.up.stderr).not.toMatch(/refused|note:/);
    expect(await columns()).toContain("note text");
    expect(await applied()).toMatch(/0003_ping_note_tag$/);
    expect(await onHost(`ls /srv/hc/releases/${await serves()}/static/ | wc -l`)).not.toBe("0\n");
  });
});

describe("migrations the serving release would not survive are refused before anything changes", () => {
  const refused = [
    {
      name: "drop a column",
      files: { ...ADDITIVE, [`${DIR}/0004_remove_ping_ua.py`]: M.dropUa("0003_ping_note_tag") },
      edits: WITHOUT_UA,
      listed: "api.0004_remove_ping_ua: RemoveField ping.ua: drops a column",
      underLoad: true,
    },
    {
      name: "a NOT NULL column without db_default",
      files: { ...ADDITIVE, [`${DIR}/0004_ping_source.py`]: M.notNull },
      listed: "api.0004_ping_source: AddField ping.source",
    },
    {
      name: "rename a column",
      files: { ...ADDITIVE, [`${DIR}/0004_rename_ua.py`]: M.rename },
      listed: "api.0004_rename_ua: RenameField ping.ua",
    },
  ];
  for (const c of refused) {
    test(`${c.name}: preview and up list it; 0 failed; nothing migrated`, async () => {
      const before = await serves();
      const schema = await columns();
      app.source = makeAppVariant(`m-${c.name.replace(/\W+/g, "-")}`, { files: c.files, edits: c.edits });
      apply();
      const preview = await stack.preview();
      expect(preview.code).not.toBe(0);
      expect(preview.stdout + preview.stderr).toContain(c.listed);
      expect(preview.stdout + preview.stderr).toContain("app.migrations.afterSwitch[N]");
      if (c === refused[0]) console.log(`preview of a dropped column:\n${preview.stdout}${preview.stderr}`);

      const r = c.underLoad ? await deployUnderLoad(stack, { url: URL }) : { up: await stack.up(), probe: undefined };
      if (r.probe) report(c.name, r as { up: CliResult; probe: { requests: number; failed: number } });
      expect(r.up.code).not.toBe(0);
      expect(r.up.stdout + r.up.stderr).toContain(c.listed);
      if (r.probe) expect(r.probe.failed).toBe(0);
      // Refused before any step: no release was even built, the schema is as it was.
      expect(r.up.stdout).not.toMatch(/hc-release-build\s+creat/);
      expect(await serves()).toBe(before);
      expect(await columns()).toBe(schema);
    });
  }

  test("a type change (only the SQL shows it): the host refuses before migrating; 0 failed", async () => {
    const before = await serves();
    app.source = makeAppVariant("m-widen", { files: WIDENED });
    apply();
    const r = await deployUnderLoad(stack, { url: URL });
    report("type change refused", r);
    expect(r.up.code).not.toBe(0);
    const out = r.up.stdout + r.up.stderr;
    expect(out).toContain("api.0004_alter_ping_method: ALTERING columns");
    expect(out).toContain("Nothing was migrated");
    console.log(
      out
        .split("\n")
        .filter((l) => /refused|api\.0004|Nothing|Ways|config set/.test(l))
        .join("\n"),
    );
    expect(r.probe.failed).toBe(0);
    expect(await serves()).toBe(before);
    expect(await columns()).toContain("method character varying(10)");
    expect(await applied()).not.toMatch(/0004/);
  });

  test("the same change accepted (app.migrations.allowUnsafe): applied before the switch; 0 failed", async () => {
    app.migrations = { allowUnsafe: ["api.0004_alter_ping_method"] };
    apply();
    const r = await deployUnderLoad(stack, { url: URL });
    report("type change accepted", r);
    expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
    expect(r.probe.failed).toBe(0);
    expect(await columns()).toContain("method character varying(16)");
  });
});

describe("a dropped column, applied after the switch", () => {
  test("expand (ua nullable) before, contract (drop ua) after the old release stopped: 0 failed, column gone", async () => {
    const before = await serves();
    app.source = makeAppVariant("m-drop", {
      files: {
        ...WIDENED,
        [`${DIR}/0005_alter_ping_ua.py`]: M.uaNullable,
        [`${DIR}/0006_remove_ping_ua.py`]: M.dropUa("0005_alter_ping_ua"),
      },
      edits: WITHOUT_UA,
    });
    app.migrations = { afterSwitch: ["api.0006_remove_ping_ua"] };
    apply();
    const preview = await stack.preview();
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/\+\s+\S*HostCommand\s+hc-migrate-after-switch\s+create/);

    const r = await deployUnderLoad(stack, { url: URL, slowSeconds: 10 });
    report("drop column after the switch", r);
    const out = r.up.stdout + r.up.stderr;
    expect(r.up.code, out).toBe(0);
    expect(r.probe.failed, JSON.stringify(r.probe)).toBe(0);
    // The slow request the old release was serving finished before the column went.
    expect(r.slow).toMatchObject({ status: 200, release: before });
    expect(await columns()).not.toMatch(/^ua /m);
    expect(await applied()).toMatch(/0005_alter_ping_ua\n0006_remove_ping_ua$/);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });
});

describe("a migration that would wait for the switch only because it depends on one that must", () => {
  test("is refused on the host, naming it and why; nothing migrated", async () => {
    app.source = makeAppVariant("m-dragged", {
      files: {
        ...WIDENED,
        [`${DIR}/0005_alter_ping_ua.py`]: M.uaNullable,
        [`${DIR}/0006_remove_ping_ua.py`]: M.dropUa("0005_alter_ping_ua"),
        [`${DIR}/0007_remove_ping_body.py`]: DROP_BODY,
        [`${DIR}/0008_ping_label.py`]: migration(
          "0007_remove_ping_body",
          "        migrations.AddField(model_name='ping', name='label', field=models.TextField(null=True)),",
        ),
      },
      edits: WITHOUT_UA_AND_BODY,
    });
    app.migrations = { afterSwitch: ["api.0007_remove_ping_body"] };
    apply();
    const r = await stack.up();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      "api.0008_ping_label: depends on a migration named in app.migrations.afterSwitch",
    );
    expect(await applied()).toMatch(/0006_remove_ping_ua$/);
  });
});

describe("why the check exists", () => {
  test("dropping a column the old release writes, with the risk accepted: the old release's requests fail", async () => {
    // The behaviour before the check: migrate runs before the switch while the old code still
    // inserts into the column. Measured, so the README's figure is this run's.
    app.source = makeAppVariant("m-unsafe", {
      files: {
        ...WIDENED,
        [`${DIR}/0005_alter_ping_ua.py`]: M.uaNullable,
        [`${DIR}/0006_remove_ping_ua.py`]: M.dropUa("0005_alter_ping_ua"),
        [`${DIR}/0007_remove_ping_body.py`]: DROP_BODY,
      },
      edits: WITHOUT_UA_AND_BODY,
    });
    app.migrations = { afterSwitch: ["api.0006_remove_ping_ua"], allowUnsafe: ["api.0007_remove_ping_body"] };
    apply();
    const r = await deployUnderLoad(stack, { url: URL });
    report("drop column, risk accepted", r);
    expect(r.up.code, r.up.stdout + r.up.stderr).toBe(0);
    expect(r.probe.failed).toBeGreaterThan(0);
    expect(r.probe.statuses["500"]).toBeGreaterThan(0);
    expect(await columns()).not.toMatch(/^body /m);
  });
});
