// Pulumi.prod.yaml is the documented example stack: its plain settings must
// pass validation, so that the only problems left are the secrets a user sets.
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { validateConfig } from "../src/config/config";

describe("Pulumi.prod.yaml", () => {
  it("is valid apart from the secrets it asks the user to set", () => {
    const doc = YAML.parse(fs.readFileSync("Pulumi.prod.yaml", "utf8"));
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config as Record<string, unknown>)) {
      const [namespace, name] = key.split(":");
      if (namespace === "django-zero-downtime") values[name] = value;
    }
    // The example's app directory is the user's; stand in the sample app.
    (values.app as Record<string, unknown>).source = "examples/app";
    const { errors } = validateConfig({ values, secretKeys: new Set() });
    expect(errors.map((e) => e.split(":")[0]).sort()).toEqual(["dbPassword", "djangoSecretKey", "sshPrivateKey"]);
  });
});
