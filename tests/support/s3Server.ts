// moto's S3 server on loopback, for the backup-copy test: installed by scripts/moto.sh from PyPI
// (pinned by hash). It checks every request's SigV4 signature against the access keys its IAM
// made, so a wrong secret is refused as real object storage refuses it. The first three
// requests, which make an admin user, are the only unsigned ones it takes.
import { execFileSync } from "child_process";
import * as path from "path";
import { startLocalServer, waitForPort } from "./localServer";
import { REPO } from "./pulumiEnv";

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The bucket's objects: key and size. */
  objects(): { key: string; size: number }[];
  /** Empties and removes the bucket (copies then fail), or makes it again. */
  removeBucket(): void;
  createBucket(): void;
  stop(): Promise<void>;
}

// Run with moto's own Python (boto3 comes with it). The three unsigned requests make an admin;
// the admin (signed) makes the user the backups copy as, with S3 rights only, and the bucket.
const SETUP = `
import json, sys, boto3
endpoint, bucket = sys.argv[1:3]
def client(service, key_id, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret)
def user(iam, name, action):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
admin = user(client("iam", "setup", "setup"), "admin", "*")
backups = user(client("iam", admin["id"], admin["secret"]), "backups", "s3:*")
client("s3", admin["id"], admin["secret"]).create_bucket(Bucket=bucket)
print(json.dumps({"admin": admin, "backups": backups}))
`;

// The admin's view of the bucket: list its objects, or remove it (emptied first), or make it again.
const BUCKET = `
import json, sys, boto3
endpoint, bucket, key_id, secret, action = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret)
if action == "list":
    print(json.dumps([{"key": o["Key"], "size": o["Size"]} for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]))
elif action == "remove":
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)
else:
    s3.create_bucket(Bucket=bucket)
`;

export async function startS3Server(opts: { port: number; bucket: string }): Promise<S3Server> {
  const venv = execFileSync("bash", [path.join(REPO, "scripts/moto.sh")], { encoding: "utf8" }).trim();
  const python = path.join(venv, "bin/python");
  const endpoint = `http://127.0.0.1:${opts.port}`;
  // Three unsigned requests for the setup's IAM calls; every later one must be signed.
  const server = startLocalServer(path.join(venv, "bin/moto_server"), ["-H", "127.0.0.1", "-p", String(opts.port)], {
    INITIAL_NO_AUTH_ACTION_COUNT: "3",
  });
  const { child } = server;
  await waitForPort(opts.port, "moto", server);
  const keys = JSON.parse(execFileSync(python, ["-c", SETUP, endpoint, opts.bucket], { encoding: "utf8" }));
  const bucket = (action: string) =>
    execFileSync(python, ["-c", BUCKET, endpoint, opts.bucket, keys.admin.id, keys.admin.secret, action], {
      encoding: "utf8",
    });
  return {
    endpoint,
    bucket: opts.bucket,
    accessKeyId: keys.backups.id,
    secretAccessKey: keys.backups.secret,
    objects: () => JSON.parse(bucket("list")),
    removeBucket: () => void bucket("remove"),
    createBucket: () => void bucket("create"),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
