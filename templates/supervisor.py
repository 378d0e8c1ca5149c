# supervisord's programs, over its socket with supervisor's own XML-RPC client: the few things
# the host scripts ask (prelude.sh's `supervisor`). supervisorctl would do the same, but takes
# ~0.17 s to start where this takes ~0.05 s, and a deploy asks a dozen times.
# Comment lines are left out of the scripts this goes into (render.ts): a comment edit is no
# change on the host.
# Usage: state NAME | start NAME | remove NAME
import configparser
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import Faults, SupervisorTransport

# States in which the program runs no process.
DOWN = ("STOPPED", "EXITED", "FATAL")


def server():
    conf = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    conf.read("/etc/supervisor/supervisord.conf")
    url = conf.get("supervisorctl", "serverurl", fallback="unix:///var/run/supervisor.sock")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, url)).supervisor


# The program's state (RUNNING, STOPPED, BACKOFF...) and supervisord's description of it, or
# ABSENT when supervisord has no such program (its own UNKNOWN is a state: a failed kill).
def state(s, name):
    try:
        info = s.getProcessInfo(name)
    except xmlrpc.client.Fault as f:
        if f.faultCode == Faults.BAD_NAME:
            return "ABSENT", ""
        raise
    return info["statename"], info["description"]


# Stops the program and waits for it (its requests in flight finish first); stopped already is
# fine. Asked every 50 ms rather than with stopProcessGroup's own wait: supervisord notices an
# exit only when its loop wakes, once a second or when a client calls. Ends on the states
# supervisorctl's own wait ends on.
def stop(s, name):
    try:
        s.stopProcessGroup(name, False)
    except xmlrpc.client.Fault as f:
        if f.faultCode not in (Faults.BAD_NAME, Faults.NOT_RUNNING):
            raise
    while state(s, name)[0] not in DOWN + ("UNKNOWN", "ABSENT"):
        time.sleep(0.05)


# Applies NAME's config as `supervisorctl update NAME` does (supervisord rereads its config, for
# NAME alone) and starts it: a new program at once, without waiting for supervisord's next loop
# (the caller's health check follows); one that was there but stopped (a repair) as
# `supervisorctl start` does, waiting until it has stayed up for its startsecs.
def start(s, name):
    added, changed, removed = s.reloadConfig()[0]
    if name in changed or name in removed:
        stop(s, name)
        s.removeProcessGroup(name)
    if name in changed or name in added:
        s.addProcessGroup(name)
    new = name in added or name in changed
    print(f"{name}: {'added' if name in added else 'updated' if name in changed else 'present'}")
    if state(s, name)[0] in DOWN + ("BACKOFF",):
        try:
            s.startProcess(name, not new)
        except xmlrpc.client.Fault as f:
            # Already started by supervisord meanwhile, or it did not stay up: the health check says.
            print(f"{name}: start: {f.faultString}")


# Stops the program, waiting for it, and removes it from supervisord.
def remove(s, name):
    if state(s, name)[0] == "ABSENT":
        return
    stop(s, name)
    s.removeProcessGroup(name)


def main(command, name):
    s = server()
    if command == "state":
        # One line: the state first, then supervisord's description ("RUNNING pid 4, uptime 0:00:03").
        print(" ".join(part for part in state(s, name) if part))
    elif command == "start":
        start(s, name)
    elif command == "remove":
        remove(s, name)
    else:
        sys.exit(f"supervisor.py: unknown command {command}")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except xmlrpc.client.Fault as f:
        sys.exit(f"supervisord: {' '.join(sys.argv[1:])}: {f.faultString}")
    except OSError as e:
        sys.exit(f"supervisord does not answer ({' '.join(sys.argv[1:])}): {e}")
