// SSH key pairs for tests, from ssh2's generator. It sometimes (about 1 in 150 for ed25519) writes a
// broken pair: a public key a byte short (a leading zero dropped), or a private key that neither
// ssh2 nor ssh-keygen can read ("Malformed OpenSSH private key"). Such pairs are made again.
import { utils } from "ssh2";

type Type = "ed25519" | "ecdsa" | "rsa";

export function sshKeyPair(type: Type, opts: { bits?: number; passphrase?: string; cipher?: string } = {}) {
  for (;;) {
    const pair = utils.generateKeyPairSync(type as "ed25519", opts as never);
    const blob = Buffer.from(pair.public.split(" ")[1], "base64");
    if (type === "ed25519" && blob.length !== 51) continue;
    if (utils.parseKey(pair.private, opts.passphrase) instanceof Error) continue;
    return pair;
  }
}
