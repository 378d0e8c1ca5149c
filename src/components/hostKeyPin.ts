// HostKeyPin: the droplet's SSH host key, chosen when the stack first creates it and kept in
// Pulumi's state (the private half as a secret) from then on. The key is derived from the deploy
// key (droplet.ts, deriveHostKey), but only once: the same deploy key set again in another form
// (a trailing newline, CRLF, PEM instead of OpenSSH) or even a new deploy key must not change the
// droplet's user data — on DigitalOcean that replaces the droplet, and with it a local database.
// To choose a new host key on purpose: `pulumi up --replace <this resource's URN>` (the droplet's
// user data is first-boot only, so also replace the droplet, or install the key yourself).
import * as pulumi from "@pulumi/pulumi";
import type { HostKeyPair } from "./droplet";

/** Exported for tests. */
export const hostKeyPinProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: HostKeyPair) {
    return { id: "host-key", outs: inputs };
  },
  // Never a change: the pinned key is the one the droplet has.
  async diff() {
    return { changes: false };
  },
};

export class HostKeyPin extends pulumi.dynamic.Resource {
  declare public readonly privateKey: pulumi.Output<string>;
  declare public readonly publicKey: pulumi.Output<string>;

  constructor(
    name: string,
    key: { privateKey: pulumi.Input<string>; publicKey: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      hostKeyPinProvider,
      name,
      key,
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKey"] }),
      "djangozd",
      "HostKeyPin",
    );
  }
}
