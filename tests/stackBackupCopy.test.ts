// The whole program with database.backupCopy, under mocks: the access key's secret reaches the
// host on the backup step's stdin only (secret), never in a script; rclone is installed.
import { beforeAll, describe, expect, it } from "vitest";
import { ed25519HostKey } from "../src/components/droplet";
import { makeAppVariant } from "./support/appVariants";
import { inputsOutside, isSecret, Registered, runProgram, unwrap } from "./support/programMocks";

const deployKey = ed25519HostKey(Buffer.alloc(32, 16), "unit deploy key");
const hostKey = ed25519HostKey(Buffer.alloc(32, 17)).publicKey;
const SECRET_KEY = "unit-spaces-secret-0123456789abcdef";
let registered: Registered[];
const command = (name: string) => registered.find((r) => r.name === name)!;

beforeAll(async () => {
  registered = await runProgram(
    {
      host: { address: "192.0.2.31", port: 2222, hostKey },
      app: { source: makeAppVariant("v1") },
      database: {
        backupCopy: {
          url: "s3://hc-backups/db/",
          endpoint: "https://ams3.digitaloceanspaces.com",
          accessKeyId: "DO00UNITKEYID",
        },
      },
      sshPrivateKey: deployKey.privateKey,
      backupCopySecretKey: SECRET_KEY,
      djangoSecretKey: "unit-secret-key-for-backup-copy",
      dbPassword: "unit-db-password",
    },
    ["sshPrivateKey", "backupCopySecretKey", "djangoSecretKey", "dbPassword"],
  );
});

describe("a stack whose backups are copied to S3-compatible storage", () => {
  it("gives the host the copy's settings in the script and its secret key on stdin, a secret", () => {
    const step = command("hc-backups-schedule");
    const create = unwrap(step.inputs.create);
    expect(create).toContain("COPY_ENDPOINT='https://ams3.digitaloceanspaces.com'");
    expect(create).toContain("COPY_KEY_ID='DO00UNITKEYID'");
    expect(create).toContain("copy:hc-backups/db"); // backup.sh's COPY_TO, quoted inside BACKUP
    expect(isSecret(step.inputs.stdin)).toBe(true);
    expect(unwrap(step.inputs.stdin)).toBe(SECRET_KEY);
  });

  it("puts the secret key nowhere but that stdin", () => {
    for (const { name, text } of inputsOutside(registered, "hc-backups-schedule")) {
      expect(text, name).not.toContain(SECRET_KEY);
    }
  });

  it("installs rclone with the host's packages", () => {
    expect(unwrap(command("hc-host-bootstrap").inputs.create)).toMatch(/\brclone\b/);
  });
});
