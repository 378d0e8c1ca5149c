// The HTTPS program's certificate directory, resolved once per handshake (njs, js_set): the
// directory of the pair the `live` link points to now. nginx then reads the certificate and the
// key from that one directory, so a new pair (renamed in as a new link) never mixes with the old.
import fs from "fs";

function dir() {
  try {
    return fs.realpathSync("{{TLS_DIR}}/live");
  } catch (e) {
    // A certificate installed by an earlier version: its files are in the directory itself.
    return "{{TLS_DIR}}";
  }
}

export default { dir };
