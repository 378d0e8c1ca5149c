"""Say in one line why `pip install` failed, from pip's output.

release.sh runs it with the venv's own interpreter when pip fails, and shows
the line before the log's tail: which requirement failed, and what to do about
the causes a deploy can fix (the interpreter is too old for it; building it
needs system packages, which app.packages installs). Prints nothing when it
recognises nothing. Usage: python pip-hint.py LOG [PYTHON_VERSION]
(the version defaults to the interpreter's own, like "3.11").
"""

import re
import sys
from collections import Counter

# Header files and build tools, and the Debian/Ubuntu package that has them.
SYSTEM_PACKAGES = {
    "curl/curl.h": "libcurl4-openssl-dev",
    "libpq-fe.h": "libpq-dev",
    "pg_config": "libpq-dev",
    "mysql.h": "default-libmysqlclient-dev",
    "mysql/mysql.h": "default-libmysqlclient-dev",
    "mysql_config": "default-libmysqlclient-dev",
    "ffi.h": "libffi-dev",
    "openssl/": "libssl-dev",
    "yaml.h": "libyaml-dev",
    "libxml/": "libxml2-dev",
    "libxslt/": "libxslt1-dev",
    "lber.h": "libldap2-dev",
    "ldap.h": "libldap2-dev",
    "sasl/sasl.h": "libsasl2-dev",
    "jpeglib.h": "libjpeg-dev",
    "zlib.h": "zlib1g-dev",
    "sqlite3.h": "libsqlite3-dev",
    "krb5.h": "libkrb5-dev",
    "gssapi/gssapi.h": "libkrb5-dev",
    "magic.h": "libmagic-dev",
    "gcc": "build-essential",
}
EXAMPLES = "e.g. libpq-dev for pg_config, libcurl4-openssl-dev for curl.h"

ERROR_START = re.compile(r"^(ERROR:|\s*error: )", re.M)
BUILD_FAILED = [
    r"No matching distribution found for (\S+)",
    r"Failed building wheel for (\S+)",
    r"Building wheel for (\S+) \(.*\) did not run successfully",
    r"Running setup\.py install for (\S+) did not run successfully",
    r"Package '([^']+)' requires a different Python",
]


def failing_requirement(log):
    """The requirement pip named as failing, or the last it was collecting before the first error."""
    for pattern in BUILD_FAILED:
        m = re.search(pattern, log)
        if m:
            return m.group(1)
    first_error = ERROR_START.search(log)
    before = log[: first_error.start()] if first_error else log
    collected = re.findall(r"^\s*(?:Collecting|Processing) (\S+)", before, re.M)
    if not collected:
        return None
    req = collected[-1]
    # A local or downloaded archive: its file name, without version and extension.
    return re.sub(r"-\d.*$", "", req.rsplit("/", 1)[-1]) if "/" in req else req


def name_of(requirement):
    m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    return m.group(0) if m else requirement


def python_needed(log, requirement):
    """The Requires-Python of the version asked for (or of most versions pip skipped), if pip skipped any."""
    m = re.search(r"requires a different Python: \S+ not in '([^']+)'", log)
    if m:
        return m.group(1)
    skipped = dict(re.findall(r"(?:: |; )(\S+) Requires-Python ([^;\n]+)", log))
    if not skipped:
        return None
    pinned = re.search(r"===?\s*([^,;\s]+)$", requirement)
    if pinned and pinned.group(1) in skipped:
        return skipped[pinned.group(1)].strip()
    return Counter(s.strip() for s in skipped.values()).most_common(1)[0][0]


def system_package(log, python):
    """What a failed build lacked, as "WHAT is in PACKAGE" (or how to find it); None when no build failed for lack of it."""
    lacks = []
    m = re.search(r"fatal error: ([\w./+-]+\.h): No such file or directory", log)
    if m:
        lacks.append(m.group(1))
    if re.search(r"pg_config executable not found|pg_config is required", log):
        lacks.append("pg_config")
    if re.search(r"mysql_config not found|Can not find valid pkg-config name", log):
        lacks.append("mysql_config")
    if re.search(r"command '[^']*gcc' failed: No such file or directory|gcc: (command )?not found", log):
        lacks.append("gcc")
    for what in lacks:
        if what == "Python.h":
            return "Python.h is in python%s-dev" % python
        for known, package in SYSTEM_PACKAGES.items():
            if what == known or (known.endswith("/") and what.startswith(known)):
                return "%s is in %s" % (what, package)
        return "the package with %s: apt-file search %s" % (what, what)
    if re.search(r"command '[^']*gcc' failed", log):
        return EXAMPLES
    return None


def hint(log, python):
    requirement = failing_requirement(log)
    if requirement is None:
        return None
    name = name_of(requirement)
    needs = python_needed(log, requirement)
    if needs:
        return "%s needs Python %s, host has %s (set app.python to a newer interpreter, or pin an older %s)" % (
            requirement,
            needs,
            python,
            name,
        )
    lacking = system_package(log, python)
    if lacking:
        return "building %s needs system packages: add them to app.packages (%s)" % (name, lacking)
    if "No matching distribution found" in log:
        if re.search(r"NewConnectionError|Temporary failure in name resolution|Network is unreachable", log):
            return "pip could not reach the package index for %s (the host's network or DNS)" % requirement
        return "pip found no %s (check its name and version in requirements.txt)" % requirement
    return "pip failed on %s (its output follows)" % requirement


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        log = f.read()
    python = sys.argv[2] if len(sys.argv) > 2 else "%d.%d" % sys.version_info[:2]
    line = hint(log, python)
    if line:
        print(line)


if __name__ == "__main__":
    main()
