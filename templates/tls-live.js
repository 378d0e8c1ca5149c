// The HTTPS program's certificate directory, resolved once per handshake (njs, js_set): the
// directory of the pair the `live` link points to now. nginx then reads the certificate and the
// key from that one directory, so a new pair (renamed in as a new link) never mixes with the old.
import fs from "fs";

function dir() {
  try {
    return fs.realpathSync("{{TLS_DIR}}/live");
  } catch (e) {
    // No link: a certificate installed by an earlier version, its files in the directory itself.
    if (e.code === "ENOENT") return "{{TLS_DIR}}";
    throw e;
  }
}

export default { dir };
